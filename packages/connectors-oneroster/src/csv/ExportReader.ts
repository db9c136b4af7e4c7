/**
 * Reads a OneRoster 1.1 CSV export at a local path into source batches: manifest first, then every
 * structural check (declared files present, required columns) before the first batch, then schools,
 * classes (with courses and terms folded in), users and enrollments, streamed in bounded batches.
 */
import {
  rowIssue,
  RosterSourceError,
  type CourseRef,
  type FeedMode,
  type Kind,
  type RowIssue,
  type SourceBatch,
  type TermRef,
} from "@sis-sync/core";
import { CsvSyntaxError, readCsvChunks, readCsvRows, type CsvRow } from "./CsvRows";
import { findFile, openExport, type ExportFiles } from "./ExportFiles";
import { MissingColumnError, resolveHeader, type Header } from "./Header";
import { MANIFEST_FILE, parseManifest, type Manifest } from "./Manifest";
import * as RowMappers from "./RowMappers";
import { spansLines, swallowedRowIssues } from "./StrayQuotes";
import * as Tables from "./Tables";

/**
 * Records per batch when a source is not told otherwise. Each batch is one COPY; bigger batches
 * wait longer for their last record, long enough for the records to outlive young-generation
 * collections: 5000 peaked about 25 MB higher than 4000 at the same speed (`pnpm bench`).
 */
export const DEFAULT_BATCH_SIZE = 4000;

export interface ReadOptions {
  /** Most records per batch. */
  readonly batchSize: number;
}

interface PlannedFile<C extends string> {
  readonly spec: Tables.TableSpec<C>;
  /** The name in the export (it may differ in case from the spec's). */
  readonly name: string;
  readonly mode: FeedMode;
}

type Planned<T> = T extends Tables.TableSpec<infer C> ? PlannedFile<C> | null : never;

interface Plan {
  readonly manifest: Manifest;
  readonly orgs: Planned<typeof Tables.orgs>;
  readonly academicSessions: Planned<typeof Tables.academicSessions>;
  readonly courses: Planned<typeof Tables.courses>;
  readonly classes: Planned<typeof Tables.classes>;
  readonly users: Planned<typeof Tables.users>;
  readonly enrollments: Planned<typeof Tables.enrollments>;
  /** Export-level warnings, delivered with the first batch. */
  readonly issues: ReadonlyArray<RowIssue>;
}

const badInput = (message: string) => new RosterSourceError({ reason: "BadInput", message });

/** Any failure as the port's error; `file` names where it happened when the cause does not. */
export const toSourceError = (error: unknown, file?: string): RosterSourceError => {
  if (error instanceof RosterSourceError) return error;
  const where = file === undefined ? "" : `${file}: `;
  if (error instanceof CsvSyntaxError) return badInput(`${where}line ${error.line}: ${error.detail}`);
  if (error instanceof MissingColumnError) return badInput(error.message);
  const message = error instanceof Error ? error.message : String(error);
  // System errors (EACCES, EIO, …) carry a syscall; the rest are broken content (zip, deflate).
  const system = typeof error === "object" && error !== null && "syscall" in error;
  return new RosterSourceError({ reason: system ? "Transport" : "BadInput", message: `${where}${message}` });
};

type Chunks = AsyncGenerator<ReadonlyArray<CsvRow>, void, undefined>;

const chunksOf = (files: ExportFiles, name: string): Chunks => readCsvChunks(() => files.open(name));

/** The header's chunk only: one small read sent to the parser, none ahead. */
const peekAt = (files: ExportFiles, name: string): Chunks => readCsvChunks(() => files.open(name, { peek: true }), 1);

/** Resolves the header (the first row) and hands back the rows of the first chunk after it. */
const openTable = async <C extends string>(
  chunks: Chunks,
  planned: PlannedFile<C>,
): Promise<{ readonly header: Header<C>; readonly rest: ReadonlyArray<CsvRow> }> => {
  const first = await chunks.next();
  const [headerRow, ...rest] = first.done === true ? [] : first.value;
  if (headerRow === undefined) throw badInput(`${planned.name} is empty: it has no header row`);
  return { header: resolveHeader({ ...planned.spec, file: planned.name }, headerRow.fields), rest };
};

const readManifest = async (files: ExportFiles): Promise<Manifest> => {
  try {
    return await parseManifest(readCsvRows(() => files.open(findFile(files, MANIFEST_FILE) ?? MANIFEST_FILE)));
  } catch (error) {
    throw toSourceError(error, MANIFEST_FILE);
  }
};

