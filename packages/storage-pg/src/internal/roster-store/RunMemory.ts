/**
 * What a store instance remembers about the runs it works on, mostly per run and kind. A run
 * stages, seals, plans and loads through one store (a run whose lease lapses ends; it is never
 * resumed elsewhere), so these figures let later steps skip statements that would find nothing.
 * Every entry is a shortcut: a step that finds none (another store instance, a restart) does the
 * full work instead.
 */
import { KINDS, type FeedMode, type Kind, type RunScope } from "@sis-sync/core";
import type { WorkSet } from "./WorkSets";

export interface RunMemory {
  /**
   * Planning work sets already built: the inputs they were built from (modes of the referenced
   * kinds and how many plan chunks of those kinds were saved) and their size. A set is rebuilt when
   * an input changed, so refs always see the referenced kinds' final decisions.
   */
  readonly workSets: Map<string, WorkSet>;
  /** Plan chunks saved per `run:kind` (an input of the referring kinds' work sets). */
  readonly planChunks: Map<string, number>;
  /**
   * Decisions saved per `run:kind`, by what the load does with them. A first sync has no updates,
   * a quiet night few creates: the load skips the statements that would find nothing.
   */
  readonly plannedActions: Map<string, { create: number; upsert: number }>;
  /** The feed modes the engine last planned a run with. */
  readonly lastModes: Map<string, Partial<Record<Kind, FeedMode>>>;
  /** Valid (non-duplicate) staged rows per `run:kind`, counted when the kind was sealed. */
  readonly validCounts: Map<string, number>;
  /** Valid rows staged per `run:kind`. None means nothing to seal. */
  readonly stagedValid: Map<string, number>;
  /** Ref ids handed out by the last `planCandidates` chunks, per `run:kind` and seq. */
  readonly servedRefs: Map<string, Map<number, ReadonlyArray<string | null>>>;
  /**
   * `run:kind:mode` → how many links the deactivation preview put in the kind's dropped table.
   * Only this run writes its provider's links (one open run per provider, fenced by the lease), and
   * its own upserts only touch staged ids, so the load deactivates exactly that table's links
   * instead of repeating the whole-kind anti-join.
   */
  readonly droppedSets: Map<string, number>;
  readonly countPlanned: (key: string, create: number, upsert: number) => void;
  /**
   * Decisions of the kind were saved (a chunk, or all of them in the store): counts them, voids the
   * delta dropped set (it reads the planned deletes) and marks the referring kinds' work sets stale.
   */
  readonly planSaved: (key: string, create: number, upsert: number) => void;
  /** Forgets what was derived from the kind's staging, which just grew. */
  readonly forgetStaged: (key: string) => void;
  /** Forgets everything about a run (its tables were pruned). */
  readonly forgetRun: (runId: string) => void;
}

/** The key of a run's kind in the maps above (`lastModes` is per run, `droppedSets` per `droppedKey`). */
export const workKey = (scope: RunScope, kind: Kind): string => kindKey(scope.runId, kind);

const kindKey = (runId: string, kind: Kind): string => `${runId}:${kind}`;

/** The key of a run's kind and feed mode in `droppedSets`. */
export const droppedKey = (key: string, mode: FeedMode): string => `${key}:${mode}`;

export const makeRunMemory = (): RunMemory => {
  const workSets = new Map<string, WorkSet>();
  const planChunks = new Map<string, number>();
  const plannedActions = new Map<string, { create: number; upsert: number }>();
  const lastModes = new Map<string, Partial<Record<Kind, FeedMode>>>();
  const validCounts = new Map<string, number>();
  const stagedValid = new Map<string, number>();
  const servedRefs = new Map<string, Map<number, ReadonlyArray<string | null>>>();
  const droppedSets = new Map<string, number>();

  const countPlanned = (key: string, create: number, upsert: number) => {
    const planned = plannedActions.get(key) ?? { create: 0, upsert: 0 };
    planned.create += create;
    planned.upsert += upsert;
    plannedActions.set(key, planned);
  };

  const forgetStaged = (key: string) => {
    validCounts.delete(key);
    workSets.delete(key);
    droppedSets.delete(droppedKey(key, "bulk"));
    droppedSets.delete(droppedKey(key, "delta"));
  };

  const planSaved = (key: string, create: number, upsert: number) => {
    countPlanned(key, create, upsert);
    planChunks.set(key, (planChunks.get(key) ?? 0) + 1);
    droppedSets.delete(droppedKey(key, "delta"));
  };

  const forgetRun = (runId: string) => {
    for (const kind of KINDS) {
      const key = kindKey(runId, kind);
      forgetStaged(key);
      planChunks.delete(key);
      plannedActions.delete(key);
      stagedValid.delete(key);
      servedRefs.delete(key);
    }
    lastModes.delete(runId);
  };

  return {
    workSets, planChunks, plannedActions, lastModes, validCounts, stagedValid, servedRefs, droppedSets,
    countPlanned, planSaved, forgetStaged, forgetRun,
  };
};
