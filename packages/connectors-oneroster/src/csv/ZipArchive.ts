/**
 * A OneRoster zip opened with yauzl: the central directory is indexed once, and each file is
 * inflated lazily as a stream when the reader reaches it. Zips are meant to be flat, but a single
 * top-level folder (what "compress this folder" produces) is tolerated.
 */
import type { Readable } from "node:stream";
import * as Yauzl from "yauzl";

export interface ZipArchive {
  /** File names at the export root (after any single top-level folder is stripped). */
  readonly names: ReadonlyArray<string>;
  readonly open: (name: string) => Promise<Readable>;
  readonly close: () => void;
}

/**
 * CSV deflates to a tenth or so of its size; an entry over 1 GiB that inflates more than a hundred
 * times over is built to exhaust the disk the rows are staged on. (yauzl fails an entry that
 * inflates past its declared size, so the declared sizes can be trusted this far.)
 */
const BOMB_FLOOR_BYTES = 1024 ** 3;
const BOMB_RATIO = 100;
const isBomb = (entry: Yauzl.Entry): boolean =>
  entry.uncompressedSize > BOMB_FLOOR_BYTES && entry.uncompressedSize > BOMB_RATIO * Math.max(1, entry.compressedSize);

/** macOS adds these to zips it creates; they are never part of the export. */
const isNoise = (path: string): boolean =>
  path.startsWith("__MACOSX/") || path.split("/").some((part) => part === ".DS_Store");

export const openZip = async (path: string, marker: string): Promise<ZipArchive> => {
  const zip = await Yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
  try {
    const entries = new Map<string, Yauzl.Entry>();
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith("/") && !isNoise(entry.fileName)) entries.set(entry.fileName, entry);
    }
    const prefix = rootPrefix([...entries.keys()], marker);
    const files = new Map<string, Yauzl.Entry>();
    for (const [fileName, entry] of entries) {
      if (!fileName.startsWith(prefix)) continue;
      const name = fileName.slice(prefix.length);
      if (!name.includes("/")) files.set(name, entry);
    }
    return {
      names: [...files.keys()],
      open: async (name) => {
        const entry = files.get(name);
        if (entry === undefined) throw new Error(`${name} is not in the zip`);
        if (entry.isEncrypted()) throw new Error(`${name} is encrypted in the zip`);
        if (isBomb(entry)) {
          throw new Error(`${name} would inflate ${entry.compressedSize} bytes to ${entry.uncompressedSize} (a zip bomb?); refusing to read it`);
        }
        return zip.openReadStreamPromise(entry);
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
};

/**
 * `""` for a flat zip, `"folder/"` when everything sits in one folder that holds the marker file
 * (its name in any case).
 */
const rootPrefix = (paths: ReadonlyArray<string>, marker: string): string => {
  const lower = new Set(paths.map((path) => path.toLowerCase()));
  if (lower.has(marker.toLowerCase())) return "";
  const tops = new Set(paths.map((path) => (path.includes("/") ? path.slice(0, path.indexOf("/") + 1) : "")));
  const [only] = tops;
  return tops.size === 1 && only !== undefined && only !== "" && lower.has((only + marker).toLowerCase()) ? only : "";
};
