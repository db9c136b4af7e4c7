/**
 * OneRoster 1.1 JSON records → canonical records, one function per kind, with the same rules as
 * the CSV row mappers (`csv/RowMappers.ts`): only orgs of type school become schools; academic
 * sessions and courses are folded into classes; a record missing a required value is rejected with
 * an error issue carrying its sourcedId (so the engine never deactivates it for being unreadable);
 * an unreadable optional value is dropped with a warning; a `tobedeleted` record in a bulk read is
 * treated as absent.
 */
import {
  rowIssue,
  type CourseRef,
  type Kind,
  type Origin,
  type RecordStatus,
  type RowIssue,
  type TermRef,
} from "@sis-sync/core";
import { newSink, type RecordSink } from "../RecordSink";
import * as V from "./OneRosterValues";

/** Where mapped records and issues go; one per page. */
export type Sink = RecordSink;
export { newSink };

type Json = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** A value for a message: short, single-line, never a whole nested object. */
const show = (value: unknown): string => {
  const s = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  const line = s.replace(/\s+/g, " ");
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
};

/** Record-level helpers bound to one record, so each mapper reads as a list of fields. */
const recordTools = (kind: Kind | null, raw: Json, origin: Origin, id: string, sink: Sink) => {
  const reject = (code: RowIssue["code"], message: string) =>
    sink.issues.push(rowIssue(kind, "error", code, message, { origin, externalId: id }));
  const warn = (code: RowIssue["code"], message: string) =>
    sink.issues.push(rowIssue(kind, "warning", code, message, { origin, externalId: id }));
  return {
    reject,
    warn,
    /** Optional text; a present value that is not text is dropped with a warning. */
    text: (field: string): string | null => {
      if (V.isUnreadable(raw[field])) warn("invalid_value", `${field} ${show(raw[field])} is not text; value dropped`);
      return V.text(raw[field]);
    },
    required: (field: string, value: string | null): string | null => {
      if (value === null) reject("missing_field", `${field} is empty; row skipped`);
      return value;
    },
    /** The record's status, or `null` when a bulk read lists it as deleted (skipped with a warning). */
    status: (): RecordStatus | null => {
      let status = V.status(raw["status"]);
      if (status === undefined) {
        warn("invalid_value", `status ${show(raw["status"])} is not active or tobedeleted; read as active`);
        status = "active";
      }
      if (status === "tobedeleted") {
        warn("ignored_row", `status ${show(raw["status"])} in a bulk read: record treated as absent`);
        return null;
      }
      return status;
    },
    date: (field: string): string | null => {
      const parsed = V.date(raw[field]);
      if (parsed !== undefined) return parsed;
      warn("invalid_value", `${field} ${show(raw[field])} is not a date (YYYY-MM-DD); value dropped`);
      return null;
    },
    bool: (field: string, blank: boolean): boolean => {
      const parsed = V.bool(raw[field]);
      if (parsed === null) return blank;
      if (parsed !== undefined) return parsed;
      warn("invalid_value", `${field} ${show(raw[field])} is not true or false; read as ${blank}`);
      return blank;
    },
    role: () => {
      const present = V.text(raw["role"]);
      if (present === null) {
        reject("missing_field", "role is empty; row skipped");
        return undefined;
      }
      const role = V.role(present);
      if (role === undefined) reject("invalid_value", `unknown role "${present}"; row skipped`);
      return role;
    },
  };
};

/** The record's sourcedId, or `null` after reporting why the record is unusable. */
const identify = (kind: Kind | null, input: unknown, origin: Origin, sink: Sink): { readonly raw: Json; readonly id: string } | null => {
  if (!isObject(input)) {
    sink.issues.push(rowIssue(kind, "error", "invalid_row", "record is not a JSON object; skipped", { origin }));
    return null;
  }
  const id = V.text(input["sourcedId"]);
  if (id === null) {
    sink.issues.push(rowIssue(kind, "error", "missing_field", "sourcedId is empty; row skipped", { origin }));
    return null;
  }
  return { raw: input, id };
};

/** An org: only `school` orgs become records; districts and departments are parents, not schools. */
export const school = (input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify("school", input, origin, sink);
  if (r === null) return;
  const t = recordTools("school", r.raw, origin, r.id, sink);
  const type = V.text(r.raw["type"]);
  if (type === null) return void t.reject("missing_field", "type is empty; row skipped");
  if (type.toLowerCase() !== "school") return;
  const status = t.status();
  if (status === null) return;
  const name = t.required("name", t.text("name"));
  if (name === null) return;
  sink.records.push({
    kind: "school",
    externalId: r.id,
    status,
    fields: {
      name,
      identifier: t.text("identifier"),
      type: "school",
      parentExternalId: V.ref(r.raw["parent"]),
      grades: V.list(r.raw["grades"]),
    },
    raw: r.raw,
    origin,
  });
};

/** Academic sessions and courses by sourcedId, read before classes and folded into them. */
export interface Lookups {
  readonly terms: Map<string, TermRef>;
  readonly courses: Map<string, CourseRef>;
}

