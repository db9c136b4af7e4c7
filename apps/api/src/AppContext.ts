/**
 * What routes run with: the storage services (through one runtime per process), the
 * authenticator, outbound and local-path policies, limits, and the connector lookup used by
 * "test connection". `makeApp` fills in defaults; tests replace any part.
 */
import type { Provider, ProviderRepository, RosterReader, RosterSourceError, RosterSourceShape, RunRepository } from "@sis-sync/core";
import type { PgAuditLog, PgDatabase } from "@sis-sync/storage-pg";
import type * as Effect from "effect/Effect";
import type * as Exit from "effect/Exit";
import type { Authenticator } from "./auth/Jwt";
import type { LocalPathPolicy } from "./security/LocalPath";
import type { OutboundUrl } from "@sis-sync/scheduler";
type OutboundPolicy = OutboundUrl.OutboundPolicy;
import type { RateLimiter } from "./services/RateLimiter";

/** The services route handlers need. */
export type ApiServices =
  | ProviderRepository
  | RunRepository
  | RosterReader
  | PgAuditLog.PgAuditLog
  | PgDatabase.PgDatabase;

/** Anything that runs effects needing `ApiServices`, e.g. a `ManagedRuntime` over `PgStorage.layerFromEnv()`. */
export interface ApiRuntime {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, ApiServices>) => Promise<Exit.Exit<A, unknown>>;
}

/** One structured log line (JSON). Never holds request bodies, configs or tokens. */
export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly msg: string;
  readonly [key: string]: unknown;
}

/**
 * A log entry as one JSON line in the shape of Effect's `formatJson` (`message`, `level`,
 * `timestamp`, `annotations`): the sync engine's and the worker's lines share the stream, and one
 * shape lets a log pipeline parse them all.
 */
export const logLine = ({ level, msg, ...annotations }: LogEntry): string =>
  `${JSON.stringify({ message: msg, level: level.toUpperCase(), timestamp: new Date().toISOString(), annotations })}\n`;

export type SourceFor = (provider: Provider) => Effect.Effect<RosterSourceShape, RosterSourceError>;

export interface AppContext {
  readonly runtime: ApiRuntime;
  readonly authenticator: Authenticator;
  readonly production: boolean;
  readonly outbound: OutboundPolicy;
  readonly localPaths: LocalPathPolicy;
  readonly bodyLimitBytes: number;
  readonly syncLimiter: RateLimiter;
  readonly testLimiter: RateLimiter;
  readonly sourceFor: SourceFor;
  /** Probe provider URLs for redirects before a connection test (default true). */
  readonly probeRedirects: boolean;
  readonly testTimeoutMs: number;
  readonly log: (entry: LogEntry) => void;
}
