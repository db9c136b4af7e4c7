/**
 * The sync engine: extract → stage → plan → safeguard → load → finish, against the two ports.
 * Records stream through in batches and chunks; no kind is ever held whole in memory. Each kind is
 * planned as soon as its batches end, while the source reads the next kinds. A run that fails, is
 * cancelled or trips the safeguard applies nothing: the load is one transaction.
 */
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Fiber from "effect/Fiber";
import * as Schema from "effect/Schema";
import * as Scope from "effect/Scope";
import * as Stream from "effect/Stream";
import type { ContentDigest } from "./ContentDigest";
import { contentHashInto, hashHex } from "./ContentHash";
import { uuidv7 } from "./EntityId";
import * as Plan from "./Plan";
import type { FinalStatus, RunPhase, RunProgress } from "./Providers";
import { KIND_PLURAL, KINDS, normalizeEmail, normalizeStudentNumber, type AnyRecord, type Kind } from "./Roster";
import { RosterSource, RosterSourceError, type FeedMode } from "./RosterSource";
import { RosterStore, type DeactivationHint, type LeaseLostError, type PlanDecision, type RosterStoreError, type RunScope, type StagedRow } from "./RosterStore";
import { rowIssue, type RowIssue } from "./RowIssue";
import * as Safeguard from "./Safeguard";
import { SeenIds } from "./SeenIds";
import { emptyStats, statsOf, totalErrors, type SyncStats } from "./SyncStats";
import { refsOf, rejectReason } from "./Validate";

/** Raised by a checkpoint when the run was asked to stop. */
export class SyncCancelled extends Schema.TaggedError<SyncCancelled>()("SyncCancelled", {
  message: Schema.String,
}) {}

export interface SyncOptions {
  readonly dryRun: boolean;
  readonly overrideSafeguard: boolean;
  readonly createUsers: boolean;
  readonly safeguardPercent: number;
  /** Staged rows planned per round trip. */
  readonly chunkSize?: number;
  /** Checked between batches and chunks; fails with `SyncCancelled` to stop the run. */
  readonly checkpoint?: Effect.Effect<void, SyncCancelled | RosterStoreError>;
  readonly onProgress?: (phase: RunPhase, progress: RunProgress) => Effect.Effect<void>;
  /** Ids for users the engine creates (the store makes them for kinds it decides itself). */
  readonly newId?: () => string;
}

export interface SyncOutcome {
  readonly status: FinalStatus;
  readonly stats: SyncStats;
  readonly errorMessage: string | null;
  /** Row issues recorded for the run (errors and warnings). */
  readonly issueCount: number;
  readonly applied: boolean;
}

const DEFAULT_CHUNK = 5000;

interface RunState {
  readonly stats: SyncStats;
  readonly modes: Partial<Record<Kind, FeedMode>>;
  readonly progress: { staged: Record<string, number>; planned: Record<string, number>; applied: Record<string, number> };
  readonly seq: Record<Kind, number>;
  /** Per kind, what the provider sent last time (loading from the run's start); dropped once extraction ends. */
  readonly digests: Map<Kind, Fiber.Fiber<ContentDigest, RosterStoreError>>;
  /** Rows the digest recognised as unchanged. */
  readonly unchanged: Record<Kind, number>;
  /** Per kind, rows rejected without an id: no link can say they are still in the feed. */
  readonly idless: Record<Kind, number>;
  /** Per kind, the ids staged as valid rows (dropped once the kind is sealed). */
  readonly seen: Map<Kind, SeenIds>;
  /** The phase progress is reported under: planning that starts during extraction reports "extract". */
  phase: RunPhase;
  issueCount: number;
}

const hashHalves = new Uint32Array(2);

const stagedRow = (record: AnyRecord, seq: number, rejected: boolean, hash: string): StagedRow => {
  const user = record.kind === "user" ? record.fields : null;
  return {
    seq,
    externalId: record.externalId,
    status: record.status,
    state: rejected ? "rejected" : "valid",
    data: record.fields,
    raw: record.raw,
    hash,
    file: record.origin?.file ?? null,
    line: record.origin?.line ?? null,
    emailKey: user ? normalizeEmail(user.email) : null,
    studentNumberKey: user && user.role === "student" ? normalizeStudentNumber(user.studentNumber) : null,
    refs: refsOf(record),
  };
};

