/**
 * @sis-sync/connectors-classlink: ClassLink Roster Server (OneRoster 1.1 REST with ClassLink's hosts,
 * OAuth 1.0a signing and quirks), an adapter of the core `RosterSource` port.
 */
export * as ClassLinkRosterSource from "./ClassLinkRosterSource";
export * as ClassLinkRosterServer from "./ClassLinkRosterServer";
