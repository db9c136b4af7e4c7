/**
 * `sis-sync migrate`: brings `DATABASE_URL` or the embedded database to the latest schema.
 */
import { PgDatabase, PgMigrator } from "@sis-sync/storage-pg";

export const migrate = async (): Promise<number> => {
  const options = PgDatabase.optionsFromEnv(process.env);
  const handle = await PgDatabase.open({ ...options, migrate: false });
  try {
    const results = await PgMigrator.migrateToLatest(handle.db);
    const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    const where = options.databaseUrl ? "PostgreSQL" : `embedded database in ${options.dataDir}`;
    process.stdout.write(applied.length > 0 ? `Applied ${applied.length} migration(s) to ${where}: ${applied.join(", ")}\n` : `${where} is up to date.\n`);
    return 0;
  } finally {
    await handle.close();
  }
};
