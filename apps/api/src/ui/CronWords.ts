/**
 * Sync schedules in words for the admin page: "Every day at 2:00 AM, America/Chicago". Covers the
 * scheduler's presets and the common shapes of five-field cron expressions (fixed times, every n
 * minutes or hours, weekdays, days of the month, months); anything else falls back to the raw
 * expression. Pure functions: no clock, no I/O.
 */
import { SyncSchedule } from "@sis-sync/scheduler";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
const MONTH_NAMES = [
  "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
] as const;
const DAY_ALIASES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_ALIASES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** One parsed cron field: every value, every n-th value from the start, or an explicit set. */
type Field =
  | { readonly kind: "any" }
  | { readonly kind: "step"; readonly step: number }
  | { readonly kind: "set"; readonly values: ReadonlyArray<number> };

interface Range {
  readonly min: number;
  readonly max: number;
  readonly aliases?: ReadonlyArray<string>;
  /** Index of the first alias (months are 1-based). */
  readonly aliasBase?: number;
}

const MINUTE: Range = { min: 0, max: 59 };
const HOUR: Range = { min: 0, max: 23 };
const DOM: Range = { min: 1, max: 31 };
const MONTH: Range = { min: 1, max: 12, aliases: MONTH_ALIASES, aliasBase: 1 };
const DOW: Range = { min: 0, max: 7, aliases: DAY_ALIASES, aliasBase: 0 };

const atom = (text: string, range: Range): number | null => {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    return n >= range.min && n <= range.max ? n : null;
  }
  const alias = range.aliases?.indexOf(text.toUpperCase()) ?? -1;
  return alias >= 0 ? alias + (range.aliasBase ?? 0) : null;
};

/** Parses one field; null for anything this helper does not put into words (L, W, #, odd steps). */
const parseField = (text: string, range: Range): Field | null => {
  if (text === "*" || text === "?") return { kind: "any" };
  const step = /^\*\/(\d{1,2})$/.exec(text);
  if (step) {
    const n = Number(step[1]);
    if (n < 1 || n > range.max) return null;
    return n === 1 ? { kind: "any" } : { kind: "step", step: n };
  }
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^([A-Za-z]{3}|\d{1,2})(?:-([A-Za-z]{3}|\d{1,2}))?(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return null;
    const from = atom(m[1]!, range);
    const to = m[2] === undefined ? from : atom(m[2], range);
    const every = m[3] === undefined ? 1 : Number(m[3]);
    if (from === null || to === null || to < from || every < 1) return null;
    if (m[3] !== undefined && m[2] === undefined) return null; // "5/15": start/step, leave it raw
    for (let v = from; v <= to; v += every) values.add(v);
  }
  return { kind: "set", values: [...values].sort((a, b) => a - b) };
};

/** "2:00 AM", "12:30 PM". */
export const clockTime = (hour: number, minute: number): string => {
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${h12}:${String(minute).padStart(2, "0")} ${hour < 12 ? "AM" : "PM"}`;
};

/** "a", "a and b", "a, b and c". */
export const listInWords = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

const ordinal = (n: number): string => {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th"}`;
};

/** Consecutive runs of numbers: [1,2,3,5] → [[1,3],[5,5]]. */
const runsOf = (values: ReadonlyArray<number>): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
};

/** Days of the week as a phrase: "Monday to Friday", "Saturday and Sunday", "Monday, Wednesday and Friday". */
const weekdays = (values: ReadonlyArray<number>): { readonly phrase: string; readonly single: string | null } => {
  const days = [...new Set(values.map((v) => v % 7))].sort((a, b) => a - b);
  if (days.length === 1) return { phrase: DAY_NAMES[days[0]!]!, single: DAY_NAMES[days[0]!]! };
  if (days.length === 2 && days[0] === 0 && days[1] === 6) return { phrase: "Saturday and Sunday", single: null };
  // Monday-first order reads naturally ("Monday to Sunday", "Friday and Sunday").
  const mondayFirst = days.map((d) => (d === 0 ? 7 : d)).sort((a, b) => a - b);
  const parts = runsOf(mondayFirst).map(([a, b]) => {
    const name = (d: number) => DAY_NAMES[d % 7]!;
    if (a === b) return name(a);
    if (b === a + 1) return `${name(a)} and ${name(b)}`;
    return `${name(a)} to ${name(b)}`;
  });
  return { phrase: parts.length === 1 ? parts[0]! : listInWords(parts), single: null };
};

const monthsPhrase = (values: ReadonlyArray<number>): string => {
  const parts = runsOf(values).map(([a, b]) => {
    if (a === b) return MONTH_NAMES[a - 1]!;
    if (b === a + 1) return `${MONTH_NAMES[a - 1]} and ${MONTH_NAMES[b - 1]}`;
    return `${MONTH_NAMES[a - 1]} to ${MONTH_NAMES[b - 1]}`;
  });
  return listInWords(parts);
};

interface Days {
  /** Leading phrase for fixed times: "Every day", "Monday to Friday", "Every Sunday", "On the 1st of every month". */
  readonly lead: string;
  /** Trailing phrase for intervals: "" (every day), "Monday to Friday", "on Sundays", "on the 1st of every month". */
  readonly trail: string;
}

