/**
 * Opens the database: PostgreSQL through `pg` when a URL is given (`DATABASE_URL`), otherwise an
 * embedded PGlite in a data directory (`SIS_DATA_DIR`, default `./.data`). Both get the same
 * Kysely instance type and a COPY-based bulk loader that uses the right COPY flavour for each:
 * `COPY … FROM STDIN` on a server, `COPY … FROM '/dev/blob'` on PGlite (STDIN hangs PGlite).
 */
import { PGlite } from "@electric-sql/pglite";
import { RosterStoreError } from "@sis-sync/core";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { Kysely, PostgresDialect, type LogConfig } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { lockDataDir } from "./internal/DataDirLock";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Database } from "./Database";
import { migrateToLatest } from "./PgMigrator";

/** One value of a COPY row. Arrays become PostgreSQL text arrays; pass JSON columns as strings. */
export type CopyValue = string | number | boolean | Date | null | undefined | ReadonlyArray<string | null>;

export type Backend = "pg" | "pglite";

/** An open database: the Kysely instance plus the bulk loader. */
export interface PgHandle {
  readonly db: Kysely<Database>;
  readonly backend: Backend;
  /**
   * Appends rows to `table` with one COPY (text format). Runs outside any transaction, on its own
   * connection (pg) or on the single PGlite session once Kysely releases it. Returns the row count.
   */
  readonly copyRows: (table: string, columns: ReadonlyArray<string>, rows: Iterable<ReadonlyArray<CopyValue>>) => Promise<number>;
  /** Like `copyRows` for text already in COPY text format (each part ends with a newline). */
  readonly copyText: (table: string, columns: ReadonlyArray<string>, parts: ReadonlyArray<string>) => Promise<void>;
  /** The underlying pool (pg) — for tooling such as tests that need a raw client. */
  readonly pool: pg.Pool | null;
  /** The underlying PGlite instance (pglite). */
  readonly pglite: PGlite | null;
  readonly close: () => Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL connection string. When absent, PGlite is used. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory; `"memory://"` keeps everything in memory. Default `./.data`. */
  readonly dataDir?: string | undefined;
  /** pg pool size (default 10). */
  readonly maxConnections?: number | undefined;
  /** Run the migrations to the latest version after opening (default true). */
  readonly migrate?: boolean | undefined;
  /** Kysely query logging (e.g. `(event) => console.log(event.queryDurationMillis, event.query.sql)`). */
  readonly log?: LogConfig | undefined;
}

// ---------------------------------------------------------------------------------------------
// COPY text format encoding

const NEEDS_ESCAPE = /[\\\n\r\t\u0000]/;
const ESCAPES = /[\\\n\r\t\u0000]/g;
const escapeChar = (ch: string): string => {
  switch (ch) {
    case "\\": return "\\\\";
    case "\n": return "\\n";
    case "\r": return "\\r";
    case "\t": return "\\t";
    default: return ""; // NUL cannot be stored in text: dropped
  }
};
/** Escapes a string for COPY's text format (backslash, tab, newline, carriage return; NUL is dropped). */
export const escapeText = (s: string): string => (NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, escapeChar) : s);

/** `escapeText` for a nullable string; null becomes COPY's `\N`. */
export const copyString = (s: string | null | undefined): string => (s === null || s === undefined ? "\\N" : escapeText(s));

const ARRAY_NEEDS_QUOTE = /["\\]/g;
const arrayLiteral = (items: ReadonlyArray<string | null>): string => {
  if (items.length === 0) return "{}";
  let out = "{";
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i > 0) out += ",";
    out += item === null || item === undefined ? "NULL" : `"${String(item).replace(ARRAY_NEEDS_QUOTE, "\\$&")}"`;
  }
  return `${out}}`;
};

/** Encodes one value for COPY's text format. */
export const encodeCopyValue = (value: CopyValue): string => {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string": return escapeText(value);
    case "number": return Number.isFinite(value) ? String(value) : "\\N";
    case "boolean": return value ? "t" : "f";
    default:
      if (value instanceof Date) return value.toISOString();
      return escapeText(arrayLiteral(value as ReadonlyArray<string | null>));
  }
};

/**
 * Joins COPY text lines into parts of about `partSize` characters. Parts are built with `join` so
 * they are flat strings (cheap to turn into bytes), not deep concatenation ropes.
 */