/** A row the digest found unchanged: its id is all the store needs (its link holds the hash). */
const unchangedRow = (record: AnyRecord, seq: number): StagedRow => ({
  seq,
  externalId: record.externalId,
  status: record.status,
  state: "unchanged",
  data: null,
  raw: null,
  hash: "",
  file: record.origin?.file ?? null,
  line: record.origin?.line ?? null,
  emailKey: null,
  studentNumberKey: null,
  refs: [],
});

const duplicateIssue = (kind: Kind, externalId: string, origin: { readonly file: string; readonly line: number } | null) =>
  rowIssue(kind, "error", "duplicate_id", `duplicate ${kind} id "${externalId}": the first row was kept`, { origin, externalId });

/** A row the connector could not map still protects its external id from deactivation. */
const placeholderRow = (issue: RowIssue, seq: number): StagedRow => ({
  seq,
  externalId: issue.externalId!,
  status: "active",
  state: "rejected",
  data: null,
  raw: null,
  hash: "",
  file: issue.file,
  line: issue.line,
  emailKey: null,
  studentNumberKey: null,
  refs: [],
});

const countErrors = (state: RunState, issues: ReadonlyArray<RowIssue>) => {
  for (const issue of issues) if (issue.severity === "error" && issue.kind !== null) statsOf(state.stats, issue.kind).errors++;
  state.issueCount += issues.length;
};

const stageBatch = Effect.fn("SyncEngine.stageBatch")(function* (
  scope: RunScope,
  state: RunState,
  batch: { readonly kind: Kind; readonly mode: FeedMode; readonly records: ReadonlyArray<AnyRecord>; readonly issues: ReadonlyArray<RowIssue> },
) {
  const store = yield* RosterStore;
  state.modes[batch.kind] ??= batch.mode;
  let loading = state.digests.get(batch.kind);
  if (loading === undefined) state.digests.set(batch.kind, (loading = yield* Effect.forkChild(store.contentDigest(scope, batch.kind))));
  const digest = yield* Fiber.join(loading);
  let seen = state.seen.get(batch.kind);
  if (seen === undefined) state.seen.set(batch.kind, (seen = new SeenIds()));
  const rows: Array<StagedRow> = [];
  const issues: Array<RowIssue> = [...batch.issues];
  for (const issue of batch.issues) {
    if (issue.severity !== "error" || issue.kind !== batch.kind) continue;
    if (issue.externalId) rows.push(placeholderRow(issue, ++state.seq[batch.kind]));
    else state.idless[batch.kind]++;
  }
  for (const record of batch.records) {
    // In a bulk feed a `tobedeleted` row means "not in the roster": omission deactivates it.
    if (batch.mode === "bulk" && record.status === "tobedeleted") continue;
    const reason = rejectReason(record);
    if (reason !== null) {
      issues.push(rowIssue(record.kind, "error", "invalid_row", reason, { origin: record.origin, externalId: record.externalId || null }));
      if (record.externalId) rows.push(stagedRow(record, ++state.seq[batch.kind], true, ""));
      else state.idless[batch.kind]++;
      continue;
    }
    contentHashInto(record.kind, record.fields as never, hashHalves);
    const verdict = digest.check(record.externalId, hashHalves);
    if (verdict === "repeat") {
      issues.push(duplicateIssue(batch.kind, record.externalId, record.origin ?? null));
      continue;
    }
    if (verdict === "unchanged" && record.status === "active") {
      rows.push(unchangedRow(record, ++state.seq[batch.kind]));
      state.unchanged[batch.kind]++;
      continue;
    }
    rows.push(stagedRow(record, ++state.seq[batch.kind], false, hashHex(hashHalves)));
    seen.add(record.externalId);
  }
  if (rows.length > 0) yield* store.stage(scope, batch.kind, rows);
  if (issues.length > 0) yield* store.recordIssues(scope, issues);
  countErrors(state, issues);
  state.progress.staged[KIND_PLURAL[batch.kind]] = (state.progress.staged[KIND_PLURAL[batch.kind]] ?? 0) + rows.length;
});