const planExport = async (files: ExportFiles): Promise<Plan> => {
  const manifest = await readManifest(files);
  const issues: Array<RowIssue> = [...manifest.issues];
  const warn = (message: string) => issues.push(rowIssue(null, "warning", "manifest", message));

  const plan = <C extends string>(spec: Tables.TableSpec<C>): PlannedFile<C> | null => {
    const invalid = manifest.invalidModes.get(spec.name);
    if (invalid !== undefined) {
      throw badInput(`manifest.csv: file.${spec.name} is "${invalid}"; expected bulk, delta or absent`);
    }
    const mode = manifest.modes.get(spec.name);
    const name = findFile(files, spec.file);
    if (mode === "bulk" || mode === "delta") {
      if (name === undefined) {
        throw badInput(`manifest.csv declares ${spec.file} as ${mode}, but ${files.label} has no ${spec.file}`);
      }
      return { spec, name, mode };
    }
    if (name !== undefined) {
      warn(`${name} is present but manifest.csv ${mode === "absent" ? "marks it absent" : "does not declare it"}: ignored`);
    }
    return null;
  };
  const planned = {
    orgs: plan(Tables.orgs),
    academicSessions: plan(Tables.academicSessions),
    courses: plan(Tables.courses),
    classes: plan(Tables.classes),
    users: plan(Tables.users),
    enrollments: plan(Tables.enrollments),
  };
  const read = new Set<string>(Object.keys(planned));
  for (const [name, value] of manifest.invalidModes) {
    if (!read.has(name)) warn(`manifest.csv: file.${name} is "${value}"; expected bulk, delta or absent`);
  }
  for (const [name, mode] of manifest.modes) {
    if (!read.has(name) && mode !== "absent" && findFile(files, `${name}.csv`) === undefined) {
      warn(`manifest.csv declares ${name}.csv as ${mode}, but the export has no ${name}.csv (not needed: ignored)`);
    }
  }

  // Every header is checked before the first batch, so a broken file fails the run before any write.
  // Terms and courses only matter to classes: without classes they are never opened.
  const { academicSessions, courses, ...kinds } = planned;
  const checks: ReadonlyArray<PlannedFile<string> | null> = kinds.classes === null
    ? Object.values(kinds)
    : [academicSessions, courses, ...Object.values(kinds)];
  // Peeked at together, one read chunk each: one after the other, each peek waited for the parser
  // thread to finish the chunks read ahead for the one before (0.4–0.5 s for the six files of a
  // 100 000-student export). The first broken file in this order is the one reported.
  const peeks = await Promise.allSettled(checks.map(async (file) => {
    if (file === null) return;
    const chunks = peekAt(files, file.name);
    try {
      await openTable(chunks, file);
    } catch (error) {
      throw toSourceError(error, file.name);
    } finally {
      await chunks.return();
    }
  }));
  for (const peek of peeks) if (peek.status === "rejected") throw peek.reason;
  return { manifest, ...planned, issues };
};

const idIndexOf = (header: Header<string>): number => (header.index as Partial<Record<string, number>>)["sourcedId"] ?? 0;

/** Reads one file through `map`, yielding batches of at most `batchSize` records (and issues). */
async function* readTable<C extends string>(
  files: ExportFiles,
  planned: PlannedFile<C>,
  kind: Kind,
  map: (header: Header<C>) => RowMappers.RowMapper,
  batchSize: number,
  carried: Array<RowIssue>,
  issueKind: Kind | null = kind,
): AsyncGenerator<SourceBatch, void, undefined> {
  const chunks = chunksOf(files, planned.name);
  try {
    const { header, rest } = await openTable(chunks, planned);
    let sink: RowMappers.RowSink = { records: [], issues: carried.splice(0) };
    const take = (): SourceBatch => {
      const batch = { kind, mode: planned.mode, records: sink.records, issues: sink.issues };
      sink = { records: [], issues: [] };
      return batch;
    };
    if (header.unknown.length > 0) {
      sink.issues.push(rowIssue(issueKind, "warning", "unknown_column",
        `columns outside OneRoster 1.1, kept in raw only: ${header.unknown.join(", ")}`,
        { origin: { file: planned.name, line: 1 } }));
    }
    const mapRow = map(header);
    let emitted = false;
    let rows = rest;
    while (true) {
      for (let i = 0; i < rows.length; i++) {
        const { fields, line } = rows[i]!;
        // Only a record followed by a gap in line numbers (or the last of a chunk) can span lines:
        // the common row costs one comparison, not a scan of its values.
        const next = rows[i + 1];
        if ((next === undefined || next.line - line > 1) && spansLines(fields)) {
          sink.issues.push(...swallowedRowIssues(issueKind, planned.name, fields, line, idIndexOf(header)));
        } else {
          mapRow(fields, line, sink);
        }
        if (sink.records.length >= batchSize || sink.issues.length >= batchSize) {
          emitted = true;
          yield take();
        }
      }
      const next = await chunks.next();
      if (next.done === true) break;
      rows = next.value;
    }
    // A present file always yields a batch, even an empty one, so the engine sees the kind.
    if (!emitted || sink.records.length > 0 || sink.issues.length > 0) yield take();
  } catch (error) {
    throw toSourceError(error, planned.name);
  } finally {
    await chunks.return();
  }
}

