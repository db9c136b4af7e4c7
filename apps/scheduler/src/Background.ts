/**
 * Scheduler + worker as one background service: `make` for Effect composition roots (the scope
 * owns them; closing it stops the scheduler and drains the worker), `startBackground` for
 * promise-based hosts such as the API's `main.ts`. On the embedded database (PGlite, one process
 * only) the host must pass its own runtime so the database is opened once.
 */
import { PgStorage } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as ManagedRuntime from "effect/ManagedRuntime";
import * as Scope from "effect/Scope";
import * as BackgroundConfig from "./BackgroundConfig";
import * as Logging from "./Logging";
import type * as RunJob from "./RunJob";
import * as Scheduler from "./Scheduler";
import * as Worker from "./Worker";

/** The storage services the background needs (all provided by `PgStorage.layer*`). */
export type BackgroundServices = RunJob.JobServices;

export interface Running {
  readonly worker: Worker.Worker | null;
  readonly scheduler: Scheduler.Scheduler | null;
}

/** Starts what `config` enables for the lifetime of the current scope. */
export const make = (config: BackgroundConfig.BackgroundConfig, options: Worker.WorkerOptions = {}) =>
  Effect.gen(function* () {
    const worker = config.worker === null
      ? null
      : yield* Effect.acquireRelease(Worker.start(config.worker, options), (w) => w.shutdown);
    // Released first (scopes release in reverse): no new runs are enqueued while the worker drains.
    const scheduler = config.scheduler === null
      ? null
      : yield* Effect.acquireRelease(Scheduler.start(config.scheduler), (s) => s.stop);
    return { worker, scheduler } satisfies Running;
  });

export interface BackgroundOptions {
  /** Where settings, storage and logging are read from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Settings; default `BackgroundConfig.fromEnv(env)`. */
  readonly config?: BackgroundConfig.BackgroundConfig;
  /** A runtime that already provides storage (the API's). It is used, never disposed, by `stop`. */
  readonly runtime?: ManagedRuntime.ManagedRuntime<BackgroundServices, unknown>;
  /** Storage when no runtime is given; default `PgStorage.layerFromEnv(env)`. JSON logging at `LOG_LEVEL` is added. */
  readonly layer?: Layer.Layer<BackgroundServices, unknown>;
  readonly worker?: Worker.WorkerOptions;
}

export interface Background {
  readonly config: BackgroundConfig.BackgroundConfig;
  /** Stops the scheduler, drains the worker (grace period, then cancel, then release), and closes what it opened. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts the scheduler and the worker; resolves once both run, rejects when settings or the
 * database are unusable.
 * @example
 * const background = await startBackground({ runtime })   // in the API's main.ts
 * process.once("SIGTERM", () => void background.stop().then(() => process.exit(0)))
 */
export const startBackground = async (options: BackgroundOptions = {}): Promise<Background> => {
  const env = options.env ?? process.env;
  const config = options.config ?? BackgroundConfig.fromEnv(env);
  const owned = options.runtime === undefined;
  const runtime: ManagedRuntime.ManagedRuntime<BackgroundServices, unknown> = options.runtime ??
    ManagedRuntime.make(Layer.mergeAll(options.layer ?? PgStorage.layerFromEnv(env), Logging.layer(env)));
  const scope = Scope.makeUnsafe();
  try {
    await runtime.runPromise(Scope.provide(scope)(make(config, options.worker)));
  } catch (error) {
    await runtime.runPromise(Scope.close(scope, Exit.void)).catch(() => undefined);
    if (owned) await runtime.dispose().catch(() => undefined);
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    config,
    stop: () =>
      (stopping ??= (async () => {
        await runtime.runPromise(Scope.close(scope, Exit.void));
        if (owned) await runtime.dispose();
      })()),
  };
};
