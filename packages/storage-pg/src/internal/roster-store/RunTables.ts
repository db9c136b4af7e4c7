/**
 * The names of a run's own tables: its staging and plan partitions, its work sets and its
 * dropped-link tables. Statements name them directly rather than the parent with a `run_id`
 * filter: the planner then uses the partition's statistics (through the parent it guessed 200
 * distinct external ids for 700k and sorted instead of hashing).
 */
import { KINDS, type Kind, type RunScope } from "@sis-sync/core";
import { KIND_SPECS } from "../Kinds";
import { PLAN_TABLE, partitionName, type Partitions } from "../Partitions";

/** A run's staging partition per kind and its plan partition. */
export interface RunTables {
  readonly staging: Readonly<Record<Kind, string>>;
  readonly plan: string;
}

/** Per run and kind: the planning work set (see `WorkSets`). */
const WORK_TABLE: Readonly<Record<Kind, string>> = {
  school: "sis_work_schools", class: "sis_work_classes", user: "sis_work_users", enrollment: "sis_work_enrollments",
};

/** Per run and kind: the links the run deactivates, collected by the deactivation preview. */
const DROPPED_TABLE: Readonly<Record<Kind, string>> = {
  school: "sis_work_dropped_schools", class: "sis_work_dropped_classes", user: "sis_work_dropped_users", enrollment: "sis_work_dropped_enrollments",
};

export const workTable = (scope: RunScope, kind: Kind): string => partitionName(WORK_TABLE[kind], scope.runId);

export const droppedTable = (scope: RunScope, kind: Kind): string => partitionName(DROPPED_TABLE[kind], scope.runId);

/** The run's staging partitions and plan partition, created when missing. */
export const runTables = async (partitions: Partitions, scope: RunScope): Promise<RunTables> => {
  const staging = {} as Record<Kind, string>;
  for (const kind of KINDS) staging[kind] = await partitions.ensure(KIND_SPECS[kind].staging, scope.runId, scope.providerId);
  return { staging, plan: await partitions.ensure(PLAN_TABLE, scope.runId) };
};
