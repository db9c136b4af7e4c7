/**
 * Maps one CSV row to a canonical record, or to issues when it cannot. A rejected row always leaves
 * an error issue; a dropped value leaves a warning and keeps the row. Bulk files are snapshots, so a
 * `tobedeleted` row in one is treated as absent (spec §5.5) rather than as a deletion.
 */
import {
  rowIssue,
  type CourseRef,
  type FieldsByKind,
  type FeedMode,
  type Kind,
  type Origin,
  type RecordStatus,
  type RowIssue,
  type SourceRecord,
  type TermRef,
} from "@sis-sync/core";
import type { RecordSink } from "../RecordSink";
import type { Header } from "./Header";
import type * as Tables from "./Tables";
import * as V from "./Values";

export type RowSink = RecordSink;

export type RowMapper = (fields: ReadonlyArray<string>, line: number, sink: RowSink) => void;

type ColumnsOf<T> = T extends Tables.TableSpec<infer C> ? C : never;

/** A lookup file folded into classes; `complete` when it is a bulk file, so a miss is worth a warning. */
export interface Lookup<A> {
  readonly byId: ReadonlyMap<string, A>;
  readonly complete: boolean;
}

export interface ClassLookups {
  readonly courses: Lookup<CourseRef> | null;
  readonly terms: Lookup<TermRef> | null;
}

/**
 * A mapped row. Its `raw` (every column by name) is built on each read, not up front: most rows of a
 * re-sync are unchanged, and the engine stages those without their raw record. One class for every
 * kind, so all records share one shape.
 */
class CsvRecord<K extends Kind> implements SourceRecord<K> {
  readonly kind: K;
  readonly externalId: string;
  readonly status: RecordStatus;
  readonly fields: FieldsByKind[K];
  readonly origin: Origin;
  readonly #header: Header<string>;
  readonly #row: ReadonlyArray<string>;

  constructor(kind: K, externalId: string, status: RecordStatus, fields: FieldsByKind[K], origin: Origin, header: Header<string>, row: ReadonlyArray<string>) {
    this.kind = kind;
    this.externalId = externalId;
    this.status = status;
    this.fields = fields;
    this.origin = origin;
    this.#header = header;
    this.#row = row;
  }

  get raw(): Readonly<Record<string, string>> {
    return this.#header.raw(this.#row);
  }

  /** Serialises like a plain record, `raw` included. */
  toJSON() {
    return { kind: this.kind, externalId: this.externalId, status: this.status, fields: this.fields, raw: this.raw, origin: this.origin };
  }
}

/** Row-level helpers bound to one file, so each mapper reads as a list of fields. */
const rowTools = (kind: Kind | null, mode: FeedMode) => {
  const reject = (sink: RowSink, origin: Origin, externalId: string | null, code: RowIssue["code"], message: string) => {
    sink.issues.push(rowIssue(kind, "error", code, message, { origin, externalId }));
  };
  const warn = (sink: RowSink, origin: Origin, externalId: string | null, code: RowIssue["code"], message: string) => {
    sink.issues.push(rowIssue(kind, "warning", code, message, { origin, externalId }));
  };
  /** The row's id, or `null` after reporting why the row is unusable. */
  const identify = (header: Header<"sourcedId">, fields: ReadonlyArray<string>, origin: Origin, sink: RowSink) => {
    const widthProblem = header.widthProblem(fields);
    const id = V.text(fields[header.index.sourcedId]);
    if (widthProblem !== null) {
      reject(sink, origin, id, "invalid_row", `${widthProblem}; row skipped`);
      return null;
    }
    if (id === null) reject(sink, origin, null, "missing_field", "sourcedId is empty; row skipped");
    return id;
  };
  /** Record status, or `null` when a bulk file marks the row deleted (skipped with a warning). */
  const statusOf = (value: string | undefined, origin: Origin, id: string, sink: RowSink): RecordStatus | null => {
    let status = V.status(value);
    if (status === undefined) {
      warn(sink, origin, id, "invalid_value", `status "${value}" is not active or tobedeleted; read as active`);
      status = "active";
    }
    if (status === "tobedeleted" && mode === "bulk") {
      warn(sink, origin, id, "ignored_row", `status "${value?.trim()}" in a bulk file: row treated as absent`);
      return null;
    }
    return status;
  };
  return {
    reject,
    warn,
    identify,
    /**
     * The opening every data row shares: where it is, its id and its status; `null` once the row is
     * reported unusable or is a deleted row of a bulk file.
     */
    open: (header: Header<"sourcedId" | "status">, fields: ReadonlyArray<string>, line: number, sink: RowSink) => {
      const origin: Origin = { file: header.file, line };
      const id = identify(header, fields, origin, sink);
      if (id === null) return null;
      const status = statusOf(fields[header.index.status], origin, id, sink);
      return status === null ? null : { origin, id, status };
    },
    status: statusOf,
    date: (column: string, value: string | undefined, origin: Origin, id: string, sink: RowSink): string | null => {
      const parsed = V.date(value);
      if (parsed !== undefined) return parsed;
      warn(sink, origin, id, "invalid_value", `${column} "${value}" is not a date (YYYY-MM-DD); value dropped`);
      return null;
    },
    boolean: (column: string, value: string | undefined, blank: boolean, origin: Origin, id: string, sink: RowSink) => {
      const parsed = V.boolean(value);
      if (parsed === null) return blank;
      if (parsed !== undefined) return parsed;
      warn(sink, origin, id, "invalid_value", `${column} "${value}" is not true or false; read as ${blank}`);
      return blank;
    },
    required: (column: string, value: string | undefined, origin: Origin, id: string, sink: RowSink) => {
      const present = V.text(value);
      if (present === null) reject(sink, origin, id, "missing_field", `${column} is empty; row skipped`);
      return present;
    },
    role: (value: string | undefined, origin: Origin, id: string, sink: RowSink) => {
      const present = V.text(value);
      if (present === null) {
        reject(sink, origin, id, "missing_field", "role is empty; row skipped");
        return undefined;
      }
      const role = V.role(present);
      if (role === undefined) reject(sink, origin, id, "invalid_value", `unknown role "${present}"; row skipped`);
      return role;
    },
  };
};