const daysInWords = (dom: Field, month: Field, dow: Field): Days | null => {
  if (dom.kind === "step" || month.kind === "step" || dow.kind === "step") return null;
  const anyDom = dom.kind === "any";
  const anyMonth = month.kind === "any";
  const anyDow = dow.kind === "any" || (dow.kind === "set" && new Set(dow.values.map((v) => v % 7)).size === 7);
  if (!anyDom && !anyDow) return null; // cron ORs the two; say it raw rather than wrongly
  const months = month.kind === "set" ? month.values : [];
  if (anyDom && anyDow) {
    if (anyMonth) return { lead: "Every day", trail: "" };
    return { lead: `Every day in ${monthsPhrase(months)}`, trail: `in ${monthsPhrase(months)}` };
  }
  if (!anyDow && dow.kind === "set") {
    const { phrase, single } = weekdays(dow.values);
    const inMonths = anyMonth ? "" : ` in ${monthsPhrase(months)}`;
    if (single !== null) return { lead: `Every ${single}${inMonths}`, trail: `on ${single}s${inMonths}` };
    const isPlainRange = !phrase.includes(",") && !phrase.includes(" and ");
    if (isPlainRange) return { lead: `${phrase}${inMonths}`, trail: `${phrase}${inMonths}` };
    const plural = phrase.replace(/day\b/g, "days");
    return { lead: `Every ${phrase}${inMonths}`, trail: `on ${plural}${inMonths}` };
  }
  if (dom.kind !== "set") return null;
  const dates = listInWords(dom.values.map(ordinal));
  if (anyMonth) return { lead: `On the ${dates} of every month`, trail: `on the ${dates} of every month` };
  if (months.length === 1 && dom.values.length === 1) {
    const date = `${MONTH_NAMES[months[0]! - 1]} ${dom.values[0]}`;
    return { lead: `Every year on ${date}`, trail: `on ${date}` };
  }
  return { lead: `On the ${dates} of ${monthsPhrase(months)}`, trail: `on the ${dates} of ${monthsPhrase(months)}` };
};

const join = (head: string, trail: string) => (trail === "" ? head : `${head}, ${trail}`);

const MAX_TIMES = 6;

/**
 * A five-field cron expression (or a `@daily`-style macro) in words, without the time zone; null
 * when it has a shape this helper does not cover.
 */
export const describeCron = (expression: string): string | null => {
  const trimmed = expression.trim();
  const cron = MACROS[trimmed.toLowerCase()] ?? trimmed;
  const parts = cron.split(/\s+/);
  if (parts.length !== 5) return null;
  const minute = parseField(parts[0]!, MINUTE);
  const hour = parseField(parts[1]!, HOUR);
  const dom = parseField(parts[2]!, DOM);
  const month = parseField(parts[3]!, MONTH);
  const dow = parseField(parts[4]!, DOW);
  if (minute === null || hour === null || dom === null || month === null || dow === null) return null;
  const days = daysInWords(dom, month, dow);
  if (days === null) return null;

  // Intervals: every minute, every n minutes, hourly, every n hours.
  if (minute.kind === "any" && hour.kind === "any") return join("Every minute", days.trail);
  if (minute.kind === "step" && hour.kind === "any") return join(`Every ${minute.step} minutes`, days.trail);
  if (minute.kind === "set" && minute.values.length === 1) {
    const m = minute.values[0]!;
    const past = m === 0 ? "on the hour" : `at ${m} minute${m === 1 ? "" : "s"} past the hour`;
    if (hour.kind === "any") return join(`Every hour, ${past}`, days.trail);
    if (hour.kind === "step") return join(`Every ${hour.step} hours, ${past}`, days.trail);
    // A long run of consecutive hours reads better as a window.
    const runs = runsOf(hour.values);
    if (runs.length === 1 && hour.values.length > 3) {
      const [from, to] = runs[0]!;
      return join(`Every hour from ${clockTime(from, m)} to ${clockTime(to, m)}`, days.trail);
    }
  }
  if (minute.kind === "step" && hour.kind === "set") {
    const runs = runsOf(hour.values);
    if (runs.length === 1) {
      const [from, to] = runs[0]!;
      const last = Math.floor(59 / minute.step) * minute.step;
      return join(`Every ${minute.step} minutes from ${clockTime(from, 0)} to ${clockTime(to, last)}`, days.trail);
    }
    return null;
  }

  // Fixed times of day.
  if (minute.kind !== "set" || hour.kind !== "set") return null;
  if (minute.values.length * hour.values.length > MAX_TIMES) return null;
  const times: Array<string> = [];
  for (const h of hour.values) for (const m of minute.values) times.push(clockTime(h, m));
  return `${days.lead} at ${listInWords(times)}`;
};

/** What a provider's schedule shows when it has none. */
export const MANUAL_ONLY = "Manual only (no schedule)";

/**
 * A provider's `syncSchedule` (preset name, cron expression or null) in words, with its time zone:
 * "Every day at 2:00 AM, America/Chicago". Unknown shapes fall back to the raw expression.
 */
export const describeSchedule = (schedule: string | null, timezone: string): string => {
  if (schedule === null || schedule.trim() === "") return MANUAL_ONLY;
  const trimmed = schedule.trim();
  const cron = SyncSchedule.isPreset(trimmed) ? SyncSchedule.PRESETS[trimmed].cron : trimmed;
  const words = describeCron(cron);
  return `${words ?? `Custom schedule "${cron}"`}, ${timezone}`;
};