const planKind = Effect.fn("SyncEngine.planKind")(function* (scope: RunScope, state: RunState, kind: Kind, options: SyncOptions) {
  const store = yield* RosterStore;
  const stats = statsOf(state.stats, kind);
  const policy: Plan.PlanPolicy = { createUsers: options.createUsers, newId: options.newId ?? (() => uuidv7()) };
  const unchanged = state.unchanged[kind] + (yield* store.countStaged(scope, kind)).unchanged;
  stats.unchanged = unchanged;
  if (kind === "user") state.stats.users.matchedBy.externalId += unchanged;
  if (options.checkpoint) yield* options.checkpoint;
  const decided = yield* store.planInStore(scope, kind, state.modes, { createUsers: options.createUsers });
  stats.created += decided.created;
  stats.updated += decided.updated;
  stats.reactivated += decided.reactivated;
  stats.errors += decided.rejected;
  state.issueCount += decided.rejected;
  // The store decides users by external id only (an unmatched one it creates has no `matchedBy`).
  if (kind === "user") state.stats.users.matchedBy.externalId += decided.updated + decided.reactivated + decided.deleted;
  const plural = KIND_PLURAL[kind];
  state.progress.planned[plural] = (state.progress.planned[plural] ?? 0) +
    decided.created + decided.updated + decided.reactivated + decided.deleted + decided.rejected;
  yield* Effect.logDebug("planned in the store").pipe(Effect.annotateLogs({ kind, ...decided }));
  if (options.onProgress) yield* options.onProgress(state.phase, state.progress);
  // Only users can be left: those that may match an existing user (and, without creation, those that match none).
  if (kind !== "user") return;
  let after = 0;
  for (;;) {
    if (options.checkpoint) yield* options.checkpoint;
    const candidates = yield* store.planCandidates(scope, kind, state.modes, after, options.chunkSize ?? DEFAULT_CHUNK);
    if (candidates.length === 0) break;
    after = candidates[candidates.length - 1]!.seq;
    const decisions: Array<PlanDecision> = [];
    const issues: Array<RowIssue> = [];
    for (const candidate of candidates) {
      const outcome = Plan.decide(kind, candidate, policy);
      if (outcome.type === "reject") issues.push(outcome.issue);
      if (outcome.type !== "decision") continue;
      const d = outcome.decision;
      decisions.push(d);
      if (d.action === "create") stats.created++;
      else if (d.action === "update" || d.action === "match") stats.updated++;
      else if (d.action === "reactivate") stats.reactivated++;
      if (kind === "user" && d.matchedBy !== null) state.stats.users.matchedBy[d.matchedBy]++;
    }
    if (decisions.length > 0) yield* store.savePlan(scope, kind, decisions);
    if (issues.length > 0) yield* store.recordIssues(scope, issues);
    countErrors(state, issues);
    state.progress.planned[KIND_PLURAL[kind]] = (state.progress.planned[KIND_PLURAL[kind]] ?? 0) + candidates.length;
    yield* Effect.logDebug("planned chunk").pipe(Effect.annotateLogs({ kind, candidates: candidates.length, decisions: decisions.length, rejected: issues.length }));
    if (options.onProgress) yield* options.onProgress(state.phase, state.progress);
  }
});

/**
 * A bulk feed's rows that were rejected without an id stand for entities nobody can name: any
 * active one the feed left out may be one of them. Deactivating for absence would then delete
 * because input was bad, so the kind is read as a delta this run (present rows apply, absent ones
 * stay as they are, and so do rows a bulk file marks `tobedeleted`, which it means as absent), with
 * a warning saying why. Placed before the kind is planned: the kinds that
 * refer to it are planned after, and resolve references to its entities the delta way too.
 */
