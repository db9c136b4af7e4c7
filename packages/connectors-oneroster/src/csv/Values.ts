/**
 * Cell normalisers for OneRoster CSV values. Real exports disagree on case (`TRUE`, `Scheduled`),
 * quoting and date shapes, so each reader accepts the variants seen in the wild and tells the caller
 * apart "blank" from "unreadable". They run once per cell of ~1M rows: fast paths come first.
 */
import { USER_ROLES, type RecordStatus, type UserRole } from "@sis-sync/core";

/** Trimmed text; blank (or a column the file does not have) is `null`. */
export const text = (value: string | undefined): string | null => {
  if (value === undefined || value === "") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
};

const EMPTY: ReadonlyArray<string> = Object.freeze([]);

/** A comma list inside one field (`"09,10,11"`): items trimmed, empty items dropped. */
export const list = (value: string | undefined): ReadonlyArray<string> => {
  if (value === undefined || value === "") return EMPTY;
  if (value.indexOf(",") === -1) {
    const single = value.trim();
    return single === "" ? EMPTY : [single];
  }
  const items: Array<string> = [];
  for (const part of value.split(",")) {
    const item = part.trim();
    if (item !== "") items.push(item);
  }
  return items;
};

/**
 * The spellings of a boolean that SIS exports use besides `true`/`false` (`enabledUser` as `0`, `N`
 * or `No` from spreadsheet-made exports): read as junk, a disabled user would come in enabled.
 */
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ["true", true], ["t", true], ["yes", true], ["y", true], ["1", true],
  ["false", false], ["f", false], ["no", false], ["n", false], ["0", false],
]);

/** A lower-cased, trimmed boolean word; `null` when blank, `undefined` when it is no boolean. */
export const booleanWord = (lower: string): boolean | null | undefined => (lower === "" ? null : BOOLEAN_WORDS.get(lower));

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `y`/`n`, `t`/`f`) in any case; `null` when blank, `undefined` when it is neither. */
export const boolean = (value: string | undefined): boolean | null | undefined => {
  if (value === undefined || value === "") return null;
  if (value === "true") return true;
  if (value === "false") return false;
  return booleanWord(value.trim().toLowerCase());
};

const DASH = 45;
const ZERO = 48;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The value of `s[at]` as a digit, or -1. */
const digit = (s: string, at: number): number => {
  const d = s.charCodeAt(at) - ZERO;
  return d >= 0 && d <= 9 ? d : -1;
};

/**
 * A calendar date as `YYYY-MM-DD`, from `YYYY-MM-DD` or a full ISO timestamp (the date part as
 * written, not shifted to UTC). `null` when blank, `undefined` when unparseable (`15/06/2023`).
 */
export const date = (value: string | undefined): string | null | undefined => {
  if (value === undefined || value === "") return null;
  const s = value.length === 10 ? value : value.trim();
  if (s === "") return null;
  if (s.length < 10 || s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH) return undefined;
  const y0 = digit(s, 0), y1 = digit(s, 1), y2 = digit(s, 2), y3 = digit(s, 3);
  const m0 = digit(s, 5), m1 = digit(s, 6), d0 = digit(s, 8), d1 = digit(s, 9);
  if ((y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0) return undefined;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = m0 * 10 + m1;
  const day = d0 * 10 + d1;
  const maxDay = DAYS_IN_MONTH[month - 1];
  if (maxDay === undefined || day < 1 || day > maxDay) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  if (s.length === 10) return s;
  // Anything after the date must make it a timestamp (`T…` or the `2017-05-06 08:01:05` variant).
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined;
  return Number.isNaN(Date.parse(s)) ? undefined : s.slice(0, 10);
};

/**
 * Record status: blank and `active` are active; `tobedeleted` and the 1.0 value `inactive` mean the
 * provider no longer has the record. `undefined` for anything else.
 */
export const status = (value: string | undefined): RecordStatus | undefined => {
  if (value === undefined || value === "" || value === "active") return "active";
  if (value === "tobedeleted") return "tobedeleted";
  const lower = value.trim().toLowerCase();
  if (lower === "" || lower === "active") return "active";
  if (lower === "tobedeleted" || lower === "inactive") return "tobedeleted";
  return undefined;
};

const ROLES: ReadonlySet<string> = new Set(USER_ROLES);
const isUserRole = (value: string): value is UserRole => ROLES.has(value);

/** A role of `USER_ROLES`, compared case-insensitively; `undefined` when unknown. */
export const role = (value: string): UserRole | undefined => {
  if (isUserRole(value)) return value;
  const lower = value.trim().toLowerCase();
  return isUserRole(lower) ? lower : undefined;
};
