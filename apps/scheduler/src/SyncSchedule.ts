/**
 * When a provider's scheduled runs are due: the schedule presets, validation of a `syncSchedule`
 * and its time zone, and the slot arithmetic (next slot, latest due slot) in the provider's zone.
 * Pure functions over croner; the current time always comes in as an argument.
 */
import { Cron } from "croner";

/** The named schedules offered by the API (`GET /schedule-presets`) and the admin page. Times are in the provider's time zone. */
export const PRESETS = {
  "daily": { cron: "0 2 * * *", description: "Every day at 02:00" },
  "twice-daily": { cron: "0 2,14 * * *", description: "Every day at 02:00 and 14:00" },
  "every-6-hours": { cron: "0 */6 * * *", description: "Every 6 hours, on the hour (00:00, 06:00, 12:00, 18:00)" },
  "weekdays": { cron: "0 2 * * 1-5", description: "Monday to Friday at 02:00" },
  "hourly": { cron: "0 * * * *", description: "Every hour, on the hour" },
  "weekly": { cron: "0 2 * * 0", description: "Every Sunday at 02:00" },
} as const satisfies Record<string, { readonly cron: string; readonly description: string }>;

export type PresetName = keyof typeof PRESETS;

export interface Preset {
  readonly name: PresetName;
  readonly cron: string;
  readonly description: string;
}

/** The presets as a list, in display order. */
export const presets: ReadonlyArray<Preset> = (Object.keys(PRESETS) as Array<PresetName>).map((name) => ({ name, ...PRESETS[name] }));

export const isPreset = (value: string): value is PresetName => Object.hasOwn(PRESETS, value);

export const DEFAULT_TIMEZONE = "UTC";

/** A schedule that passed validation, ready for slot arithmetic. */
export interface ValidSchedule {
  readonly ok: true;
  /** What the provider stores: the preset name or the cron expression, trimmed. */
  readonly schedule: string;
  readonly preset: PresetName | null;
  /** The 5-field cron expression (a preset's expression for presets). */
  readonly cron: string;
  readonly timezone: string;
  readonly description: string;
}

export interface InvalidSchedule {
  readonly ok: false;
  /** A sentence for the API's problem details or the admin form. */
  readonly message: string;
}

export type ParsedSchedule = ValidSchedule | InvalidSchedule;

const FORMAT_HINT =
  `Use a preset (${Object.keys(PRESETS).join(", ")}) or a 5-field cron expression ` +
  `"minute hour day-of-month month day-of-week", e.g. "0 2 * * *" for 02:00 every day.`;

/** `null` when `timezone` is an IANA time zone this runtime knows, else why not. */
export const timezoneProblem = (timezone: string): string | null => {
  if (timezone.trim() === "") return "The time zone is empty; use an IANA name such as \"America/Chicago\" or \"UTC\".";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return null;
  } catch {
    return `Unknown time zone "${timezone}"; use an IANA name such as "America/Chicago" or "UTC".`;
  }
};

const cronFor = (cron: string, timezone: string): Cron =>
  // "no-wildcard": fixed times such as 02:00 or 02:00,14:00 run once at the first valid time when
  // daylight saving skips them, and once when the clock repeats them; "*" and "*/n" hours keep
  // their interval (Vixie cron's behaviour).
  new Cron(cron, { paused: true, timezone, mode: "5-part", fixedTimeRule: "no-wildcard" });

const cronMessage = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^CronPattern:\s*/i, "").replace(/\.$/, "");
};

/**
 * Validates a `syncSchedule` (preset name or 5-field cron expression) in a time zone (default
 * UTC). Rejects seconds fields, unknown presets, impossible dates ("0 0 30 2 *") and unknown
 * zones, each with a message that says what to write instead.
 */
export const parse = (schedule: string, timezone: string = DEFAULT_TIMEZONE): ParsedSchedule => {
  const trimmed = schedule.trim();
  if (trimmed === "") return { ok: false, message: `The schedule is empty. ${FORMAT_HINT}` };
  const zoneProblem = timezoneProblem(timezone);
  if (zoneProblem !== null) return { ok: false, message: zoneProblem };
  const preset = isPreset(trimmed) ? trimmed : null;
  const cron = preset === null ? trimmed : PRESETS[preset].cron;
  if (preset === null && !/\s/.test(trimmed) && !trimmed.startsWith("@")) {
    return { ok: false, message: `"${trimmed}" is neither a preset nor a cron expression. ${FORMAT_HINT}` };
  }
  const fields = cron.split(/\s+/).length;
  if (!cron.startsWith("@") && fields !== 5) {
    return { ok: false, message: `"${trimmed}" has ${fields} fields; a schedule has exactly 5 (no seconds or years). ${FORMAT_HINT}` };
  }
  let job: Cron;
  try {
    job = cronFor(cron, timezone);
  } catch (error) {
    return { ok: false, message: `"${trimmed}" is not a valid cron expression: ${cronMessage(error)}. ${FORMAT_HINT}` };
  }
  if (job.nextRun(new Date(0)) === null) {
    return { ok: false, message: `"${trimmed}" never matches a date (check the day and month fields). ${FORMAT_HINT}` };
  }
  return {
    ok: true,
    schedule: trimmed,
    preset,
    cron,
    timezone,
    description: preset === null ? `Cron "${cron}" (${timezone})` : `${PRESETS[preset].description} (${timezone})`,
  };
};

/** The first slot strictly after `after`, or `null` when the schedule never fires again. */
export const nextSlot = (schedule: ValidSchedule, after: Date): Date | null => cronFor(schedule.cron, schedule.timezone).nextRun(after);

/** The latest slot at or before `at`, or `null` when there is none. */
export const latestSlot = (schedule: ValidSchedule, at: Date): Date | null => {
  // croner's previous runs are strictly before the reference, to the millisecond; slots have none.
  const [latest] = cronFor(schedule.cron, schedule.timezone).previousRuns(1, new Date(at.getTime() + 1));
  return latest ?? null;
};

/**
 * The one slot to enqueue now, if any: the latest slot at or before `now`, when it is later than
 * `since` (the newest of: the provider's last scheduled slot, its last sync, its last edit).
 * However many slots were missed while nothing ran, only the latest is due, so a downtime is
 * caught up once; and a run that completed after a slot makes that slot moot.
 */
export const dueSlot = (schedule: ValidSchedule, now: Date, since: Date | null): Date | null => {
  const latest = latestSlot(schedule, now);
  if (latest === null) return null;
  return since === null || latest.getTime() > since.getTime() ? latest : null;
};

/** The newest of some optional instants. */
export const newest = (...dates: ReadonlyArray<Date | null | undefined>): Date | null =>
  dates.reduce<Date | null>((acc, d) => (d == null ? acc : acc === null || d.getTime() > acc.getTime() ? d : acc), null);