const holdBackAbsences = (state: RunState, kind: Kind): RowIssue | null => {
  const rows = state.idless[kind];
  if (rows === 0 || state.modes[kind] !== "bulk") return null;
  state.modes[kind] = "delta";
  return rowIssue(kind, "warning", "invalid_row",
    `${rows} ${rows === 1 ? "row" : "rows"} of ${KIND_PLURAL[kind]} had no id: no ${kind} is deactivated this run (any left out could be one of those rows)`);
};

/** Marks the kind's repeated new ids as duplicates, then plans it. */
const sealAndPlan = Effect.fn("SyncEngine.sealAndPlan")(function* (scope: RunScope, state: RunState, kind: Kind, options: SyncOptions) {
  const store = yield* RosterStore;
  // Repeats of ids the digest knew were caught as they came; only a repeated new id needs a search.
  const duplicates = yield* store.sealKind(scope, kind, { repeatsPossible: state.seen.get(kind)?.repeated ?? false });
  state.seen.delete(kind);
  const issues = duplicates.map((d) => duplicateIssue(kind, d.externalId, d.file === null ? null : { file: d.file, line: d.line ?? 0 }));
  const held = holdBackAbsences(state, kind);
  if (held !== null) issues.push(held);
  if (issues.length > 0) yield* store.recordIssues(scope, issues);
  countErrors(state, issues);
  yield* planKind(scope, state, kind, options);
});

const outcomeOf = (state: RunState, status: FinalStatus, errorMessage: string | null, applied: boolean): SyncOutcome => ({
  status,
  stats: state.stats,
  errorMessage,
  issueCount: state.issueCount,
  applied,
});

const contentStatus = (state: RunState): FinalStatus => (totalErrors(state.stats) > 0 ? "PARTIAL" : "SUCCESS");

