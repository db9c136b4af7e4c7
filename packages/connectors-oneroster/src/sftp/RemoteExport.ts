/**
 * Finds the OneRoster export behind a remote path with the local reader's rules (ExportFiles.ts):
 * a folder holding manifest.csv, a zip, or a folder of dated exports (sub-folders and/or zips) of
 * which the newest by name is taken, the newer modification time breaking a tie, hidden entries
 * skipped. Then downloads just that export (the zip, or the folder's CSV files) to a local folder.
 */
import { RosterSourceError } from "@sis-sync/core";
import { mkdir, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { isManifestName } from "../csv/Manifest";
import { isZipName, newestFirst } from "../csv/NewestExport";
import type { RemoteEntry, Session } from "./SftpSession";


const NO_MANIFEST = "a OneRoster CSV export needs manifest.csv at its root (Microsoft SDS and other " +
  "OneRoster-like drops have none)";

export interface Located {
  /** The export's remote path. */
  readonly path: string;
  /** Its name (the last path segment), kept for the download so messages name it as the server does. */
  readonly name: string;
  readonly type: "zip" | "folder";
  /** For a zip: the zip itself. For a folder: the CSV files at its root (manifest.csv among them). */
  readonly files: ReadonlyArray<RemoteEntry>;
  /** How many exports the path holds (1 when the path is the export). */
  readonly exports: number;
  /** The exports' folder when the newest was chosen among several; null when the path is the export. */
  readonly container: string | null;
}

const badInput = (message: string) => new RosterSourceError({ reason: "BadInput", message });

/**
 * A name the server listed must be one plain path segment: it becomes a local file name, and a
 * hostile server could otherwise list `../../x.zip` and have the download write outside its folder.
 */
const plainName = (name: string, where: string): string => {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw badInput(`the SFTP server ${where} listed an entry named ${JSON.stringify(name)}, which is not a plain file name: refusing to download it`);
  }
  return name;
};

const inside = (dir: string, name: string, where: string): string => join(dir, plainName(name, where));

const isCsvName = (name: string): boolean => name.toLowerCase().endsWith(".csv");

/** The entries of a folder of exports that are exports: visible sub-folders and zips. */
export const candidatesOf = (entries: ReadonlyArray<RemoteEntry>): Array<RemoteEntry> =>
  entries.filter((e) => !e.name.startsWith(".") && (e.type === "folder" || (e.type === "file" && isZipName(e.name))));

const csvFilesOf = (entries: ReadonlyArray<RemoteEntry>, where: string): Array<RemoteEntry> =>
  entries.filter((e) => e.type === "file" && !e.name.startsWith(".") && isCsvName(plainName(e.name, where)));

const hasManifest = (entries: ReadonlyArray<RemoteEntry>): boolean =>
  entries.some((e) => e.type === "file" && isManifestName(e.name));

/** The export under `remotePath`; fails NotFound when the path does not exist, BadInput when it holds none. */
export const locate = async (session: Session, remotePath: string): Promise<Located> => {
  const root = await session.stat(remotePath);
  if (root === null) {
    throw new RosterSourceError({ reason: "NotFound", message: `SFTP path ${remotePath} does not exist on ${session.where}` });
  }
  const name = posix.basename(remotePath.replace(/\/+$/, "")) || remotePath;
  if (root.type === "file") {
    return { path: remotePath, name, type: "zip", files: [{ ...root, name }], exports: 1, container: null };
  }
  if (root.type !== "folder") throw badInput(`SFTP path ${remotePath} on ${session.where} is neither a folder nor a zip file`);

  const entries = await session.list(remotePath);
  if (hasManifest(entries)) {
    return { path: remotePath, name, type: "folder", files: csvFilesOf(entries, session.where), exports: 1, container: null };
  }
  const candidates = candidatesOf(entries).sort(newestFirst);
  const [newest] = candidates;
  if (newest === undefined) {
    throw badInput(`SFTP folder ${remotePath} on ${session.where} holds no export: no manifest.csv, no .zip and no dated sub-folder (${NO_MANIFEST})`);
  }
  const path = posix.join(remotePath, plainName(newest.name, session.where));
  const base = { path, name: newest.name, exports: candidates.length, container: remotePath } as const;
  if (newest.type === "file") return { ...base, type: "zip", files: [newest] };
  const inner = await session.list(path);
  if (!hasManifest(inner)) {
    throw badInput(`${labelOf({ ...base, type: "folder" })} has no manifest.csv: ${NO_MANIFEST}`);
  }
  return { ...base, type: "folder", files: csvFilesOf(inner, session.where) };
};

/** How messages name the export: `2026-11-24.zip (newest of 3 exports in /exports)`. */
export const labelOf = (located: Pick<Located, "name" | "exports" | "container" | "type">): string =>
  located.container === null
    ? located.name
    : `${located.name} (newest of ${located.exports} export${located.exports === 1 ? "" : "s"} in ${located.container})`;

const sizeOf = async (path: string): Promise<number> => (await stat(path)).size;

/**
 * Downloads the export into `dir` (which must exist and be private) and resolves to the local path
 * to hand the CSV reader: `dir/<name>` (the zip, or a folder of the CSV files).
 */
export const download = async (session: Session, located: Located, dir: string): Promise<string> => {
  const local = inside(dir, located.name, session.where);
  const fetch = async (remote: RemoteEntry, remotePath: string, localPath: string) => {
    await session.download(remotePath, localPath);
    const size = await sizeOf(localPath);
    if (size !== remote.size) {
      throw new RosterSourceError({
        reason: "Transport",
        message: `${remotePath} on ${session.where} changed while it was downloaded (${remote.size} bytes listed, ${size} received): is an upload still in progress?`,
      });
    }
  };
  if (located.type === "zip") {
    await fetch(located.files[0]!, located.path, local);
    return local;
  }
  await mkdir(local, { mode: 0o700 });
  for (const file of located.files) {
    await fetch(file, posix.join(located.path, file.name), inside(local, file.name, session.where));
  }
  return local;
};

const formatSize = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const isoMinute = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";

/** The one-line summary `testConnection` answers with (without the `SFTP host:port path:` prefix). */
export const describe = (located: Located): string => {
  if (located.container !== null) {
    return `${located.exports} export${located.exports === 1 ? "" : "s"}, newest ${located.name}`;
  }
  if (located.type === "zip") {
    const zip = located.files[0]!;
    return `zip export, ${formatSize(zip.size)}, modified ${isoMinute(zip.mtimeMs)}`;
  }
  const others = located.files.length - 1;
  return `export folder with manifest.csv and ${others} other CSV file${others === 1 ? "" : "s"}`;
};
