/**
 * What the admin page shows while a schedule is being chosen: the schedule in words and its next
 * run times in the provider's time zone, or the same field-level problems the API would answer
 * (`syncSchedule` / `timezone`), computed with the scheduler's own validation and slot arithmetic.
 */
import { SyncSchedule } from "@sis-sync/scheduler";
import type { FieldError } from "../http/Problem";
import { scheduleErrors } from "../services/Schedules";
import { describeCron, describeSchedule, MANUAL_ONLY } from "./CronWords";

export interface NextRun {
  /** ISO instant. */
  readonly at: string;
  /** The instant in the schedule's time zone, e.g. "Tue, Dec 1, 2026, 2:00 AM CST". */
  readonly label: string;
}

export type SchedulePreview =
  | {
    readonly ok: true;
    /** What the provider stores: a preset name, a cron expression, or null (manual only). */
    readonly schedule: string | null;
    readonly preset: string | null;
    readonly cron: string | null;
    readonly timezone: string;
    /** "Every day at 2:00 AM, America/Chicago". */
    readonly words: string;
    readonly nextRuns: ReadonlyArray<NextRun>;
  }
  | { readonly ok: false; readonly errors: ReadonlyArray<FieldError> };

export const MAX_NEXT_RUNS = 10;

/** "Tue, Dec 1, 2026, 2:00 AM CST" in `timezone`. */
export const formatInZone = (at: Date, timezone: string): string =>
  new Intl.DateTimeFormat("en-US", {
    timeZone: timezone, weekday: "short", month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  }).format(at);

/** The preview of `schedule` (null or empty: manual only) in `timezone`, with up to `count` next runs after `now`. */
export const previewSchedule = (schedule: string | null, timezone: string, now: Date, count: number): SchedulePreview => {
  const normalized = schedule === null || schedule.trim() === "" ? null : schedule.trim();
  const errors = scheduleErrors(normalized, timezone);
  if (errors.length > 0) return { ok: false, errors };
  if (normalized === null) return { ok: true, schedule: null, preset: null, cron: null, timezone, words: MANUAL_ONLY, nextRuns: [] };
  const parsed = SyncSchedule.parse(normalized, timezone);
  if (!parsed.ok) return { ok: false, errors: [{ path: "syncSchedule", message: parsed.message }] };
  const nextRuns: Array<NextRun> = [];
  let after = now;
  for (let i = 0; i < Math.min(Math.max(count, 0), MAX_NEXT_RUNS); i++) {
    const next = SyncSchedule.nextSlot(parsed, after);
    if (next === null) break;
    nextRuns.push({ at: next.toISOString(), label: formatInZone(next, timezone) });
    after = next;
  }
  return {
    ok: true,
    schedule: parsed.schedule,
    preset: parsed.preset,
    cron: parsed.cron,
    timezone,
    words: describeSchedule(parsed.schedule, timezone),
    nextRuns,
  };
};

/** The scheduler's presets with their words (the words carry no time zone). */
export const presetsInWords = (): ReadonlyArray<{ readonly name: string; readonly cron: string; readonly words: string }> =>
  SyncSchedule.presets.map((p) => ({ name: p.name, cron: p.cron, words: describeCron(p.cron) ?? p.description }));
