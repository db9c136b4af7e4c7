/**
 * The CLI's composition root: storage from the environment and JSON logs on stderr at LOG_LEVEL,
 * so stdout stays clean for `--json` output.
 */
import { Logging } from "@sis-sync/scheduler";
import { PgStorage } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as References from "effect/References";
import { UsageError } from "./Usage";

/** JSON lines on stderr at `LOG_LEVEL` (an unknown level is a usage error, exit 2). */
export const loggingLayer = () => {
  let level;
  try {
    level = Logging.logLevel(process.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return Layer.mergeAll(
    Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
    Layer.succeed(References.MinimumLogLevel, level),
  );
};

export const storageLayer = () => PgStorage.layerFromEnv(process.env);

/** Runs a command with storage and logging provided. */
export const runCommand = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.runPromise(
    program.pipe(
      Effect.provide(storageLayer()),
      Effect.provide(loggingLayer()),
      Effect.scoped,
    ) as Effect.Effect<A, E>,
  );