const runPhases = Effect.fn("SyncEngine.runPhases")(function* (scope: RunScope, state: RunState, options: SyncOptions) {
  const source = yield* RosterSource;
  const store = yield* RosterStore;
  const progress = (phase: RunPhase) => Effect.suspend(() => {
    state.phase = phase;
    return options.onProgress ? options.onProgress(phase, state.progress) : Effect.void;
  });

  const hints = new Map<Kind, DeactivationHint>();
  yield* progress("extract");
  yield* Effect.logDebug("extracting");
  // Each digest is one whole-kind query: start them all now, so the database reads them while the
  // source is still parsing the kinds that come first.
  for (const kind of KINDS) state.digests.set(kind, yield* Effect.forkChild(store.contentDigest(scope, kind)));

  // A kind is planned as soon as its last batch is staged (the source sends kinds in order), while
  // the source reads the next ones: planning only writes the run's own plan, so nothing is applied
  // before the whole feed has passed the safeguard. Kinds are planned one after the other, each
  // after the kinds it refers to. In a first sync the users are planned while the enrollments are
  // read, when the database would otherwise wait for the parser.
  const planning = yield* Scope.make();
  let planned: Fiber.Fiber<void, SyncCancelled | RosterStoreError> | null = null;
  let extracting: Kind | null = null;
  const planAhead = (kind: Kind) =>
    Effect.gen(function* () {
      const before = planned;
      planned = yield* Effect.forkIn(
        Effect.gen(function* () {
          if (before !== null) yield* Fiber.join(before);
          yield* sealAndPlan(scope, state, kind, options);
        }),
        planning,
      );
    });
  /** Joins the planning when it has already failed (a cancellation, a storage error), so the run stops now. */
  const planningFailed = Effect.suspend(() => {
    const exit = planned?.pollUnsafe();
    return exit !== undefined && Exit.isFailure(exit) ? Fiber.join(planned!) : Effect.void;
  });

  const extract = source.extract.pipe(
    // Reading the next batch overlaps with the database staging the current one. One is enough: with
    // two, records waited long enough to outlive young-generation collections, and the heap grew by
    // about 50 MB for no gain in speed.
    Stream.buffer({ capacity: 1 }),
    Stream.runForEach((batch) =>
      Effect.gen(function* () {
        if (options.checkpoint) yield* options.checkpoint;
        yield* planningFailed;
        if (batch.kind !== extracting) {
          if (extracting !== null && KINDS.indexOf(batch.kind) < KINDS.indexOf(extracting)) {
            return yield* new RosterSourceError({
              reason: "BadResponse",
              message: `The source sent ${KIND_PLURAL[batch.kind]} after ${KIND_PLURAL[extracting]}: kinds must come in order (a connector defect)`,
            });
          }
          if (extracting !== null) yield* planAhead(extracting);
          extracting = batch.kind;
        }
        yield* stageBatch(scope, state, batch);
        yield* Effect.logDebug("staged batch").pipe(Effect.annotateLogs({ kind: batch.kind, records: batch.records.length }));
        yield* progress("extract");
      })),
  );
  yield* Effect.gen(function* () {
    yield* extract;
    // What each sent kind's digest learnt about the provider's links: how many are active, and whether
    // a bulk feed sent every one of them again (then none drops, and the store need not look).
    for (const [kind, loading] of state.digests) {
      const mode = state.modes[kind];
      if (mode === undefined) continue;
      const digest = yield* Fiber.join(loading); // joined while staging: already there
      hints.set(kind, { ...(digest.activeLinks === null ? {} : { activeLinks: digest.activeLinks }), noneDropped: mode === "bulk" && digest.allSeen });
    }
    for (const loading of state.digests.values()) yield* Fiber.interrupt(loading);
    state.digests.clear();
    yield* progress("plan");
    if (extracting !== null) yield* planAhead(extracting);
    if (planned !== null) yield* Fiber.join(planned);
  }).pipe(Effect.onExit((exit) => Scope.close(planning, exit)));
  const kinds = KINDS.filter((kind) => state.modes[kind] !== undefined);

  yield* progress("safeguard");
  let tripped: string | null = null;
  for (const kind of kinds) {
    const preview = yield* store.previewDeactivations(scope, kind, state.modes[kind]!, hints.get(kind));
    statsOf(state.stats, kind).deactivated = preview.entities;
    const verdict = Safeguard.check(kind, preview, options.safeguardPercent);
    if (verdict.tripped && !options.overrideSafeguard) tripped ??= verdict.message;
  }
  if (tripped !== null) return outcomeOf(state, "FAILURE", tripped, false);
  if (options.dryRun) return outcomeOf(state, contentStatus(state), null, false);

  if (options.checkpoint) yield* options.checkpoint;
  yield* progress("load");
  const result = yield* store.apply(scope, kinds.map((kind) => ({ kind, mode: state.modes[kind]! })));
  yield* Effect.logDebug("applied").pipe(Effect.annotateLogs({ deactivated: result.deactivated }));
  for (const kind of kinds) {
    const s = statsOf(state.stats, kind);
    s.deactivated = result.deactivated[kind];
    state.progress.applied[KIND_PLURAL[kind]] = s.created + s.updated + s.reactivated + s.deactivated;
  }
  yield* progress("finish");
  return outcomeOf(state, contentStatus(state), null, true);
});

/**
 * Runs one sync of `scope`'s provider. Never fails for feed problems: a source error, a tripped
 * safeguard, a lost lease or a cancellation end in an outcome with nothing applied. Only storage
 * failures escape as errors.
 */
export const run = Effect.fn("SyncEngine.run")(function* (scope: RunScope, options: SyncOptions) {
  const state: RunState = {
    stats: emptyStats(),
    modes: {},
    progress: { staged: {}, planned: {}, applied: {} },
    seq: { school: 0, class: 0, user: 0, enrollment: 0 },
    digests: new Map(),
    unchanged: { school: 0, class: 0, user: 0, enrollment: 0 },
    idless: { school: 0, class: 0, user: 0, enrollment: 0 },
    seen: new Map(),
    phase: "extract",
    issueCount: 0,
  };
  return yield* runPhases(scope, state, options).pipe(
    Effect.catchTags({
      RosterSourceError: (e: RosterSourceError) => Effect.succeed(outcomeOf(state, "FAILURE", e.message, false)),
      SyncCancelled: (e: SyncCancelled) => Effect.succeed(outcomeOf(state, "CANCELLED", e.message, false)),
      LeaseLostError: (e: LeaseLostError) => Effect.succeed(outcomeOf(state, "FAILURE", e.message, false)),
    }),
  );
});
