/**
 * Test harness: a throwaway database per test file (PostgreSQL on TEST_DATABASE_URL, else PGlite in
 * memory), the storage services over it, `makeApp` with a fixed HS256 secret, captured log lines,
 * tokens for every kind of caller, fixtures, and a one-shot run executor (claim + execute).
 */
import {
  ProviderRepository, RunExecutor, RunRepository, type NewProvider, type Provider, type SyncRun,
} from "@sis-sync/core";
import { Connectors } from "@sis-sync/scheduler";
import { ConfigCipher, PgDatabase, PgRunLeases, PgStorage } from "@sis-sync/storage-pg";
import { openTestDatabase, type TestDatabase } from "@sis-sync/storage-pg/testing";
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { sql } from "kysely";
import { randomBytes, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { makeApp, type AppOptions } from "../src/App";
import type { LogEntry } from "../src/AppContext";
import { makeAuthenticator, mintToken } from "../src/auth/Jwt";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const MAPLEWOOD = resolve(ROOT, "examples/maplewood");
export const JWT_SECRET = "api-test-secret-0123456789-abcdefghijklmnop";
export const TENANT = "tenant-a";
export const OTHER_TENANT = "tenant-b";

export type Services = PgStorage.StorageServices | ConfigCipher.ConfigCipher;

export const CALLERS = ["platform", "district", "otherDistrict", "unknownRole", "none", "expired", "noExp", "algNone", "wrongSignature"] as const;
export type Caller = (typeof CALLERS)[number];

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The Authorization header value for a kind of caller (`null`: no header). */
export const authorization = async (caller: Caller, tenantId = TENANT): Promise<string | null> => {
  const now = Date.now();
  switch (caller) {
    case "platform":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "platform-1", role: "PLATFORM_ADMIN" })}`;
    case "district":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "district-1", role: "DISTRICT_ADMIN", tenantId })}`;
    case "otherDistrict":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "district-2", role: "DISTRICT_ADMIN", tenantId: `${tenantId}-other` })}`;
    case "unknownRole":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "teacher-1", role: "TEACHER", tenantId })}`;
    case "none":
      return null;
    case "expired":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "platform-1", role: "PLATFORM_ADMIN", ttlSeconds: 60, now: now - 3_600_000 })}`;
    case "noExp":
      return `Bearer ${await mintToken({ secret: JWT_SECRET, sub: "platform-1", role: "PLATFORM_ADMIN", ttlSeconds: null })}`;
    case "algNone": {
      const iat = Math.floor(now / 1000);
      return `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "platform-1", role: "PLATFORM_ADMIN", iat, exp: iat + 600 })}.`;
    }
    case "wrongSignature":
      return `Bearer ${await mintToken({ secret: "another-secret-that-is-long-enough-000000", sub: "platform-1", role: "PLATFORM_ADMIN" })}`;
  }
};

export interface TestApp {
  readonly app: ReturnType<typeof makeApp>;
  readonly runtime: ManagedRuntime.ManagedRuntime<Services, unknown>;
  readonly db: TestDatabase;
  /** Every log line: the app's access log and every Effect log of the runtime. */
  readonly logs: Array<string>;
  /** Every response body read through `call`. */
  readonly bodies: Array<string>;
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>;
  /** A request as `caller`; JSON bodies are serialized. Returns status, headers and the parsed body. */
  readonly call: (caller: Caller, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;
  readonly query: <R = Record<string, unknown>>(text: string) => Promise<Array<R>>;
  readonly close: () => Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

/** A cipher key fixed per harness (so a second runtime can read or fail to read the same rows). */
export const newKey = () => ({ id: `k${randomBytes(3).toString("hex")}`, key: new Uint8Array(randomBytes(32)) });

export const storageLayer = (db: TestDatabase, key: ConfigCipher.CipherKey, logs: Array<string>) =>
  PgStorage.layerNoDeps.pipe(
    Layer.provideMerge(Layer.merge(PgDatabase.layerFromHandle(db), ConfigCipher.layer([key]))),
    Layer.provideMerge(Logger.layer([Logger.make((o) => {
      logs.push(JSON.stringify({ level: o.logLevel, message: o.message, cause: Cause.pretty(o.cause) }));
    })])),
  );

export const openTestApp = async (options: Partial<AppOptions> & { readonly db?: TestDatabase; readonly key?: ConfigCipher.CipherKey } = {}): Promise<TestApp> => {
  const db = options.db ?? (await openTestDatabase());
  const logs: Array<string> = [];
  const bodies: Array<string> = [];
  const runtime = ManagedRuntime.make(storageLayer(db, options.key ?? newKey(), logs));
  const app = makeApp({
    runtime,
    authenticator: makeAuthenticator({ secret: new TextEncoder().encode(JWT_SECRET) }),
    log: (entry: LogEntry) => void logs.push(JSON.stringify(entry)),
    probeRedirects: false,
    ...options,
  });
  const call: TestApp["call"] = async (caller, method, path, body, headers = {}) => {
    const auth = await authorization(caller);
    const init: RequestInit = {
      method,
      headers: {
        ...(auth === null ? {} : { authorization: auth }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    };
    const res = await app.request(path, init);
    const text = await res.text();
    bodies.push(text);
    let json: unknown = undefined;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    app,
    runtime,
    db,
    logs,
    bodies,
    run: (effect) => runtime.runPromise(effect),
    call,
    query: async <R>(text: string) => (await sql.raw<R>(text).execute(db.db)).rows,
    close: async () => {
      await runtime.dispose();
      if (options.db === undefined) await db.close();
    },
  };
};

/** A provider straight through the repository (fixtures for route tests). */
export const createProvider = (t: TestApp, input: Partial<NewProvider> = {}): Promise<Provider> =>
  t.run(Effect.gen(function* () {
    return yield* (yield* ProviderRepository).create({
      tenantId: TENANT,
      providerType: "ONEROSTER_CSV",
      name: `p-${randomUUID().slice(0, 8)}`,
      config: { localPath: MAPLEWOOD },
      ...input,
    });
  }));

/** A PENDING manual run of a provider. */
export const enqueueRun = (t: TestApp, provider: Provider): Promise<SyncRun> =>
  t.run(Effect.gen(function* () {
    const { run } = yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
    return run;
  }));

/**
 * Executes the oldest pending run the way the worker does: claim it under a lease, then run the
 * executor with the scheduler's connector for its provider. Returns the finished run, or null.
 */
export const executeNext = (t: TestApp, options: { readonly env?: Readonly<Record<string, string | undefined>> } = {}) =>
  t.run(Effect.gen(function* () {
    const leases = yield* PgRunLeases.PgRunLeases;
    const [claimed] = yield* leases.claim("api-test", 120_000, 1);
    if (claimed === undefined) return null;
    const provider = yield* (yield* ProviderRepository).get(claimed.run.providerId);
    if (provider === null) return null;
    const { run } = yield* RunExecutor.execute(claimed.run, provider, { leaseToken: claimed.leaseToken }).pipe(
      Effect.provide(Connectors.layerFor(provider, options.env === undefined ? {} : { env: options.env })),
    );
    return run;
  }));

/** Polls `check` every `everyMs` until it returns a value, or fails after `timeoutMs`. */
export const eventually = async <A>(check: () => Promise<A | null | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((ok) => setTimeout(ok, everyMs));
  }
};
