/**
 * One tolerant reading of OneRoster JSON values, whatever the vendor sent (spec §7.4-7.7, §8): `""`
 * and whitespace mean absent, booleans may be strings, lists may be arrays or comma strings,
 * references may be GUIDRefs or bare ids, dates keep their YYYY-MM-DD part. The rules are those of
 * the CSV reader's cell normalisers (`csv/Values.ts`) so a JSON value and a CSV cell holding the
 * same text read the same: that is what lets the REST and CSV paths produce identical rosters.
 * Readers return `null` for blank and `undefined` for present-but-unreadable.
 */
import { USER_ROLES, type RecordStatus, type UserRole } from "@sis-sync/core";
import { booleanWord } from "../csv/Values";

/** Trimmed text; `null` for absent, null, empty or whitespace-only values and for non-scalars. */
export const text = (value: unknown): string | null => {
  if (typeof value === "string") {
    const t = value.trim();
    return t === "" ? null : t;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
};

/** Present but not readable as text (an object or boolean where a string belongs). */
export const isUnreadable = (value: unknown): boolean =>
  value !== undefined && value !== null && typeof value !== "string" && (typeof value !== "number" || !Number.isFinite(value));

/**
 * JSON `true`/`false`, or the text `true`/`false` in any case (ClassLink sends `"false"`, which a
 * truthiness test reads as true). `null` when blank, `undefined` when it is neither.
 */
export const bool = (value: unknown): boolean | null | undefined => {
  if (typeof value === "boolean") return value;
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== "string") return undefined;
  return booleanWord(value.trim().toLowerCase());
};

/** A JSON array of strings, or one comma-separated string (the CSV form); blanks dropped. */
export const list = (value: unknown): Array<string> => {
  if (Array.isArray(value)) return value.map(text).filter((v): v is string => v !== null);
  const t = text(value);
  return t === null ? [] : t.split(",").map((s) => s.trim()).filter((s) => s !== "");
};

/** The sourcedId of a GUIDRef (`href` and `type` are never trusted, spec §2.2), or of a bare id. */
export const ref = (value: unknown): string | null => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return text((value as Record<string, unknown>)["sourcedId"]);
  return text(value);
};

/** GUIDRef[] (or a single GUIDRef, or a comma-separated id list) → ids, order kept. */
export const refs = (value: unknown): Array<string> => {
  if (Array.isArray(value)) return value.map(ref).filter((v): v is string => v !== null);
  if (value !== null && typeof value === "object") {
    const one = ref(value);
    return one === null ? [] : [one];
  }
  return list(value);
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * A calendar date as `YYYY-MM-DD`, from `YYYY-MM-DD` or a full timestamp (`T`, or a space as in
 * `2017-05-06 08:01:05`), keeping the date as written rather than shifting it to UTC.
 */
export const date = (value: unknown): string | null | undefined => {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  if (s === "") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  const maxDay = DAYS_IN_MONTH[month - 1];
  if (maxDay === undefined || day < 1 || day > maxDay) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  if (s.length === 10) return s;
  const sep = s[10];
  if (sep !== "T" && sep !== "t" && sep !== " ") return undefined;
  return Number.isNaN(Date.parse(s)) ? undefined : s.slice(0, 10);
};

/** Blank and `active` are active; `tobedeleted` and the 1.0 `inactive` are not. `undefined` otherwise. */
export const status = (value: unknown): RecordStatus | undefined => {
  if (value === undefined || value === null) return "active";
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === "" || lower === "active") return "active";
  if (lower === "tobedeleted" || lower === "inactive") return "tobedeleted";
  return undefined;
};

const ROLES: ReadonlySet<string> = new Set(USER_ROLES);

/** A role of core's `USER_ROLES`, compared case-insensitively; `undefined` when unknown. */
export const role = (value: string): UserRole | undefined => {
  const lower = value.trim().toLowerCase();
  return ROLES.has(lower) ? (lower as UserRole) : undefined;
};
