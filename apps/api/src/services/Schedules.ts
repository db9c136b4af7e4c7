/**
 * Sync schedules at the API's edge: the scheduler's presets and validation
 * (`@sis-sync/scheduler` `SyncSchedule`), mapped to the field a problem belongs to.
 */
import { SyncSchedule } from "@sis-sync/scheduler";
import type { FieldError } from "../http/Problem";

export interface SchedulePreset {
  readonly name: string;
  readonly cron: string;
  readonly description: string;
}

export const PRESETS: ReadonlyArray<SchedulePreset> = SyncSchedule.presets.map((p) => ({ name: p.name, cron: p.cron, description: p.description }));

/**
 * Checks a schedule (preset or five-field cron, or null for manual only) in a time zone. The
 * time zone is checked on its own first, so each message names the field at fault.
 */
export const scheduleErrors = (schedule: string | null, timezone: string): ReadonlyArray<FieldError> => {
  const zone = SyncSchedule.timezoneProblem(timezone);
  if (zone !== null) return [{ path: "timezone", message: zone }];
  if (schedule === null) return [];
  const parsed = SyncSchedule.parse(schedule, timezone);
  return parsed.ok ? [] : [{ path: "syncSchedule", message: parsed.message }];
};
