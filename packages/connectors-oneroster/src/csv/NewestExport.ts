/**
 * Which export of a folder of exports is the newest, for the local reader and the SFTP transport
 * alike. Names carry the date (`2026-11-24`, `20261124.zip`, `export_10`): a name with digits beats
 * one without (an `archive/` folder next to dated exports is not an export to take), names compare
 * by their digit runs as numbers (`export_10` after `export_9`), and the newer modification time
 * breaks a tie.
 */

/** What the comparison needs of an entry. */
export interface ExportEntry {
  readonly name: string;
  readonly mtimeMs: number;
}

export const isZipName = (name: string): boolean => name.toLowerCase().endsWith(".zip");

const dateKey = (name: string): string => (isZipName(name) ? name.slice(0, -4) : name);

const hasDigits = (name: string): boolean => /\d/.test(name);

/** Digit runs as numbers of any length: without leading zeros, the longer is the larger. */
const compareNumbers = (x: string, y: string): number => {
  const a = x.replace(/^0+(?=\d)/, "");
  const b = y.replace(/^0+(?=\d)/, "");
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
};

/** Compares names run by run: digit runs as numbers, the rest as text. */
const naturalCompare = (a: string, b: string): number => {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (x === y) continue;
    const byNumber = /^\d/.test(x) && /^\d/.test(y) ? compareNumbers(x, y) : 0;
    if (byNumber !== 0) return byNumber;
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
};

/** Newest first (for `Array.prototype.sort`). */
export const newestFirst = (a: ExportEntry, b: ExportEntry): number => {
  const ka = dateKey(a.name);
  const kb = dateKey(b.name);
  const dated = Number(hasDigits(kb)) - Number(hasDigits(ka));
  if (dated !== 0) return dated;
  if (ka !== kb) {
    const order = naturalCompare(ka, kb);
    if (order !== 0) return -order;
  }
  return b.mtimeMs - a.mtimeMs;
};
