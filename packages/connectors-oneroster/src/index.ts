/**
 * @sis-sync/connectors-oneroster: OneRoster 1.1 adapters of the core `RosterSource` port.
 * `OneRosterCsvSource` reads CSV exports (a folder, a zip or a folder of dated exports) from local disk.
 */
export * as OneRosterCsvSource from "./OneRosterCsvSource";
export * from "./rest";
export * from "./sftp";
