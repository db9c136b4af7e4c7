/**
 * @sis-sync/storage-pg: the store ports on PostgreSQL (`pg`, when `DATABASE_URL` is set) or an
 * embedded PGlite: migrations, COPY-based staging, set-based planning and loading, runs, providers
 * with encrypted configs, leases and the audit log.
 */
export * as ConfigCipher from "./ConfigCipher";
export * as PgAuditLog from "./PgAuditLog";
export * as PgDatabase from "./PgDatabase";
export * as PgMigrator from "./PgMigrator";
export * as PgProviderRepository from "./PgProviderRepository";
export * as PgRosterReader from "./PgRosterReader";
export * as PgRosterStore from "./PgRosterStore";
export * as PgRunLeases from "./PgRunLeases";
export * as PgRunRepository from "./PgRunRepository";
export * as PgStorage from "./PgStorage";
export type * from "./Database";
export { migrations } from "./migrations/index";
