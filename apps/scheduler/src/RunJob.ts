/**
 * One leased run, executed to its end: the provider loaded, `RunExecutor.execute` run under the
 * lease with a heartbeat, and every write dropped once the lease is gone. The database fences the
 * load itself (`PgRosterStore.apply` checks the lease token in its transaction); this module keeps
 * a stalled or superseded worker from also touching the run's status and progress (and with the
 * status the provider's `lastSyncAt`) or the staging of other runs, and stops it at its next checkpoint.
 */
import {
  ProviderRepository, RosterStore, RunExecutor, RunRepository, type Provider, type RosterSource, type RunPhase, type SyncRun,
} from "@sis-sync/core";
import { PgRunLeases } from "@sis-sync/storage-pg";
import * as Cause from "effect/Cause";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import type * as Layer from "effect/Layer";

export type JobServices = RunRepository | ProviderRepository | RosterStore | PgRunLeases.PgRunLeases;

export interface JobOptions {
  /** Lease length; each renewal extends the lease this far on database time. */
  readonly leaseMs: number;
  /** Renewal period (a third of the lease). */
  readonly heartbeatMs: number;
  /** The provider's roster source (default in the worker: `Connectors.layerFor`). */
  readonly sourceLayer: (provider: Provider) => Layer.Layer<RosterSource>;
  readonly execute?: Pick<RunExecutor.ExecuteOptions, "chunkSize" | "keepStagedRuns">;
}

/** Live state of one run, shared between the job, its heartbeat and the worker's shutdown. */
export interface JobControl {
  /** The run's current phase, as the executor reports it. */
  phase: RunPhase;
  /** Set by the worker's shutdown: the run stops at its next checkpoint and ends CANCELLED. */
  shuttingDown: boolean;
  /** The lease is gone (renewal refused, or its deadline passed): write nothing more. */
  leaseLost: boolean;
  /** Local monotonic time (ms) before which the lease surely still holds on the database. */
  deadline: number;
}

export type JobResult =
  | { readonly type: "finished"; readonly run: SyncRun }
  | { readonly type: "lease-lost" }
  | { readonly type: "error"; readonly message: string };

export const SHUTDOWN_MESSAGE = "Cancelled: the worker shut down before the run finished; run it again";

/** Monotonic milliseconds (keeps counting while the process is stopped). */
export const monotonic = (): number => performance.now();

/**
 * A fresh control for a lease obtained by a request sent at `sentAt` (monotonic ms): the database
 * set the expiry after that moment, so `sentAt + leaseMs` is a safe local deadline.
 */
export const newControl = (leaseMs: number, sentAt: number): JobControl => ({
  phase: "extract",
  shuttingDown: false,
  leaseLost: false,
  deadline: sentAt + leaseMs,
});

/** True while the lease surely holds. */
export const holds = (control: JobControl): boolean => !control.leaseLost && monotonic() < control.deadline;

/** Phases past the last checkpoint: the load is committing or committed, so the run must be let finish. */
export const isCommitting = (phase: RunPhase): boolean => phase === "load" || phase === "finish";

const providerProblem = (provider: Provider | null): string | null =>
  provider === null ? "The provider was deleted before the run started." : provider.enabled ? null : "The provider is disabled.";

/**
 * Executes a leased run to its end. Never fails: every outcome is recorded on the run (or, once
 * the lease is lost, deliberately not) and returned. When interrupted (the worker's forced
 * shutdown), the run is marked CANCELLED and its lease released, unless the lease is already gone.
 */
