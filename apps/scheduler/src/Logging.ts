/**
 * Structured logs: one JSON object per line on stderr at `LOG_LEVEL` (debug, info, warn, error;
 * default info). Run lines carry `runId`, `providerId` and `tenantId` annotations; provider
 * configs and connection strings are never logged.
 */
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as References from "effect/References";

const LEVELS = { debug: "Debug", info: "Info", warn: "Warn", warning: "Warn", error: "Error" } as const;

/** Effect's log level for `LOG_LEVEL` (unknown values fall back to info). */
export const logLevel = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  LEVELS[(env["LOG_LEVEL"] ?? "info").trim().toLowerCase() as keyof typeof LEVELS] ?? "Info";

/** JSON lines on stderr at the environment's level. */
export const layer = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  Layer.mergeAll(
    Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
    Layer.succeed(References.MinimumLogLevel, logLevel(env)),
  );
