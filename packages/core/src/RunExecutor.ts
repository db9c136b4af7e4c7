/**
 * Executes one queued run of a provider from start to finish: the use case shared by the CLI and
 * the worker. It wires cancellation and progress to the run repository and always records an
 * outcome, so a run never stays IN_PROGRESS because of a feed or storage problem.
 */
import * as Effect from "effect/Effect";
import { resolveOptions } from "./ProviderConfig";
import { ProviderRepository, RunRepository, type Provider, type SyncRun } from "./Providers";
import { RosterStore, type RosterStoreError } from "./RosterStore";
import * as SyncEngine from "./SyncEngine";

export interface ExecuteOptions {
  readonly leaseToken?: string;
  readonly chunkSize?: number;
  /** Staging of older runs kept per provider, for debugging. */
  readonly keepStagedRuns?: number;
}

export const execute = Effect.fn("RunExecutor.execute")(function* (run: SyncRun, provider: Provider, options: ExecuteOptions = {}) {
  const runs = yield* RunRepository;
  const providers = yield* ProviderRepository;
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
    onProgress: (phase, progress) => runs.setPhase(run.id, phase, progress).pipe(Effect.orElseSucceed(() => undefined)),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
  }).pipe(
    Effect.catchTag("RosterStoreError", (e: RosterStoreError) =>
      Effect.succeed({ status: "FAILURE" as const, stats: null, errorMessage: `Storage error: ${e.message}`, issueCount: 0, applied: false })),
  );
  yield* Effect.logInfo("run finished").pipe(Effect.annotateLogs({ status: outcome.status, error: outcome.errorMessage ?? undefined }));
  const finished = yield* runs.finish(run.id, { status: outcome.status, stats: outcome.stats, errorMessage: outcome.errorMessage });
  if (!run.dryRun) yield* providers.touchLastSync(provider.id, finished.completedAt ?? new Date());
  yield* store.pruneStaging(provider.id, options.keepStagedRuns ?? 5);
  return { run: finished, outcome };
}, (effect, run) => Effect.annotateLogs(effect, { runId: run.id, providerId: run.providerId, tenantId: run.tenantId }));
