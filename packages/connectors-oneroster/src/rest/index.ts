/**
 * OneRoster 1.1 REST: the source adapter, its client and the OAuth 1.0a / 2.0 pieces it is built
 * from (reused by @sis-sync/connectors-classlink).
 */
export * as OneRosterRestSource from "./OneRosterRestSource";
export * as OneRosterRestClient from "./OneRosterRestClient";
export * as OneRosterRestMapping from "./OneRosterRestMapping";
export * as OneRosterValues from "./OneRosterValues";
export * as OAuth1 from "./OAuth1";
export * as OAuth2 from "./OAuth2";
export * as RestAuth from "./RestAuth";
export * as RestHttp from "./RestHttp";
export * as RateLimiter from "./RateLimiter";
export { RestFailure } from "./RestFailure";
