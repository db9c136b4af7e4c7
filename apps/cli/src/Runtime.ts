/**
 * The CLI's composition root: storage from the environment and JSON logs on stderr at LOG_LEVEL,
 * so stdout stays clean for `--json` output.
 */
import { PgStorage } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as References from "effect/References";

const LEVELS = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const;

export const logLevel = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  LEVELS[(env["LOG_LEVEL"] ?? "info").toLowerCase() as keyof typeof LEVELS] ?? "Info";

export const loggingLayer = Layer.mergeAll(
  Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
  Layer.succeed(References.MinimumLogLevel, logLevel()),
);

export const storageLayer = () => PgStorage.layerFromEnv(process.env);

/** Runs a command with storage and logging provided. */
export const runCommand = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.runPromise(
    program.pipe(
      Effect.provide(storageLayer()),
      Effect.provide(loggingLayer),
      Effect.scoped,
    ) as Effect.Effect<A, E>,
  );