export const emptyLookups = (): Lookups => ({ terms: new Map(), courses: new Map() });

/*
 * Lookup records report with kind `null`: they are not records of any kind, and an error with a
 * kind and an id would make the engine hold a placeholder of that kind for a term or course id.
 */

/** An academic session as a term of classes; only the id is insisted on. */
export const term = (lookups: Lookups, input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify(null, input, origin, sink);
  if (r === null) return;
  const t = recordTools(null, r.raw, origin, r.id, sink);
  if (t.status() === null) return;
  lookups.terms.set(r.id, {
    externalId: r.id,
    title: t.text("title"),
    type: t.text("type"),
    startDate: t.date("startDate"),
    endDate: t.date("endDate"),
    schoolYear: t.text("schoolYear"),
  });
};

export const course = (lookups: Lookups, input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify(null, input, origin, sink);
  if (r === null) return;
  const t = recordTools(null, r.raw, origin, r.id, sink);
  if (t.status() === null) return;
  lookups.courses.set(r.id, { externalId: r.id, title: t.text("title"), code: t.text("courseCode") });
};

export const klass = (lookups: Lookups, input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify("class", input, origin, sink);
  if (r === null) return;
  const t = recordTools("class", r.raw, origin, r.id, sink);
  const status = t.status();
  if (status === null) return;
  const title = t.required("title", t.text("title"));
  const schoolId = t.required("school", V.ref(r.raw["school"]));
  if (title === null || schoolId === null) return;
  const courseId = V.ref(r.raw["course"]);
  let courseRef: CourseRef | null = null;
  if (courseId !== null) {
    courseRef = lookups.courses.get(courseId) ?? null;
    if (courseRef === null) {
      t.warn("unknown_reference", `course "${courseId}" is not in /courses`);
      courseRef = { externalId: courseId, title: null, code: null };
    }
  }
  const terms = V.refs(r.raw["terms"]).map((termId): TermRef => {
    const found = lookups.terms.get(termId);
    if (found !== undefined) return found;
    t.warn("unknown_reference", `term "${termId}" is not in /academicSessions`);
    return { externalId: termId, title: null, type: null, startDate: null, endDate: null, schoolYear: null };
  });
  sink.records.push({
    kind: "class",
    externalId: r.id,
    status,
    fields: {
      title,
      classCode: t.text("classCode"),
      classType: t.text("classType")?.toLowerCase() ?? null,
      schoolExternalId: schoolId,
      course: courseRef,
      terms,
      periods: V.list(r.raw["periods"]),
      subjects: V.list(r.raw["subjects"]),
      grades: V.list(r.raw["grades"]),
      location: t.text("location"),
    },
    raw: r.raw,
    origin,
  });
};

export const user = (input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify("user", input, origin, sink);
  if (r === null) return;
  const t = recordTools("user", r.raw, origin, r.id, sink);
  const status = t.status();
  if (status === null) return;
  const role = t.role();
  const givenName = t.text("givenName");
  const familyName = t.text("familyName");
  // One name is enough (mononymous people exist); the core validator and the CSV reader agree.
  if (givenName === null && familyName === null) return void t.reject("missing_field", "givenName and familyName are empty; row skipped");
  if (givenName === null || familyName === null) t.warn("missing_field", `${givenName === null ? "givenName" : "familyName"} is empty`);
  if (role === undefined) return;
  sink.records.push({
    kind: "user",
    externalId: r.id,
    status,
    fields: {
      role,
      givenName: givenName ?? "",
      familyName: familyName ?? "",
      middleName: t.text("middleName"),
      email: t.text("email"),
      username: t.text("username"),
      studentNumber: t.text("identifier"),
      // OneRoster 1.1 has no state id; userIds types are vendor-defined, so none is guessed.
      stateId: null,
      grades: V.list(r.raw["grades"]),
      // 1.1 has no primary-org flag: the first listed org is the primary school (as in CSV).
      schoolExternalIds: V.refs(r.raw["orgs"]),
      enabled: t.bool("enabledUser", true),
    },
    raw: r.raw,
    origin,
  });
};

export const enrollment = (input: unknown, origin: Origin, sink: Sink): void => {
  const r = identify("enrollment", input, origin, sink);
  if (r === null) return;
  const t = recordTools("enrollment", r.raw, origin, r.id, sink);
  const status = t.status();
  if (status === null) return;
  const classId = t.required("class", V.ref(r.raw["class"]));
  const userId = t.required("user", V.ref(r.raw["user"]));
  const role = t.role();
  if (classId === null || userId === null || role === undefined) return;
  sink.records.push({
    kind: "enrollment",
    externalId: r.id,
    status,
    fields: {
      classExternalId: classId,
      userExternalId: userId,
      role,
      primary: t.bool("primary", false),
      beginDate: t.date("beginDate"),
      endDate: t.date("endDate"),
    },
    raw: r.raw,
    origin,
  });
};
