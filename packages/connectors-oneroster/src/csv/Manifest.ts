/**
 * Reads manifest.csv (`propertyName,value`): which files the export carries and whether each is a
 * bulk snapshot or a delta. Real manifests hold junk (`fiel.demographics`, `source.systemCode,absent`),
 * so anything unexpected becomes a warning; only an unreadable mode for a file we load is fatal.
 */
import { rowIssue, type FeedMode, type RowIssue } from "@sis-sync/core";
import type { CsvRow } from "./CsvRows";
import { MANIFEST_FILES } from "./Tables";

export const MANIFEST_FILE = "manifest.csv";

/** Whether a file name is the manifest's: in any case, as data files are found (`Manifest.csv`). */
export const isManifestName = (name: string): boolean => name.toLowerCase() === MANIFEST_FILE;

export type FileMode = FeedMode | "absent";

export interface Manifest {
  /** Mode per manifest file name (`users`, `orgs`, …) as declared; undeclared files are missing. */
  readonly modes: ReadonlyMap<string, FileMode>;
  /** Declared modes that were not bulk/delta/absent, kept to fail only if the file is needed. */
  readonly invalidModes: ReadonlyMap<string, string>;
  readonly version: string | null;
  readonly issues: ReadonlyArray<RowIssue>;
}

const KNOWN_KEYS = new Set(["manifest.version", "oneroster.version", "source.systemname", "source.systemcode"]);
const FILE_NAMES = new Map<string, string>(MANIFEST_FILES.map((name) => [name.toLowerCase(), name]));

export const parseManifest = async (rows: AsyncIterable<CsvRow>): Promise<Manifest> => {
  const modes = new Map<string, FileMode>();
  const invalidModes = new Map<string, string>();
  const issues: Array<RowIssue> = [];
  let version: string | null = null;
  let keyAt = 0;
  let valueAt = 1;
  let first = true;
  const warn = (message: string, line: number | null) =>
    issues.push(rowIssue(null, "warning", "manifest", message, { origin: line === null ? null : { file: MANIFEST_FILE, line } }));

  for await (const { fields, line } of rows) {
    if (first) {
      first = false;
      const names = fields.map((name) => name.trim().toLowerCase());
      if (names.includes("propertyname") && names.includes("value")) {
        keyAt = names.indexOf("propertyname");
        valueAt = names.indexOf("value");
        continue;
      }
      // No header row: read the first row as a property, by position.
      warn(`manifest.csv has no "propertyName,value" header; reading columns by position`, line);
    }
    const key = (fields[keyAt] ?? "").trim();
    const value = (fields[valueAt] ?? "").trim();
    if (key === "") continue;
    const lowerKey = key.toLowerCase();
    if (lowerKey.startsWith("file.")) {
      const name = FILE_NAMES.get(lowerKey.slice(5));
      if (name === undefined) {
        warn(`unknown manifest entry "${key}" (not a OneRoster 1.1 file): ignored`, line);
        continue;
      }
      const mode = value.toLowerCase();
      if (mode === "bulk" || mode === "delta" || mode === "absent") modes.set(name, mode);
      else invalidModes.set(name, value);
      continue;
    }
    if (lowerKey === "oneroster.version") version = value === "" ? null : value;
    else if (!KNOWN_KEYS.has(lowerKey)) warn(`unknown manifest entry "${key}": ignored`, line);
  }
  if (version !== null && version !== "1.1" && version !== "1.0") {
    warn(`manifest.csv declares oneroster.version ${version}; this reader implements OneRoster 1.1 CSV`, null);
  }
  return { modes, invalidModes, version, issues };
};
