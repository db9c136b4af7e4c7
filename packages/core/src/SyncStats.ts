/**
 * Per-run statistics (contract: the shape the API and the CLI return) and the rule that turns them into a status.
 */
import { KIND_PLURAL, KINDS, type Kind } from "./Roster";

export interface KindStats {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  reactivated: number;
  errors: number;
}

export interface UserStats extends KindStats {
  matchedBy: { externalId: number; email: number; studentNumber: number };
}

export interface SyncStats {
  schools: KindStats;
  classes: KindStats;
  users: UserStats;
  enrollments: KindStats;
}

const emptyKind = (): KindStats => ({ created: 0, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 });

export const emptyStats = (): SyncStats => ({
  schools: emptyKind(),
  classes: emptyKind(),
  users: { ...emptyKind(), matchedBy: { externalId: 0, email: 0, studentNumber: 0 } },
  enrollments: emptyKind(),
});

export const statsOf = (stats: SyncStats, kind: Kind): KindStats => stats[KIND_PLURAL[kind]];

export const totalErrors = (stats: SyncStats): number => KINDS.reduce((sum, kind) => sum + statsOf(stats, kind).errors, 0);

/** Row counts the load wrote (created + updated + reactivated + deactivated) across kinds. */
export const totalChanges = (stats: SyncStats): number =>
  KINDS.reduce((sum, kind) => {
    const s = statsOf(stats, kind);
    return sum + s.created + s.updated + s.reactivated + s.deactivated;
  }, 0);
