/**
 * Finds the OneRoster export behind a local path: a folder holding manifest.csv, a zip, or a folder
 * of dated exports (sub-folders and/or zips) of which the newest is read. Path-based on purpose: an
 * SFTP transport downloads first and hands the same reader a local path.
 */
import { RosterSourceError } from "@sis-sync/core";
import { createReadStream, type Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { isManifestName, MANIFEST_FILE } from "./Manifest";
import { isZipName, newestFirst } from "./NewestExport";
import { openZip } from "./ZipArchive";

export interface OpenOptions {
  /** Only the first line (the header) will be read: a small first read serves. */
  readonly peek?: boolean;
}

export interface ExportFiles {
  /** How the export is named in messages: `2026-11-24.zip (newest of 3 exports in drop)`. */
  readonly label: string;
  /** File names at the export root. */
  readonly names: ReadonlyArray<string>;
  readonly open: (name: string, options?: OpenOptions) => Promise<Readable>;
  readonly close: () => void;
}

/** A file name in the export: exact first, then ignoring case (`Users.csv` from a Windows tool). */
export const findFile = (files: ExportFiles, wanted: string): string | undefined =>
  files.names.includes(wanted) ? wanted : files.names.find((name) => name.toLowerCase() === wanted.toLowerCase());

const badInput = (message: string) => new RosterSourceError({ reason: "BadInput", message });

const NO_MANIFEST = "a OneRoster CSV export needs manifest.csv at its root (Microsoft SDS and other " +
  "OneRoster-like drops have none)";

const statOrNull = async (path: string): Promise<Stats | null> => {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
};

/** Bytes per read of a file that is read whole. */
const READ_CHUNK = 256 * 1024;
/**
 * Bytes per read of a file whose header is peeked at: a header fits many times over, and the parser
 * thread parses the whole chunk it is sent. Every file's header is checked before the first batch,
 * and a full read chunk of each of the six files kept the parser busy for 0.1 s at the start of
 * every sync (zip entries already come in 16 KB pieces from the inflater).
 */
const PEEK_CHUNK = 16 * 1024;

const fromFolder = (path: string, label: string, names: ReadonlyArray<string>): ExportFiles => ({
  label,
  names,
  open: async (name, options) => createReadStream(join(path, name), { highWaterMark: options?.peek === true ? PEEK_CHUNK : READ_CHUNK }),
  close: () => {},
});

const fromZip = async (path: string, label: string): Promise<ExportFiles> => {
  let zip;
  try {
    zip = await openZip(path, MANIFEST_FILE);
  } catch (error) {
    throw badInput(`${label} is not a readable zip: ${(error as Error).message}`);
  }
  if (!zip.names.some(isManifestName)) {
    zip.close();
    throw badInput(`${label} has no manifest.csv: ${NO_MANIFEST}`);
  }
  return { label, names: zip.names, open: zip.open, close: zip.close };
};

interface Candidate {
  readonly name: string;
  readonly path: string;
  readonly stats: Stats;
  readonly mtimeMs: number;
}


export const openExport = async (localPath: string): Promise<ExportFiles> => {
  const stats = await statOrNull(localPath);
  if (stats === null) {
    throw new RosterSourceError({ reason: "NotFound", message: `OneRoster export path ${localPath} does not exist` });
  }
  if (stats.isFile()) return fromZip(localPath, basename(localPath));
  if (!stats.isDirectory()) throw badInput(`${localPath} is neither a folder nor a zip file`);

  const entries = await readdir(localPath, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  if (names.some(isManifestName)) return fromFolder(localPath, basename(localPath), names);

  const candidates: Array<Candidate> = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(localPath, entry.name);
    const entryStats = await statOrNull(path);
    if (entryStats === null) continue;
    if (entryStats.isDirectory() || (entryStats.isFile() && isZipName(entry.name))) {
      candidates.push({ name: entry.name, path, stats: entryStats, mtimeMs: entryStats.mtimeMs });
    }
  }
  const [newest] = candidates.sort(newestFirst);
  if (newest === undefined) throw badInput(`${basename(localPath)} has no manifest.csv: ${NO_MANIFEST}`);

  const label = `${newest.name} (newest of ${candidates.length} export${candidates.length === 1 ? "" : "s"} in ${
    basename(localPath)
  })`;
  if (newest.stats.isFile()) return fromZip(newest.path, label);
  const inner = (await readdir(newest.path, { withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
  if (!inner.some(isManifestName)) throw badInput(`${label} has no manifest.csv: ${NO_MANIFEST}`);
  return fromFolder(newest.path, label, inner);
};
