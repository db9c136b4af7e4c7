/**
 * Executes one queued run of a provider from start to finish: the use case shared by the CLI and
 * the worker. It wires cancellation and progress to the run repository and always records an
 * outcome, so a run never stays IN_PROGRESS because of a feed or storage problem.
 */
import * as Effect from "effect/Effect";
import { resolveOptions, scrubSecrets, secretValues } from "./ProviderConfig";
import { RunRepository, type Provider, type RunPhase, type RunProgress, type SyncRun } from "./Providers";
import { RosterStore, type RosterStoreError } from "./RosterStore";
import * as SyncEngine from "./SyncEngine";

export interface ExecuteOptions {
  readonly leaseToken?: string;
  readonly chunkSize?: number;
  /** Staging of older runs kept per provider, for debugging. */
  readonly keepStagedRuns?: number;
}

/** How often, at most, a run's progress within one phase is written (each write is a commit). */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Progress as the run's page needs it: on every phase change and when a kind first shows up (so a
 * feed that stalls after its first batch already shows it), otherwise at most once per
 * `PROGRESS_INTERVAL_MS`. The engine reports after every batch (170 for a 100 000-student export),
 * and a commit per batch cost the unchanged re-sync a tenth of its time.
 */
const throttled = (write: (phase: RunPhase, progress: RunProgress) => Effect.Effect<void>) => {
  let lastShape = "";
  let lastAt = 0;
  return (phase: RunPhase, progress: RunProgress): Effect.Effect<void> =>
    Effect.suspend(() => {
      const now = Date.now();
      const shape = `${phase}:${Object.keys(progress.staged).length}:${Object.keys(progress.planned).length}`;
      if (shape === lastShape && now - lastAt < PROGRESS_INTERVAL_MS) return Effect.void;
      lastShape = shape;
      lastAt = now;
      return write(phase, progress);
    });
};

export const execute = Effect.fn("RunExecutor.execute")(function* (run: SyncRun, provider: Provider, options: ExecuteOptions = {}) {
  const runs = yield* RunRepository;
  const store = yield* RosterStore;
  const resolved = resolveOptions(provider.options);
  const scope = { runId: run.id, tenantId: run.tenantId, providerId: run.providerId, leaseToken: options.leaseToken };
  const checkpoint = runs.isCancelRequested(run.id).pipe(
    Effect.flatMap((cancelled) => (cancelled ? Effect.fail(new SyncEngine.SyncCancelled({ message: "Cancelled on request" })) : Effect.void)),
  );
  const outcome = yield* SyncEngine.run(scope, {
    dryRun: run.dryRun,
    overrideSafeguard: run.overrideSafeguard,
    createUsers: resolved.createUsers,
    safeguardPercent: resolved.safeguardPercent,
    checkpoint,
    onProgress: throttled((phase, progress) => runs.setPhase(run.id, phase, progress).pipe(Effect.orElseSucceed(() => undefined))),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
  }).pipe(
    Effect.catchTag("RosterStoreError", (e: RosterStoreError) =>
      Effect.succeed({ status: "FAILURE" as const, stats: null, errorMessage: `Storage error: ${e.message}`, issueCount: 0, applied: false })),
  );
  // Connector messages carry upstream text: a secret that slipped into one is stored and logged as "***".
  const errorMessage = outcome.errorMessage === null ? null : scrubSecrets(outcome.errorMessage, secretValues(provider.providerType, provider.config));
  yield* Effect.logInfo("run finished").pipe(Effect.annotateLogs({ status: outcome.status, error: errorMessage ?? undefined }));
  // Also the provider's last sync, unless a dry run: one write, so no reader sees one without the other.
  const finished = yield* runs.finish(run.id, { status: outcome.status, stats: outcome.stats, errorMessage });
  yield* store.pruneStaging(provider.id, options.keepStagedRuns ?? 5);
  return { run: finished, outcome: { ...outcome, errorMessage } };
}, (effect, run) => Effect.annotateLogs(effect, { runId: run.id, providerId: run.providerId, tenantId: run.tenantId }));
