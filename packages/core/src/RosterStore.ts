/**
 * The store port used by the sync engine: staging, planning look-ups and the final set-based
 * load. Adapters (in-memory, PostgreSQL, PGlite) must pass `testing/RosterStoreContract`.
 *
 * The engine never holds a whole kind in memory: it stages batches as they arrive, lets the store
 * decide set-based every row that needs no user matching, then asks for the rest (users that may
 * match an existing user), a chunk at a time, and writes its decisions back.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import * as Schema from "effect/Schema";
import type { ContentDigest } from "./ContentDigest";
import type { FeedMode } from "./RosterSource";
import type { Kind, RecordStatus } from "./Roster";
import type { RowIssue } from "./RowIssue";

export class RosterStoreError extends Schema.TaggedError<RosterStoreError>()("RosterStoreError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect()),
}) {}

/** The run's lease no longer holds: another worker took over, so this one must not write. */
export class LeaseLostError extends Schema.TaggedError<LeaseLostError>()("LeaseLostError", {
  runId: Schema.String,
  message: Schema.String,
}) {}

export interface RunScope {
  readonly runId: string;
  readonly tenantId: string;
  readonly providerId: string;
  /** When set, `apply` writes only while the run still holds this lease (fencing). */
  readonly leaseToken?: string | undefined;
}

/**
 * Processing outcome of a staged row, before planning. An `unchanged` row matched the provider's
 * `ContentDigest`: it carries its id and hash only (no fields, no raw record), counts as present in
 * the feed, resolves references through its link, and never needs a decision.
 */
export type StageState = "valid" | "rejected" | "unchanged";

export interface StagedRow {
  /** Arrival order within the kind for this run; the first of duplicate ids wins. */
  readonly seq: number;
  readonly externalId: string;
  readonly status: RecordStatus;
  readonly state: StageState;
  /** Normalized fields (the canonical model); `null` for rows rejected before mapping and for unchanged rows. */
  readonly data: unknown;
  readonly raw: unknown;
  readonly hash: string;
  readonly file: string | null;
  readonly line: number | null;
  /** Normalized email / student number for users, so candidates can be found by key. */
  readonly emailKey: string | null;
  readonly studentNumberKey: string | null;
  /** External ids this row refers to (class → school; enrollment → class, user). */
  readonly refs: ReadonlyArray<string>;
}

export interface DuplicateRow {
  readonly externalId: string;
  readonly file: string | null;
  readonly line: number | null;
}

/** What the caller of `sealKind` knows about the kind's staged rows. */
export interface SealHint {
  /**
   * `false`: no two valid rows of the kind staged by this process share an external id (the engine
   * tracks them with `SeenIds`), so the store may skip looking for duplicates. Absent or `true`: look.
   */
  readonly repeatsPossible?: boolean;
}

export interface DeactivationHint {
  /**
   * The provider's active links of the kind when the run began, as the content digest counted them
   * (only this run writes them): a store may use it instead of counting again.
   */
  readonly activeLinks?: number;
  /**
   * `true`: the feed is bulk and sent the external id of every one of those links (the digest's
   * `allSeen`), so none drops and a store may skip looking. Absent or `false`: look.
   */
  readonly noneDropped?: boolean;
}

export interface LinkState {
  readonly entityId: string;
  readonly linkActive: boolean;
  readonly entityActive: boolean;
  readonly hash: string | null;
}

export interface MatchCandidate {
  readonly entityId: string;
  readonly active: boolean;
  /** The entity already has an active link from this provider under another external id. */
  readonly linkedByThisProvider: boolean;
}

/**
 * A staged row that needs a decision: it is not rejected, not a duplicate, and not unchanged
 * (an active link with the same content hash to an active entity).
 */
export interface PlanCandidate {
  readonly seq: number;
  readonly externalId: string;
  readonly status: RecordStatus;
  readonly data: unknown;
  readonly hash: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly link: LinkState | null;
  /** Users without a link only: entities of the tenant with the same email / student number (at most 2 each). */
  readonly byEmail: ReadonlyArray<MatchCandidate>;
  readonly byStudentNumber: ReadonlyArray<MatchCandidate>;
  /** Entity ids of `refs`, in order; `null` where the reference does not resolve (see `resolveRefs`). */
  readonly refEntityIds: ReadonlyArray<string | null>;
}

export type PlanAction = "create" | "update" | "reactivate" | "match" | "delete";
export type MatchedBy = "externalId" | "email" | "studentNumber";

export interface PlanDecision {
  readonly seq: number;
  readonly externalId: string;
  readonly action: PlanAction;
  readonly entityId: string;
  readonly matchedBy: MatchedBy | null;
  /** Entity ids of the row's refs (class → school; enrollment → class, user), as resolved. */
  readonly refEntityIds: ReadonlyArray<string>;
}

/** What `planInStore` decided for a kind, counted by outcome. */
export interface StorePlanResult {
  readonly created: number;
  readonly updated: number;
  readonly reactivated: number;
  /** Deletes planned from a delta feed's `tobedeleted` rows. */
  readonly deleted: number;
  /** Rows rejected (`unknown_reference`); their issues are recorded by the store. */
  readonly rejected: number;
}

