/**
 * @sis-sync/connectors-clever: the Clever Data API v3.0 roster source (district-app tokens, cursor
 * paging, rate-limit pacing). Wire shapes stay internal; only the port adapter and client are public.
 */
export * as CleverRosterSource from "./CleverRosterSource";
export * as CleverClient from "./CleverClient";