/** orgs.csv: only `school` orgs become records; districts and departments are parents, not schools. */
export const schools = (header: Header<ColumnsOf<typeof Tables.orgs>>, mode: FeedMode): RowMapper => {
  const t = rowTools("school", mode);
  const ix = header.index;
  return (fields, line, sink) => {
    const origin: Origin = { file: header.file, line };
    const id = t.identify(header, fields, origin, sink);
    if (id === null) return;
    const type = V.text(fields[ix.type]);
    if (type === null) return t.reject(sink, origin, id, "missing_field", "type is empty; row skipped");
    if (type !== "school" && type.toLowerCase() !== "school") return;
    const status = t.status(fields[ix.status], origin, id, sink);
    if (status === null) return;
    const name = t.required("name", fields[ix.name], origin, id, sink);
    if (name === null) return;
    sink.records.push(new CsvRecord("school", id, status, {
      name,
      identifier: V.text(fields[ix.identifier]),
      type: "school",
      parentExternalId: V.text(fields[ix.parentSourcedId]),
      grades: V.list(fields[ix.grades]),
    }, origin, header, fields));
  };
};

/** classes.csv, with the course and terms resolved from the lookup files loaded beforehand. */
export const classes = (
  header: Header<ColumnsOf<typeof Tables.classes>>,
  mode: FeedMode,
  lookups: ClassLookups,
): RowMapper => {
  const t = rowTools("class", mode);
  const ix = header.index;
  const course = (courseId: string | null, origin: Origin, id: string, sink: RowSink): CourseRef | null => {
    if (courseId === null) return null;
    const found = lookups.courses?.byId.get(courseId);
    if (found !== undefined) return found;
    if (lookups.courses?.complete === true) {
      t.warn(sink, origin, id, "unknown_reference", `course "${courseId}" is not in courses.csv`);
    }
    return { externalId: courseId, title: null, code: null };
  };
  const terms = (termIds: ReadonlyArray<string>, origin: Origin, id: string, sink: RowSink) =>
    termIds.map((termId): TermRef => {
      const found = lookups.terms?.byId.get(termId);
      if (found !== undefined) return found;
      if (lookups.terms?.complete === true) {
        t.warn(sink, origin, id, "unknown_reference", `term "${termId}" is not in academicSessions.csv`);
      }
      return { externalId: termId, title: null, type: null, startDate: null, endDate: null, schoolYear: null };
    });
  return (fields, line, sink) => {
    const row = t.open(header, fields, line, sink);
    if (row === null) return;
    const { origin, id, status } = row;
    const title = t.required("title", fields[ix.title], origin, id, sink);
    const school = t.required("schoolSourcedId", fields[ix.schoolSourcedId], origin, id, sink);
    if (title === null || school === null) return;
    sink.records.push(new CsvRecord("class", id, status, {
      title,
      classCode: V.text(fields[ix.classCode]),
      classType: V.text(fields[ix.classType])?.toLowerCase() ?? null,
      schoolExternalId: school,
      course: course(V.text(fields[ix.courseSourcedId]), origin, id, sink),
      terms: terms(V.list(fields[ix.termSourcedIds]), origin, id, sink),
      periods: V.list(fields[ix.periods]),
      subjects: V.list(fields[ix.subjects]),
      grades: V.list(fields[ix.grades]),
      location: V.text(fields[ix.location]),
    }, origin, header, fields));
  };
};

