/**
 * Runs the frozen migrations in `migrations/` (an in-code provider, so bundlers need no file
 * system access) up to the latest one. Kysely's migrator takes a lock, so concurrent starters are safe.
 */
import { RosterStoreError } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import type { Kysely } from "kysely";
import { Migrator, type MigrationResult } from "kysely/migration";
import { migrations } from "./migrations/index";

/** A migrator over the in-code migration record. */
export const migrator = (db: Kysely<any>): Migrator =>
  new Migrator({ db, provider: { getMigrations: async () => migrations } });

/** Migrates to the latest version; rejects with the failing migration's error. */
export const migrateToLatest = async (db: Kysely<any>): Promise<ReadonlyArray<MigrationResult>> => {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `migration ${failed} failed: ${message}` : `migration failed: ${message}`, { cause: error });
  }
  return results ?? [];
};

/** `migrateToLatest` as an Effect. */
export const migrate = (db: Kysely<any>) =>
  Effect.tryPromise({
    try: () => migrateToLatest(db),
    catch: (cause) => new RosterStoreError({ message: cause instanceof Error ? cause.message : String(cause), cause }),
  });
