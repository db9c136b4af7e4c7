/**
 * The roster store on PostgreSQL / PGlite. Every step is set-based: staging is a COPY into the
 * run's own UNLOGGED partition, each kind's rows that need a decision are worked out once with hash
 * joins (the work set) and read back one chunk per statement, and `apply` loads each kind with a
 * handful of INSERT … SELECT / UPDATE … FROM statements in one transaction. Rows the feed did not
 * change never reach a write statement.
 *
 * The steps live in `internal/roster-store/`, one module each: `Digests`, `Staging`, `WorkSets`,
 * `Planning`, `Deactivations`, `Loading` and `Pruning`, over a shared `StoreSession`.
 */
import { LeaseLostError, RosterStore, RosterStoreError, type RosterStoreShape } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { makeDeactivations } from "./internal/roster-store/Deactivations";
import { makeDigests } from "./internal/roster-store/Digests";
import { LeaseLost, makeLoading } from "./internal/roster-store/Loading";
import { makePlanning } from "./internal/roster-store/Planning";
import { makePruning } from "./internal/roster-store/Pruning";
import { makeStaging } from "./internal/roster-store/Staging";
import { makeStoreSession, type PgRosterStoreOptions } from "./internal/roster-store/StoreSession";
import { makeWorkSets } from "./internal/roster-store/WorkSets";
import { PgDatabase, errorMessage, type PgHandle } from "./PgDatabase";

export type { PgRosterStoreOptions } from "./internal/roster-store/StoreSession";

const attempt = <A>(label: string, run: () => Promise<A>): Effect.Effect<A, RosterStoreError> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new RosterStoreError({ message: `${label}: ${errorMessage(cause)}`, cause }),
  });

/** The store over an open database handle. */
export const makeWith = (handle: PgHandle, options: PgRosterStoreOptions = {}): RosterStoreShape => {
  const session = makeStoreSession(handle, options);
  const { contentDigest } = makeDigests(session);
  const { stageRows, recordIssues, sealKind } = makeStaging(session);
  const workSets = makeWorkSets(session);
  const { planCandidates, savePlan, planInStore } = makePlanning(session, workSets);
  const deactivations = makeDeactivations(session);
  const { apply } = makeLoading(session, workSets, deactivations);
  const { pruneStaging } = makePruning(session);

  return {
    contentDigest: (scope, kind) => attempt("contentDigest", () => contentDigest(scope, kind)),
    stage: (scope, kind, rows) => attempt("stage", () => stageRows(scope, kind, rows)),
    recordIssues: (scope, issues) => attempt("recordIssues", () => recordIssues(scope, issues)),
    sealKind: (scope, kind, hint) => attempt("sealKind", () => sealKind(scope, kind, hint)),
    countStaged: (scope, kind) => attempt("countStaged", () => workSets.countStaged(scope, kind)),
    planCandidates: (scope, kind, modes, afterSeq, limit) =>
      attempt("planCandidates", () => planCandidates(scope, kind, modes, afterSeq, limit)),
    savePlan: (scope, kind, decisions) => attempt("savePlan", () => savePlan(scope, kind, decisions)),
    planInStore: (scope, kind, modes, policy) => attempt("planInStore", () => planInStore(scope, kind, modes, policy)),
    previewDeactivations: (scope, kind, mode, hint) =>
      attempt("previewDeactivations", () => deactivations.previewDeactivations(scope, kind, mode, hint)),
    apply: (scope, kinds) =>
      Effect.tryPromise({
        try: () => apply(scope, kinds),
        catch: (cause): RosterStoreError | LeaseLostError =>
          cause instanceof LeaseLost
            ? new LeaseLostError({ runId: scope.runId, message: "lock timed out: the run's lease is no longer held, nothing was applied" })
            : new RosterStoreError({ message: `apply: ${errorMessage(cause)}`, cause }),
      }),
    pruneStaging: (providerId, keep) => attempt("pruneStaging", () => pruneStaging(providerId, keep)),
  };
};

/** The store over the `PgDatabase` service. */
export const makeWithOptions = (options: PgRosterStoreOptions) =>
  Effect.gen(function* () {
    const handle = yield* PgDatabase;
    return RosterStore.of(makeWith(handle, options));
  });

export const make = makeWithOptions({});

/**
 * @example
 * const StoreLive = PgRosterStore.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<RosterStore, never, PgDatabase> = Layer.effect(RosterStore, make);

/** `layer` with tuning options (tests use them to force one join strategy). */
export const layerWith = (options: PgRosterStoreOptions): Layer.Layer<RosterStore, never, PgDatabase> =>
  Layer.effect(RosterStore, makeWithOptions(options));
