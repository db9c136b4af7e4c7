/**
 * Test harness: a throwaway PostgreSQL database per test file (on the TEST_DATABASE_URL server),
 * the storage services over it in this process, worker processes started with tsx against the
 * same database, OneRoster CSV exports copied from the example district, and polling helpers.
 */
import { KINDS, RosterReader, type Kind, type RosterEntity } from "@sis-sync/core";
import { ConfigCipher, PgDatabase, PgStorage } from "@sis-sync/storage-pg";
import { openTestDatabase, pgServer, type TestDatabase } from "@sis-sync/storage-pg/testing";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as ManagedRuntime from "effect/ManagedRuntime";
import * as References from "effect/References";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../../../..");
/** Node 22 with tsx as a loader: one process per worker, so SIGKILL / SIGSTOP reach the worker itself (the tsx CLI would put a parent in between). */
export const NODE = join(ROOT, "node_modules/.bin/node");
export const MAIN = join(ROOT, "apps/scheduler/src/main.ts");
export const TEST_WORKER = join(ROOT, "apps/scheduler/test/support/TestWorker.ts");
export const MAPLEWOOD = join(ROOT, "examples/maplewood");
export const MAPLEWOOD_DAY2 = join(ROOT, "examples/maplewood-day2");

/** One fixed key, so this process and the worker processes read each other's provider configs. */
const KEY = Buffer.alloc(32, 7);
export const ENCRYPTION_KEY = `test:${KEY.toString("base64")}`;

export type Services = PgStorage.StorageServices | ConfigCipher.ConfigCipher;

export interface Db {
  readonly url: string;
  readonly handle: TestDatabase;
  readonly runtime: ManagedRuntime.ManagedRuntime<Services, unknown>;
  readonly layer: Layer.Layer<Services>;
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>;
  readonly query: <R = any>(text: string, params?: ReadonlyArray<unknown>) => Promise<Array<R>>;
  readonly close: () => Promise<void>;
}

/** Why this suite cannot run, or null. The whole app suite needs a real PostgreSQL. */
export const skipReason = async (): Promise<string | null> => {
  const { url, reason } = await pgServer();
  return url === null ? `apps/scheduler tests need PostgreSQL: ${reason}` : null;
};

export const openDb = async (): Promise<Db> => {
  const { url: server } = await pgServer();
  if (server === null) throw new Error("TEST_DATABASE_URL is not set");
  const handle = await openTestDatabase("pg");
  const u = new URL(server);
  u.pathname = `/${handle.label}`;
  const layer = PgStorage.layerNoDeps.pipe(
    Layer.provideMerge(Layer.merge(PgDatabase.layerFromHandle(handle), ConfigCipher.layer([{ id: "test", key: new Uint8Array(KEY) }]))),
  );
  // In-process workers log at TEST_LOG_LEVEL (default: errors only) to keep test output readable.
  const level = (process.env["TEST_LOG_LEVEL"] ?? "Error") as "Debug" | "Info" | "Warn" | "Error";
  const runtime = ManagedRuntime.make(Layer.merge(layer, Layer.succeed(References.MinimumLogLevel, level)));
  return {
    url: u.toString(),
    handle,
    runtime,
    layer,
    run: (effect) => runtime.runPromise(effect),
    query: async (text, params = []) => (await handle.pool!.query(text, [...params])).rows,
    close: async () => {
      await runtime.dispose();
      await handle.close();
    },
  };
};

/** A second, independent connection pool on the same database: another replica's view. */
export const openReplica = async (db: Db) => {
  const handle = await PgDatabase.open({ databaseUrl: db.url, maxConnections: 3, migrate: false });
  const runtime = ManagedRuntime.make(
    PgStorage.layerNoDeps.pipe(
      Layer.provideMerge(Layer.merge(PgDatabase.layerFromHandle(handle), ConfigCipher.layer([{ id: "test", key: new Uint8Array(KEY) }]))),
      Layer.merge(Layer.succeed(References.MinimumLogLevel, "Error")),
    ),
  );
  return {
    run: <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect),
    close: async () => {
      await runtime.dispose();
      await handle.close();
    },
  };
};