export const users = (header: Header<ColumnsOf<typeof Tables.users>>, mode: FeedMode): RowMapper => {
  const t = rowTools("user", mode);
  const ix = header.index;
  return (fields, line, sink) => {
    const row = t.open(header, fields, line, sink);
    if (row === null) return;
    const { origin, id, status } = row;
    const role = t.role(fields[ix.role], origin, id, sink);
    const givenName = V.text(fields[ix.givenName]);
    const familyName = V.text(fields[ix.familyName]);
    // One name is enough (mononymous people exist); the core validator draws the same line.
    if (givenName === null && familyName === null) {
      return t.reject(sink, origin, id, "missing_field", "givenName and familyName are empty; row skipped");
    }
    if (givenName === null || familyName === null) {
      t.warn(sink, origin, id, "missing_field", `${givenName === null ? "givenName" : "familyName"} is empty`);
    }
    if (role === undefined) return;
    sink.records.push(new CsvRecord("user", id, status, {
      role,
      givenName: givenName ?? "",
      familyName: familyName ?? "",
      middleName: V.text(fields[ix.middleName]),
      email: V.text(fields[ix.email]),
      username: V.text(fields[ix.username]),
      studentNumber: V.text(fields[ix.identifier]),
      stateId: null,
      grades: V.list(fields[ix.grades]),
      // OneRoster 1.1 has no primary-org flag: the first listed org is the primary school.
      schoolExternalIds: V.list(fields[ix.orgSourcedIds]),
      enabled: t.boolean("enabledUser", fields[ix.enabledUser], true, origin, id, sink),
    }, origin, header, fields));
  };
};

export const enrollments = (header: Header<ColumnsOf<typeof Tables.enrollments>>, mode: FeedMode): RowMapper => {
  const t = rowTools("enrollment", mode);
  const ix = header.index;
  return (fields, line, sink) => {
    const row = t.open(header, fields, line, sink);
    if (row === null) return;
    const { origin, id, status } = row;
    const classId = t.required("classSourcedId", fields[ix.classSourcedId], origin, id, sink);
    const userId = t.required("userSourcedId", fields[ix.userSourcedId], origin, id, sink);
    const role = t.role(fields[ix.role], origin, id, sink);
    if (classId === null || userId === null || role === undefined) return;
    sink.records.push(new CsvRecord("enrollment", id, status, {
      classExternalId: classId,
      userExternalId: userId,
      role,
      primary: t.boolean("primary", fields[ix.primary], false, origin, id, sink),
      beginDate: t.date("beginDate", fields[ix.beginDate], origin, id, sink),
      endDate: t.date("endDate", fields[ix.endDate], origin, id, sink),
    }, origin, header, fields));
  };
};

/*
 * Lookup files report with kind `null`: their rows are not records of any kind, and an error with a
 * kind and an id would make the engine hold a placeholder of that kind for a term or course id.
 */

/** academicSessions.csv rows as terms for classes; only the id is insisted on. */
export const terms = (
  header: Header<ColumnsOf<typeof Tables.academicSessions>>,
  mode: FeedMode,
  into: Map<string, TermRef>,
): RowMapper => {
  const t = rowTools(null, mode);
  const ix = header.index;
  return (fields, line, sink) => {
    const row = t.open(header, fields, line, sink);
    if (row === null) return;
    const { origin, id } = row;
    into.set(id, {
      externalId: id,
      title: V.text(fields[ix.title]),
      type: V.text(fields[ix.type]),
      startDate: t.date("startDate", fields[ix.startDate], origin, id, sink),
      endDate: t.date("endDate", fields[ix.endDate], origin, id, sink),
      schoolYear: V.text(fields[ix.schoolYear]),
    });
  };
};

/** courses.csv rows as the course of classes. */
export const courses = (
  header: Header<ColumnsOf<typeof Tables.courses>>,
  mode: FeedMode,
  into: Map<string, CourseRef>,
): RowMapper => {
  const t = rowTools(null, mode);
  const ix = header.index;
  return (fields, line, sink) => {
    const row = t.open(header, fields, line, sink);
    if (row === null) return;
    const { id } = row;
    into.set(id, { externalId: id, title: V.text(fields[ix.title]), code: V.text(fields[ix.courseCode]) });
  };
};