export interface DeactivationPreview {
  /** Active links of this provider and kind the run would deactivate. */
  readonly links: number;
  /** Entities that would lose their last active link. */
  readonly entities: number;
  /**
   * Active links of this provider and kind before the run: what the safeguard compares `links`
   * with. Counted only when `links` > 0 (0 otherwise), so a run that drops nothing does not pay
   * for a count nobody reads.
   */
  readonly activeLinks: number;
}

export interface KindPlanSummary {
  readonly kind: Kind;
  readonly mode: FeedMode;
}

export interface ApplyResult {
  /** Entities deactivated per kind. */
  readonly deactivated: Readonly<Record<Kind, number>>;
}

export interface RosterStoreShape {
  /**
   * The provider's active links of `kind` whose entity is active too, with the content hash each
   * link stores: what the engine compares incoming rows with before staging them.
   */
  readonly contentDigest: (scope: RunScope, kind: Kind) => Effect.Effect<ContentDigest, RosterStoreError>;
  /** Appends staged rows of one kind. Called once per batch, in arrival order. */
  readonly stage: (scope: RunScope, kind: Kind, rows: ReadonlyArray<StagedRow>) => Effect.Effect<void, RosterStoreError>;
  readonly recordIssues: (scope: RunScope, issues: ReadonlyArray<RowIssue>) => Effect.Effect<void, RosterStoreError>;
  /**
   * Marks every valid row whose external id was already staged as valid earlier in the run as a
   * duplicate, and returns them. (`unchanged` rows need no check: the digest caught their repeats.)
   * With `repeatsPossible: false` there are none to find, and a store may skip the search.
   */
  readonly sealKind: (scope: RunScope, kind: Kind, hint?: SealHint) => Effect.Effect<ReadonlyArray<DuplicateRow>, RosterStoreError>;
  /** Valid, non-duplicate staged rows counted; `unchanged` are the ones whose link has the same hash. */
  readonly countStaged: (scope: RunScope, kind: Kind) => Effect.Effect<{ readonly valid: number; readonly unchanged: number }, RosterStoreError>;
  /**
   * Staged rows with `seq > afterSeq` that need a decision and have none saved yet (so none that
   * `planInStore` decided), ordered by `seq`, at most `limit`.
   * References resolve to the entity of the referenced row staged in this run (its decision's entity
   * or its link's entity) when that row is valid; otherwise, when the referenced kind is not `bulk`
   * in this run, to the entity of the provider's active link; otherwise `null`.
   */
  readonly planCandidates: (
    scope: RunScope,
    kind: Kind,
    modes: Readonly<Partial<Record<Kind, FeedMode>>>,
    afterSeq: number,
    limit: number,
  ) => Effect.Effect<ReadonlyArray<PlanCandidate>, RosterStoreError>;
  readonly savePlan: (scope: RunScope, kind: Kind, decisions: ReadonlyArray<PlanDecision>) => Effect.Effect<void, RosterStoreError>;
  /**
   * Decides inside the store every candidate that needs no user matching (`Plan.needsMatching`):
   * all schools, classes and enrollments, and the users that are linked, marked `tobedeleted`, or —
   * when `createUsers` — match no user of the tenant by email or student number (they are created).
   * The outcome is exactly `Plan.decide`'s for the same candidate; decisions are saved as `savePlan`
   * saves them and `unknown_reference` issues recorded as `recordIssues` records them. New entities
   * get UUIDv7 ids. The users left undecided (those that may match, and without creation those
   * that match nobody, for the engine to reject) come from `planCandidates`.
   * A first sync decides about a million rows: deciding them where they are spares the round trip.
   */
  readonly planInStore: (
    scope: RunScope,
    kind: Kind,
    modes: Readonly<Partial<Record<Kind, FeedMode>>>,
    policy: { readonly createUsers: boolean },
  ) => Effect.Effect<StorePlanResult, RosterStoreError>;
  /** What `apply` would deactivate for one kind in `mode` (bulk: active links not staged; delta: planned deletes). */
  readonly previewDeactivations: (scope: RunScope, kind: Kind, mode: FeedMode, hint?: DeactivationHint) => Effect.Effect<DeactivationPreview, RosterStoreError>;
  /**
   * Applies every saved decision and the deactivations of the given kinds in one transaction:
   * upserts entities and links (storing the content hash on the link), deactivates links the feed
   * no longer carries and entities left without an active link, reactivates what came back.
   * Fails with `LeaseLostError` (and writes nothing) when the scope's lease is no longer held.
   */
  readonly apply: (scope: RunScope, kinds: ReadonlyArray<KindPlanSummary>) => Effect.Effect<ApplyResult, RosterStoreError | LeaseLostError>;
  /** Drops staging rows and plans of all but the newest `keep` runs of the provider. */
  readonly pruneStaging: (providerId: string, keep: number) => Effect.Effect<number, RosterStoreError>;
}

export class RosterStore extends Context.Service<RosterStore, RosterStoreShape>()("@sis-sync/core/RosterStore") {}