/** A temporary folder, removed by the returned function. */
export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Copies an example export into `folder` (replacing what was there). */
export const copyExport = (from: string, folder: string): string => {
  rmSync(folder, { recursive: true, force: true });
  cpSync(from, folder, { recursive: true });
  return folder;
};

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export const waitFor = async <A>(what: string, probe: () => Promise<A | undefined | false> | A | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

// ---------------------------------------------------------------------------------------------
// Processes

export interface LogLine {
  readonly message: unknown;
  readonly level: string;
  readonly annotations: Record<string, unknown>;
  readonly raw: string;
}

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: Array<string>;
  readonly stderr: Array<string>;
  readonly logs: Array<LogLine>;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  readonly waitForLog: (what: string, match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
  readonly waitForStdout: (what: string, match: (line: string) => boolean, timeoutMs?: number) => Promise<string>;
  /** Process state letter from /proc (R, S, T = stopped, Z, …), or null when gone. */
  readonly state: () => string | null;
  readonly kill: (signal?: NodeJS.Signals) => void;
}

const lines = (onLine: (line: string) => void) => {
  let pending = "";
  return (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
    }
  };
};

/** Starts `script` (default: the real scheduler main) against `db`. */
export const startProcess = (db: Db, env: Record<string, string>, script: string = MAIN): Proc => {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    SIS_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LOG_LEVEL: "info",
    NODE_ENV: "test",
    ...env,
  };
  const child = spawn(NODE, ["--import", "tsx", script], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  const stdout: Array<string> = [];
  const stderr: Array<string> = [];
  const logs: Array<LogLine> = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  child.stdout!.on("data", lines((line) => {
    stdout.push(line);
    notify();
  }));
  child.stderr!.on("data", lines((line) => {
    stderr.push(line);
    try {
      const parsed = JSON.parse(line) as { message: unknown; level: string; annotations?: Record<string, unknown> };
      logs.push({ message: parsed.message, level: parsed.level, annotations: parsed.annotations ?? {}, raw: line });
    } catch {
      // not a log line (tsx or node warnings)
    }
    notify();
  }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => {
      done({ code, signal });
      notify();
    }));
  const waitUntil = <A>(what: string, probe: () => A | undefined, timeoutMs: number) =>
    new Promise<A>((done, fail) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          cleanup();
          done(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          fail(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${what}\n${stderr.slice(-30).join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${stderr.slice(-30).join("\n")}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    pid: child.pid!,
    stdout,
    stderr,
    logs,
    exited,
    waitForLog: (what, match, timeoutMs = 30_000) => waitUntil(what, () => logs.find(match), timeoutMs),
    waitForStdout: (what, match, timeoutMs = 30_000) => waitUntil(what, () => stdout.find(match), timeoutMs),
    state: () => {
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
      } catch {
        return null;
      }
    },
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
};

export const isWorkerReady = (line: LogLine) => line.message === "worker started";

// ---------------------------------------------------------------------------------------------
// Roster comparison

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const stripIds = (value: unknown): unknown => {
  if (typeof value === "string") return UUID.test(value) ? "<id>" : value;
  if (Array.isArray(value)) return value.map(stripIds);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripIds(v)]));
  }
  return value;
};

/** A tenant's roster without ids or timestamps: what two equal syncs must agree on. */
export const rosterSnapshot = (db: Db, tenantId: string) =>
  db.run(Effect.gen(function* () {
    const reader = yield* RosterReader;
    const out: Record<string, unknown> = {};
    for (const kind of KINDS as ReadonlyArray<Kind>) {
      const rows: ReadonlyArray<RosterEntity> = yield* reader.list(tenantId, kind, {}, { limit: 100_000, offset: 0 });
      out[kind] = rows
        .map((r) => ({
          links: r.links.map((l) => `${l.externalId}${l.active ? "" : " (inactive)"}`).sort().join(","),
          active: r.active,
          fields: stripIds(r.fields),
        }))
        .sort((a, b) => a.links.localeCompare(b.links));
    }
    return out;
  }));
