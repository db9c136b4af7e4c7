/**
 * Test helpers for storage-pg and for other packages' tests: a throwaway database per caller
 * (a fresh database on the `TEST_DATABASE_URL` server, dropped on close, or PGlite in memory),
 * and ready-made layers with every store port over it.
 */
import type { RosterStoreError } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { randomBytes } from "node:crypto";
import pg from "pg";
import * as ConfigCipher from "../ConfigCipher";
import { PgDatabase, errorMessage, open, type Backend, type PgHandle } from "../PgDatabase";
import * as PgStorage from "../PgStorage";
import type { PgRosterStoreOptions } from "../PgRosterStore";

export interface PgServer {
  /** Connection string of a server the tests may create databases on, or null. */
  readonly url: string | null;
  /** Why there is no server (printed by suites that skip). */
  readonly reason: string | null;
}

let server: Promise<PgServer> | undefined;

/**
 * The PostgreSQL server for tests: `TEST_DATABASE_URL`, else a testcontainers PostgreSQL 15 when a
 * container engine answers, else none (with the reason).
 */
export const pgServer = (env: Readonly<Record<string, string | undefined>> = process.env): Promise<PgServer> =>
  (server ??= (async (): Promise<PgServer> => {
    const url = env["TEST_DATABASE_URL"];
    if (url) return { url, reason: null };
    try {
      const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
      const container = await new PostgreSqlContainer("postgres:15-alpine").start();
      return { url: container.getConnectionUri(), reason: null };
    } catch (error) {
      return { url: null, reason: `TEST_DATABASE_URL is not set and no container engine answered (${errorMessage(error).split("\n")[0]})` };
    }
  })());

/** Backends to run a suite on: always PGlite, plus PostgreSQL when a server is available. */
export const testBackends = async (): Promise<ReadonlyArray<Backend>> => {
  const { url, reason } = await pgServer();
  if (url === null) console.warn(`[storage-pg tests] PostgreSQL variant skipped: ${reason}`);
  return url === null ? ["pglite"] : ["pglite", "pg"];
};

export interface TestDatabase extends PgHandle {
  /** `pglite` or the throwaway database's name. */
  readonly label: string;
}

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * Opens a migrated, empty database: on `pg`, a fresh `sis_test_<random>` database on the test
 * server (dropped again by `close`); on `pglite` (the default without a server), PGlite in memory.
 */
export const openTestDatabase = async (backend?: Backend): Promise<TestDatabase> => {
  const { url } = await pgServer();
  const chosen = backend ?? (url === null ? "pglite" : "pg");
  if (chosen === "pglite") {
    const handle = await open({ dataDir: "memory://" });
    return { ...handle, label: "pglite" };
  }
  if (url === null) throw new Error("no PostgreSQL server for tests: set TEST_DATABASE_URL");
  const name = `sis_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const handle = await open({ databaseUrl: withDatabase(url, name), maxConnections: 5 });
  return {
    ...handle,
    label: name,
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
};

/** A throwaway database as a layer (closed and dropped when the layer is released). */
export const layerTestDatabase = (backend?: Backend): Layer.Layer<PgDatabase> =>
  Layer.effect(
    PgDatabase,
    Effect.acquireRelease(
      Effect.promise(() => openTestDatabase(backend)),
      (handle) => Effect.promise(() => handle.close().catch(() => undefined)),
    ),
  );

/**
 * Every storage service over a throwaway database and a random-key cipher.
 * @example
 * rosterStoreContract("pglite", PgTesting.layerTest("pglite"))
 */
export const layerTest = (
  backend?: Backend,
  store: PgRosterStoreOptions = {},
): Layer.Layer<PgStorage.StorageServices | ConfigCipher.ConfigCipher, RosterStoreError> =>
  PgStorage.layerNoDepsWith(store).pipe(Layer.provideMerge(Layer.merge(layerTestDatabase(backend), ConfigCipher.layerTest())));
