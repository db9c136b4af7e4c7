/**
 * Test helpers for OneRoster CSV exports: write an export folder or zip with chosen byte-level quirks
 * (CRLF, BOM, full quoting, no final newline), so tests and other packages build fixtures in code.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

export interface CsvStyle {
  /** Line ending; `"\n"` when omitted. */
  readonly eol?: "\n" | "\r\n";
  /** Quote every field, as RosterHub does; otherwise only fields that need it. */
  readonly quoteAll?: boolean;
  /** Start with a UTF-8 byte order mark, as Excel does. */
  readonly bom?: boolean;
  /** End the last row with the line ending; `true` when omitted. */
  readonly finalNewline?: boolean;
}

export type CsvRows = ReadonlyArray<ReadonlyArray<string>>;

const quote = (field: string, all: boolean): string =>
  all || /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;

/** CSV text for `rows` (header first) in the given style. */
export const toCsv = (rows: CsvRows, style: CsvStyle = {}): string => {
  const eol = style.eol ?? "\n";
  const body = rows.map((row) => row.map((field) => quote(field, style.quoteAll ?? false)).join(",")).join(eol);
  return (style.bom === true ? "\uFEFF" : "") + body + (style.finalNewline === false || rows.length === 0 ? "" : eol);
};

/** manifest.csv rows declaring each file's mode, plus any extra (possibly malformed) properties. */
export const manifestRows = (
  modes: Readonly<Record<string, "bulk" | "delta" | "absent">>,
  extra: ReadonlyArray<readonly [string, string]> = [],
): CsvRows => [
  ["propertyName", "value"],
  ["manifest.version", "1.0"],
  ["oneroster.version", "1.1"],
  ...Object.entries(modes).map(([name, mode]) => [`file.${name}`, mode]),
  ...extra,
];

/** A file's content: rows to format with the export's style, or exact text or bytes. */
export type FileContent = CsvRows | string | Uint8Array;

const toBytes = (content: FileContent, style: CsvStyle): Uint8Array =>
  typeof content === "string"
    ? Buffer.from(content, "utf8")
    : content instanceof Uint8Array
    ? content
    : Buffer.from(toCsv(content, style), "utf8");

/** Writes `files` (name → content) into `folder`, creating it; resolves to the folder. */
export const writeOneRosterCsv = async (
  folder: string,
  files: Readonly<Record<string, FileContent>>,
  style: CsvStyle = {},
): Promise<string> => {
  await mkdir(folder, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(folder, name)), { recursive: true });
    await writeFile(join(folder, name), toBytes(content, style));
  }
  return folder;
};

/**
 * Writes a zip of `files` (path in the zip → content; a path ending in `/` is a folder entry).
 * Entries are deflated unless `compress` is false. Enough of the format for readers; no zip64.
 */
export const writeZip = async (
  path: string,
  files: Readonly<Record<string, FileContent>>,
  options: { readonly compress?: boolean; readonly style?: CsvStyle } = {},
): Promise<string> => {
  const locals: Array<Buffer> = [];
  const centrals: Array<Buffer> = [];
  let offset = 0;
  const dosTime = 0;
  const dosDate = ((2026 - 1980) << 9) | (1 << 5) | 1;
  for (const [name, content] of Object.entries(files)) {
    const data = name.endsWith("/") ? new Uint8Array() : toBytes(content, options.style ?? {});
    const deflate = options.compress !== false && data.length > 0;
    const stored = deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(name.endsWith("/") ? 0x10 : 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, stored);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.concat([...locals, directory, end]));
  return path;
};
export * from "./rest";
export * from "./sftp";