export const copyParts = (lines: Iterable<string>, partSize = 1 << 20): { readonly parts: Array<string>; readonly count: number } => {
  const parts: Array<string> = [];
  let chunk: Array<string> = [];
  let size = 0;
  let count = 0;
  for (const line of lines) {
    chunk.push(line);
    size += line.length + 1;
    count++;
    if (size >= partSize) {
      chunk.push("");
      parts.push(chunk.join("\n"));
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) {
    chunk.push("");
    parts.push(chunk.join("\n"));
  }
  return { parts, count };
};

function* copyLines(rows: Iterable<ReadonlyArray<CopyValue>>): Generator<string> {
  for (const row of rows) {
    let line = row.length > 0 ? encodeCopyValue(row[0]) : "";
    for (let i = 1; i < row.length; i++) line += `\t${encodeCopyValue(row[i])}`;
    yield line;
  }
}

/** Encodes rows as COPY text, in parts of about `partSize` characters. */
export const encodeCopyRows = (rows: Iterable<ReadonlyArray<CopyValue>>, partSize = 1 << 20) => copyParts(copyLines(rows), partSize);

const copySql = (table: string, columns: ReadonlyArray<string>, source: string) =>
  `copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) from ${source}`;

/** Quotes an identifier when needed (table and column names are ours, but stay safe). */
export const quoteIdent = (name: string): string => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

// ---------------------------------------------------------------------------------------------
// Backends

const openPg = async (url: string, options: OpenOptions): Promise<PgHandle> => {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, application_name: "sis-sync" });
  pool.on("error", () => undefined); // idle-client errors surface on the next query instead of crashing the process
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) });
  const copyText: PgHandle["copyText"] = async (table, columns, parts) => {
    if (parts.length === 0) return;
    const client = await pool.connect();
    try {
      const stream = client.query(copyFrom(copySql(table, columns, "stdin")));
      const done = new Promise<void>((ok, fail) => {
        stream.on("finish", ok);
        stream.on("error", fail);
      });
      for (const part of parts) {
        // Wait for the buffer to drain, or for the COPY to fail (then `done` rejects).
        if (!stream.write(Buffer.from(part, "utf8"))) await Promise.race([new Promise<void>((ok) => stream.once("drain", ok)), done]);
      }
      stream.end();
      await done;
    } finally {
      client.release();
    }
  };
  const copyRows: PgHandle["copyRows"] = async (table, columns, rows) => {
    const { parts, count } = encodeCopyRows(rows);
    await copyText(table, columns, parts);
    return count;
  };
  return {
    db, backend: "pg", copyRows, copyText, pool, pglite: null,
    close: async () => {
      await db.destroy(); // ends the pool
    },
  };
};

const openPglite = async (dataDir: string, options: OpenOptions): Promise<PgHandle> => {
  const inMemory = dataDir.startsWith("memory://");
  let dir = dataDir;
  let release = () => {};
  if (!inMemory) {
    // The database lives in a subdirectory so the data dir can also hold the development key.
    dir = join(resolve(dataDir), "pglite");
    mkdirSync(dir, { recursive: true });
    release = lockDataDir(resolve(dataDir));
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ dataDir: dir, relaxedDurability: true });
  } catch (error) {
    release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), ...(options.log ? { log: options.log } : {}) });
  const copyText: PgHandle["copyText"] = async (table, columns, parts) => {
    if (parts.length === 0) return;
    const blob = new Blob(parts as Array<string>);
    // Holding Kysely's single connection keeps this COPY out of anyone else's transaction.
    await db.connection().execute(() => pglite.query(copySql(table, columns, "'/dev/blob'"), [], { blob }));
  };
  const copyRows: PgHandle["copyRows"] = async (table, columns, rows) => {
    const { parts, count } = encodeCopyRows(rows);
    await copyText(table, columns, parts);
    return count;
  };
  return {
    db, backend: "pglite", copyRows, copyText, pool: null, pglite,
    close: async () => {
      try {
        await db.destroy(); // closes PGlite
      } finally {
        release();
      }
    },
  };
};

/** Opens PostgreSQL (`databaseUrl`) or PGlite (`dataDir`), migrating unless told not to. */
export const open = async (options: OpenOptions): Promise<PgHandle> => {
  const handle = options.databaseUrl
    ? await openPg(options.databaseUrl, options)
    : await openPglite(options.dataDir ?? "./.data", options);
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(handle.db);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  return handle;
};

/**
 * The data folder: `SIS_DATA_DIR`, else `.data` in the folder the command was started from. Under
 * pnpm that is `INIT_CWD`, not the working directory: `pnpm --filter @sis-sync/api start` runs in
 * `apps/api` but was started from the root, and must find the same `.data` as `pnpm start`.
 */
export const dataDirFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): string =>
  env["SIS_DATA_DIR"]?.trim() || join(env["INIT_CWD"]?.trim() || process.cwd(), ".data");

/** Options from the environment: `DATABASE_URL`, else PGlite in the data folder (`dataDirFromEnv`). */
export const optionsFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): OpenOptions => ({
  databaseUrl: env["DATABASE_URL"] || undefined,
  dataDir: dataDirFromEnv(env),
});

// ---------------------------------------------------------------------------------------------
// Effect

/** The open database as a service. */
export class PgDatabase extends Context.Service<PgDatabase, PgHandle>()("@sis-sync/storage-pg/PgDatabase") {}

const describe = (options: OpenOptions) =>
  options.databaseUrl ? "PostgreSQL" : `PGlite (${options.dataDir ?? "./.data"})`;

/** Opens the database for the layer's lifetime and closes it (pool or PGlite) on release. */
export const acquire = (options: OpenOptions) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => open(options),
      catch: (cause) => new RosterStoreError({ message: `cannot open ${describe(options)}: ${errorMessage(cause)}`, cause }),
    }),
    (handle) => Effect.promise(() => handle.close().catch(() => undefined)),
  );

/**
 * @example
 * const DatabaseLive = PgDatabase.layer({ databaseUrl: process.env.DATABASE_URL })
 * const StoreLive = PgRosterStore.layer.pipe(Layer.provide(DatabaseLive))
 */
export const layer = (options: OpenOptions): Layer.Layer<PgDatabase, RosterStoreError> => Layer.effect(PgDatabase, acquire(options));

/** `layer` with options read from the environment (`DATABASE_URL`, `SIS_DATA_DIR`). */
export const layerFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env) => layer(optionsFromEnv(env));

/** Wraps an already-open handle (tests, tools); the caller keeps ownership and closes it. */
export const layerFromHandle = (handle: PgHandle): Layer.Layer<PgDatabase> => Layer.succeed(PgDatabase, handle);

export const errorMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : JSON.stringify(cause);