export const run = Effect.fn("RunJob.run")(function* (leased: PgRunLeases.LeasedRun, control: JobControl, options: JobOptions) {
  const runs = yield* RunRepository;
  const providers = yield* ProviderRepository;
  const store = yield* RosterStore;
  const leases = yield* PgRunLeases.PgRunLeases;
  const { run: queued, leaseToken } = leased;
  const lost = yield* Deferred.make<void>();

  const markLost = (reason: string) =>
    Effect.suspend(() => {
      if (control.leaseLost) return Effect.void;
      control.leaseLost = true;
      return Effect.logWarning(`lease lost: ${reason}; this worker writes nothing more for the run`).pipe(
        Effect.andThen(Deferred.succeed(lost, undefined)),
      );
    });

  // Renews every heartbeatMs; a refused renewal or a passed deadline means another party owns the run now.
  const heartbeat = Effect.gen(function* () {
    let retrying = false;
    for (;;) {
      const left = control.deadline - monotonic();
      // After a failed renewal, retry well before the deadline rather than a full period later.
      const wait = retrying ? Math.min(options.heartbeatMs, Math.max(50, left / 4)) : Math.min(options.heartbeatMs, left - 1);
      yield* Effect.sleep(Math.max(10, wait));
      if (control.leaseLost) return;
      if (monotonic() >= control.deadline) return yield* markLost("its deadline passed before it could be renewed");
      const sentAt = monotonic();
      const renewed = yield* leases.renew(queued.id, leaseToken, options.leaseMs).pipe(
        Effect.tapError((e) => Effect.logWarning(`lease renewal failed, retrying: ${e.message}`)),
        Effect.orElseSucceed(() => null),
      );
      retrying = renewed === null;
      if (renewed === true) control.deadline = sentAt + options.leaseMs;
      else if (renewed === false) return yield* markLost("the run was expired or taken over");
    }
  });

  // The ports as the executor sees them: writes pass only while the lease holds.
  const guardedRuns = RunRepository.of({
    ...runs,
    isCancelRequested: (runId) =>
      Effect.suspend(() => (control.shuttingDown || !holds(control) ? Effect.succeed(true) : runs.isCancelRequested(runId))),
    setPhase: (runId, phase, progress) =>
      Effect.suspend(() => {
        control.phase = phase;
        return holds(control) ? runs.setPhase(runId, phase, progress) : Effect.void;
      }),
    finish: (runId, outcome) =>
      Effect.suspend(() => {
        if (!holds(control)) return runs.get(runId).pipe(Effect.map((current) => current ?? { ...queued, status: outcome.status }));
        const errorMessage = control.shuttingDown && outcome.status === "CANCELLED" ? SHUTDOWN_MESSAGE : outcome.errorMessage;
        return runs.finish(runId, { ...outcome, errorMessage });
      }),
  });
  const guardedStore = RosterStore.of({
    ...store,
    pruneStaging: (providerId, keep) => Effect.suspend(() => (holds(control) ? store.pruneStaging(providerId, keep) : Effect.succeed(0))),
  });

  /** Records an outcome the executor could not record itself, if the run is still ours and still running. */
  const recordFailure = (status: "FAILURE" | "CANCELLED", message: string) =>
    Effect.gen(function* () {
      if (!holds(control)) return;
      const current = yield* runs.get(queued.id);
      if (current?.status !== "IN_PROGRESS") return;
      yield* runs.finish(queued.id, { status, stats: null, errorMessage: message });
    }).pipe(Effect.catch((e) => Effect.logError(`could not record the run's outcome: ${e.message}`)));

  yield* Effect.logInfo("run started").pipe(Effect.annotateLogs({ manual: queued.isManual, dryRun: queued.dryRun }));
  const heartbeatFiber = yield* Effect.forkDetach(heartbeat);
  const body = Effect.gen(function* () {
    const loaded = yield* providers.get(queued.providerId).pipe(
      Effect.map((provider) => ({ provider, problem: providerProblem(provider) })),
      Effect.catch((e) => Effect.succeed({ provider: null, problem: `Cannot load the provider: ${e.message}` })),
    );
    if (loaded.problem !== null || loaded.provider === null) {
      const problem = loaded.problem ?? "The provider was deleted before the run started.";
      yield* Effect.logWarning(`run not started: ${problem}`);
      yield* recordFailure("FAILURE", problem);
      const current = yield* runs.get(queued.id).pipe(Effect.orElseSucceed(() => null));
      return { type: "finished", run: current ?? queued } satisfies JobResult;
    }
    const provider = loaded.provider;
    const executed = yield* RunExecutor.execute(queued, provider, { leaseToken, ...options.execute }).pipe(
      Effect.provideService(RunRepository, guardedRuns),
      Effect.provideService(RosterStore, guardedStore),
      Effect.provide(options.sourceLayer(provider)),
      Effect.map(({ run: finished }): JobResult => (holds(control) ? { type: "finished", run: finished } : { type: "lease-lost" })),
      Effect.catchCause((cause) =>
        Effect.gen(function* () {
          const message = Cause.hasInterruptsOnly(cause) ? "interrupted" : Cause.pretty(cause);
          yield* Effect.logError(`run failed in the worker: ${message}`);
          yield* recordFailure("FAILURE", "The worker failed while running the sync; see its logs. Run it again.");
          return { type: "error", message } satisfies JobResult;
        })),
    );
    return executed;
  }).pipe(
    // Forced shutdown: nothing was applied (the worker never interrupts a committing run), so release the run as CANCELLED.
    Effect.onInterrupt(() => recordFailure("CANCELLED", SHUTDOWN_MESSAGE)),
  );

  // A lost lease stops the run at once, unless the load is already committing (the database decides that one).
  const stopOnLoss = Deferred.await(lost).pipe(
    Effect.andThen(Effect.suspend(() => (isCommitting(control.phase) ? Effect.never : Effect.succeed({ type: "lease-lost" } satisfies JobResult)))),
  );
  const result = yield* Effect.raceFirst(body, stopOnLoss).pipe(Effect.ensuring(Fiber.interrupt(heartbeatFiber)));
  if (result.type === "finished") {
    yield* Effect.logDebug("run released").pipe(Effect.annotateLogs({ status: result.run.status }));
  } else if (result.type === "lease-lost") {
    yield* Effect.logWarning("run abandoned: its lease was lost; nothing was written after that");
  }
  return result;
}, (effect, leased) => Effect.annotateLogs(effect, { runId: leased.run.id, providerId: leased.run.providerId, tenantId: leased.run.tenantId }));
