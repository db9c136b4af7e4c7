/**
 * The run worker: claims PENDING runs (`FOR UPDATE SKIP LOCKED`) up to its concurrency, executes
 * each as a `RunJob` under a renewed lease, ends runs whose lease ran out (FAILURE "lock timed
 * out", provider freed), and shuts down gracefully: stop claiming, let runs finish within the grace
 * period, then cancel them at their next checkpoint, then release what still runs.
 */
import { RunRepository, type Provider, type RosterSource, type RunPhase } from "@sis-sync/core";
import { PgRunLeases } from "@sis-sync/storage-pg";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import type * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import type { WorkerConfig } from "./BackgroundConfig";
import * as Connectors from "./Connectors";
import * as RunJob from "./RunJob";

export interface WorkerOptions {
  /** The provider's roster source; default `Connectors.layerFor`. */
  readonly sourceLayer?: (provider: Provider) => Layer.Layer<RosterSource>;
  readonly execute?: RunJob.JobOptions["execute"];
}

export interface Worker {
  readonly owner: string;
  /** Runs this worker holds right now. */
  readonly active: () => ReadonlyArray<{ readonly runId: string; readonly phase: RunPhase }>;
  /** Stops claiming and drains (see the module comment). Idempotent; resolves when no run is held. */
  readonly shutdown: Effect.Effect<void>;
}

interface Job {
  readonly control: RunJob.JobControl;
  readonly fiber: Fiber.Fiber<RunJob.JobResult>;
}

const MAX_BACKOFF_MS = 30_000;

/** Starts the claim loop and the expiry sweep in the background; `shutdown` ends both. */
export const start = (config: WorkerConfig, options: WorkerOptions = {}) =>
  Effect.gen(function* () {
    const leases = yield* PgRunLeases.PgRunLeases;
    const runs = yield* RunRepository;
    const jobOptions: RunJob.JobOptions = {
      leaseMs: config.leaseMs,
      heartbeatMs: config.heartbeatMs,
      sourceLayer: options.sourceLayer ?? ((provider) => Connectors.layerFor(provider)),
      ...(options.execute === undefined ? {} : { execute: options.execute }),
    };
    const jobs = new Map<string, Job>();
    let stopping = false;
    // Completed to cut the loop's wait short: a run ended, or shutdown began. Replaced every round.
    let wake = Deferred.makeUnsafe<void>();
    const poke = Effect.suspend(() => Deferred.succeed(wake, undefined));

    const launch = (leased: PgRunLeases.LeasedRun, sentAt: number) =>
      Effect.gen(function* () {
        const control = RunJob.newControl(config.leaseMs, sentAt);
        const fiber = yield* RunJob.run(leased, control, jobOptions).pipe(
          Effect.ensuring(Effect.suspend(() => {
            jobs.delete(leased.run.id);
            return poke;
          })),
          Effect.forkDetach,
        );
        jobs.set(leased.run.id, { control, fiber });
      });

    // Claim and launch are one uninterruptible step, so a claimed run always gets its job.
    const claimRound = Effect.uninterruptible(Effect.gen(function* () {
      const free = config.maxConcurrent - jobs.size;
      if (free <= 0) return true;
      const sentAt = RunJob.monotonic();
      const claimed = yield* leases.claim(config.owner, config.leaseMs, free);
      for (const leased of claimed) yield* launch(leased, sentAt);
      return true;
    }));

    const loop = Effect.gen(function* () {
      let failures = 0;
      while (!stopping) {
        wake = Deferred.makeUnsafe<void>();
        const ok = yield* claimRound.pipe(
          Effect.catch((e) =>
            (failures === 0 ? Effect.logWarning(`cannot claim runs, retrying: ${e.message}`) : Effect.logDebug(`claim failed again: ${e.message}`))
              .pipe(Effect.as(false))),
        );
        failures = ok ? 0 : failures + 1;
        const wait = ok ? config.pollIntervalMs : Math.min(MAX_BACKOFF_MS, config.pollIntervalMs * 2 ** Math.min(failures, 10));
        if (stopping) break;
        yield* Effect.raceFirst(Effect.sleep(wait), Deferred.await(wake));
      }
    });

    const sweep = Effect.gen(function* () {
      for (;;) {
        const expired = yield* leases.expire().pipe(
          Effect.catch((e) => Effect.logWarning(`cannot expire leases: ${e.message}`).pipe(Effect.as([] as ReadonlyArray<string>))),
        );
        for (const runId of expired) {
          const run = yield* runs.get(runId).pipe(Effect.orElseSucceed(() => null));
          yield* Effect.logWarning("lock timed out: the run's lease expired; it ended FAILURE and its provider is free again").pipe(
            Effect.annotateLogs({ runId, providerId: run?.providerId, tenantId: run?.tenantId }),
          );
        }
        yield* Effect.sleep(config.expireIntervalMs);
      }
    });

    const annotate = Effect.annotateLogs({ workerId: config.owner });
    const loopFiber = yield* loop.pipe(annotate, Effect.forkDetach);
    const sweepFiber = yield* sweep.pipe(annotate, Effect.forkDetach);
    yield* Effect.logInfo("worker started").pipe(
      Effect.annotateLogs({ maxConcurrent: config.maxConcurrent, leaseMs: config.leaseMs, pollIntervalMs: config.pollIntervalMs }),
      annotate,
    );

    /** True when every held run ended within `ms`. */
    const awaitJobs = (ms: number) =>
      Effect.suspend(() => {
        const fibers = [...jobs.values()].map((job) => job.fiber);
        if (fibers.length === 0) return Effect.succeed(true);
        return Fiber.awaitAll(fibers).pipe(Effect.timeoutOption(ms), Effect.map(Option.isSome));
      });

    const drain = Effect.gen(function* () {
      stopping = true;
      yield* poke;
      yield* Fiber.await(loopFiber);
      yield* Fiber.interrupt(sweepFiber);
      if (jobs.size > 0) {
        yield* Effect.logInfo(`shutting down: waiting up to ${config.shutdownGraceMs} ms for ${jobs.size} run(s) to finish`);
        if (!(yield* awaitJobs(config.shutdownGraceMs))) {
          yield* Effect.logWarning(`grace period over: cancelling ${jobs.size} run(s) at their next checkpoint`);
          for (const job of jobs.values()) job.control.shuttingDown = true;
          if (!(yield* awaitJobs(config.cancelWindowMs))) {
            for (const [runId, job] of jobs) {
              if (RunJob.isCommitting(job.control.phase)) continue;
              yield* Effect.logWarning("run did not reach a checkpoint: releasing it as CANCELLED").pipe(Effect.annotateLogs({ runId }));
              yield* Fiber.interrupt(job.fiber);
            }
            // What is left is committing its load; the database decides that transaction, so wait for it.
            while (!(yield* awaitJobs(5_000))) {
              yield* Effect.logWarning(`waiting for ${jobs.size} run(s) committing their load`);
            }
          }
        }
      }
      yield* Effect.logInfo("worker stopped");
    }).pipe(annotate);

    const stopped = yield* Deferred.make<void>();
    let draining = false;
    const shutdown = Effect.suspend(() => {
      if (draining) return Deferred.await(stopped);
      draining = true;
      return drain.pipe(Effect.ensuring(Deferred.succeed(stopped, undefined)));
    }).pipe(Effect.uninterruptible);

    return {
      owner: config.owner,
      active: () => [...jobs].map(([runId, job]) => ({ runId, phase: job.control.phase })),
      shutdown,
    } satisfies Worker;
  });
