/**
 * Structured logs: one JSON object per line on stderr at `LOG_LEVEL` (debug, info, warn, error;
 * default info). Run lines carry `runId`, `providerId` and `tenantId` annotations; provider
 * configs and connection strings are never logged.
 */
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as References from "effect/References";

const LEVELS = { debug: "Debug", info: "Info", warn: "Warn", warning: "Warn", error: "Error" } as const;

export type LogLevelName = keyof typeof LEVELS;

/** `LOG_LEVEL` is none of the levels: the process refuses to start rather than log at a level nobody chose. */
export class LogLevelError extends Error {
  override readonly name = "LogLevelError";
}

/** The `LOG_LEVEL` name (default info), lower-cased; throws `LogLevelError` for anything else. */
export const logLevelName = (env: Readonly<Record<string, string | undefined>> = process.env): LogLevelName => {
  const raw = env["LOG_LEVEL"]?.trim() || "info";
  const name = raw.toLowerCase();
  if (!(name in LEVELS)) throw new LogLevelError(`LOG_LEVEL must be debug, info, warn or error, got "${raw}"`);
  return name as LogLevelName;
};

/** Effect's log level for `LOG_LEVEL`; throws `LogLevelError` for an unknown one. */
export const logLevel = (env: Readonly<Record<string, string | undefined>> = process.env) => LEVELS[logLevelName(env)];

/** JSON lines on stderr at the environment's level. */
export const layer = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  Layer.mergeAll(
    Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
    Layer.succeed(References.MinimumLogLevel, logLevel(env)),
  );