/** Loads a lookup file (terms, courses) into a map; its row issues join the carried issues. */
const loadLookup = async <C extends string, A>(
  files: ExportFiles,
  planned: PlannedFile<C> | null,
  map: (header: Header<C>, into: Map<string, A>) => RowMappers.RowMapper,
  carried: Array<RowIssue>,
): Promise<RowMappers.Lookup<A> | null> => {
  if (planned === null) return null;
  const byId = new Map<string, A>();
  const batches = readTable(files, planned, "class", (header) => map(header, byId), Infinity, [], null);
  for await (const batch of batches) {
    carried.push(...batch.issues);
  }
  return { byId, complete: planned.mode === "bulk" };
};

const open = async (localPath: string): Promise<ExportFiles> => {
  try {
    return await openExport(localPath);
  } catch (error) {
    throw toSourceError(error);
  }
};

async function* extract(localPath: string, options: ReadOptions): AsyncGenerator<SourceBatch, void, undefined> {
  const files = await open(localPath);
  try {
    const plan = await planExport(files);
    const carried = [...plan.issues];
    const { academicSessions, courses: courseFile, orgs, classes, users, enrollments } = plan;
    const { batchSize } = options;
    // Lookups are loaded first (they are small) but their row issues travel with the class batches.
    const lookupIssues: Array<RowIssue> = [];
    const terms = classes === null ? null : await loadLookup(files, academicSessions,
      (h, into: Map<string, TermRef>) => RowMappers.terms(h, academicSessions?.mode ?? "bulk", into), lookupIssues);
    const courses = classes === null ? null : await loadLookup(files, courseFile,
      (h, into: Map<string, CourseRef>) => RowMappers.courses(h, courseFile?.mode ?? "bulk", into), lookupIssues);
    if (orgs !== null) {
      yield* readTable(files, orgs, "school", (h) => RowMappers.schools(h, orgs.mode), batchSize, carried);
    }
    if (classes !== null) {
      carried.push(...lookupIssues);
      yield* readTable(files, classes, "class", (h) => RowMappers.classes(h, classes.mode, { courses, terms }),
        batchSize, carried);
    }
    if (users !== null) {
      yield* readTable(files, users, "user", (h) => RowMappers.users(h, users.mode), batchSize, carried);
    }
    if (enrollments !== null) {
      yield* readTable(files, enrollments, "enrollment", (h) => RowMappers.enrollments(h, enrollments.mode),
        batchSize, carried);
    }
  } finally {
    files.close();
  }
}

/**
 * The export's batches in kind order (school → class → user → enrollment). Each iteration reads the
 * path afresh, so one value serves every sync run. Fails with `RosterSourceError`.
 */
export const readExport = (localPath: string, options: ReadOptions): AsyncIterable<SourceBatch> => ({
  [Symbol.asyncIterator]: () => extract(localPath, options),
});

/** Opens the export, reads its manifest and checks its headers; a one-line human summary. */
export const describeExport = async (localPath: string): Promise<string> => {
  const files = await open(localPath);
  try {
    const plan = await planExport(files);
    const declared = [...plan.manifest.modes].filter(([, mode]) => mode !== "absent");
    const list = declared.map(([name, mode]) => `${name}.csv ${mode}`).join(", ");
    const warnings = plan.issues.length === 0
      ? ""
      : `; ${plan.issues.length} manifest warning${plan.issues.length === 1 ? "" : "s"}`;
    return `OneRoster ${plan.manifest.version ?? "1.1"} export at ${files.label}: ${declared.length} file${
      declared.length === 1 ? "" : "s"
    } (${list})${warnings}`;
  } finally {
    files.close();
  }
};
