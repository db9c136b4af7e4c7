/**
 * Clever v3.0 records → canonical records. Pure functions: one wire record in, canonical records and
 * row issues out. Clever ids are the external ids; everything else is normalised here so the engine
 * never sees `""`, `null` or Clever's grade names.
 */
import {
  rowIssue, type ClassFields, type Kind, type RowIssue, type SchoolFields, type SourceRecord, type UserFields,
  type UserRole,
} from "@sis-sync/core";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import * as Wire from "./wire";

export interface Mapped<K extends Kind> {
  readonly records: ReadonlyArray<SourceRecord<K>>;
  readonly issues: ReadonlyArray<RowIssue>;
}

/** `undefined`, `null`, `""` and whitespace all mean "absent" in Clever data. */
export const present = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

const unique = (values: ReadonlyArray<string | null | undefined>): Array<string> => {
  const out: Array<string> = [];
  for (const value of values) {
    const v = present(value);
    if (v !== null && !out.includes(v)) out.push(v);
  }
  return out;
};

// Clever's Grade enum mapped to the CEDS codes OneRoster feeds use, so grades compare across providers.
const CEDS: Readonly<Record<string, string>> = {
  InfantToddler: "IT", Preschool: "PR", PreKindergarten: "PK", TransitionalKindergarten: "TK", Kindergarten: "KG",
  "1": "01", "2": "02", "3": "03", "4": "04", "5": "05", "6": "06", "7": "07", "8": "08", "9": "09",
  "10": "10", "11": "11", "12": "12", "13": "13", PostGraduate: "PS", Ungraded: "UG", Other: "Other",
};
const GRADE_ORDER = ["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS"];

/** A Clever grade as a CEDS code; values outside the enum pass through trimmed rather than being lost. */
export const grade = (value: string | null | undefined): string | null => {
  const v = present(value);
  return v === null ? null : (CEDS[v] ?? v);
};

/** The grades a school serves, from its `low_grade`..`high_grade`. */
export const gradeRange = (low: string | null | undefined, high: string | null | undefined): Array<string> => {
  const lo = grade(low);
  const hi = grade(high);
  const from = lo === null ? -1 : GRADE_ORDER.indexOf(lo);
  const to = hi === null ? -1 : GRADE_ORDER.indexOf(hi);
  if (from >= 0 && to >= from) return GRADE_ORDER.slice(from, to + 1);
  return unique([lo, hi]);
};

/** Clever dates are `YYYY-MM-DD`, though the Swagger calls them datetimes: keep the date part only. */
export const date = (value: string | null | undefined): string | null => {
  const v = present(value);
  return v !== null && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null;
};

const rawOf = (raw: unknown): Readonly<Record<string, unknown>> =>
  typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };

const rawId = (raw: unknown): string | null => {
  const id = rawOf(raw)["id"];
  return typeof id === "string" ? present(id) : null;
};

const decode = <S extends Schema.Codec<any>>(schema: S) => {
  const decoder = Schema.decodeUnknownResult(schema as Schema.Codec<S["Type"]>);
  return (raw: unknown): Result.Result<S["Type"], string> =>
    Result.mapError(decoder(raw), (e) => e.message.replace(/\s*\n\s*/g, " "));
};

const decodeSchool = decode(Wire.School);
const decodeTerm = decode(Wire.Term);
const decodeCourse = decode(Wire.Course);
const decodeSection = decode(Wire.Section);
const decodeMembers = decode(Wire.SectionMembers);
const decodeUser = decode(Wire.User);

const invalid = (kind: Kind, resource: string, raw: unknown, reason: string): RowIssue => {
  const id = rawId(raw);
  return rowIssue(kind, "error", "invalid_row", `Clever ${resource}${id ? ` ${id}` : ""} is malformed: ${reason}`, { externalId: id });
};

const record = <K extends Kind>(kind: K, externalId: string, fields: SourceRecord<K>["fields"], raw: unknown): SourceRecord<K> =>
  ({ kind, externalId, status: "active", fields, raw: rawOf(raw), origin: null }) as SourceRecord<K>;

export const toSchool = (raw: unknown): Mapped<"school"> => {
  const decoded = decodeSchool(raw);
  if (Result.isFailure(decoded)) return { records: [], issues: [invalid("school", "school", raw, decoded.failure)] };
  const s = decoded.success;
  const fields: SchoolFields = {
    name: present(s.name) ?? "",
    identifier: present(s.school_number) ?? present(s.sis_id),
    type: "school",
    parentExternalId: present(s.district),
    grades: gradeRange(s.low_grade, s.high_grade),
  };
  return { records: [record("school", s.id, fields, raw)], issues: [] };
};

/** Terms and courses are folded into classes, so they are read first and looked up by id. */
export interface ClassLookups {
  readonly terms: ReadonlyMap<string, Wire.Term>;
  readonly courses: ReadonlyMap<string, Wire.Course>;
}

export const toTerm = (raw: unknown): Result.Result<Wire.Term, RowIssue> =>
  Result.mapError(decodeTerm(raw), (reason) => rowIssue("class", "warning", "invalid_value", `Clever term${rawId(raw) ? ` ${rawId(raw)}` : ""} is malformed and was ignored: ${reason}`));

export const toCourse = (raw: unknown): Result.Result<Wire.Course, RowIssue> =>
  Result.mapError(decodeCourse(raw), (reason) => rowIssue("class", "warning", "invalid_value", `Clever course${rawId(raw) ? ` ${rawId(raw)}` : ""} is malformed and was ignored: ${reason}`));

export const toClass = (raw: unknown, lookups: ClassLookups): Mapped<"class"> => {
  const decoded = decodeSection(raw);
  if (Result.isFailure(decoded)) return { records: [], issues: [invalid("class", "section", raw, decoded.failure)] };
  const s = decoded.success;
  const courseId = present(s.course);
  const course = courseId === null ? undefined : lookups.courses.get(courseId);
  const termId = present(s.term_id);
  const term = termId === null ? undefined : lookups.terms.get(termId);
  const subject = present(s.subject);
  const level = grade(s.grade);
  const fields: ClassFields = {
    // Clever builds section names from the course name; fall back to it when a district sends none.
    title: present(s.name) ?? present(course?.name) ?? "",
    classCode: present(s.section_number) ?? present(s.sis_id),
    classType: subject === "homeroom/advisory" ? "homeroom" : "scheduled",
    schoolExternalId: present(s.school) ?? "",
    course: courseId === null ? null : { externalId: courseId, title: present(course?.name), code: present(course?.number) },
    terms: termId === null ? [] : [{
      externalId: termId,
      title: present(term?.name),
      type: null,
      startDate: date(term?.start_date),
      endDate: date(term?.end_date),
      schoolYear: null,
    }],
    periods: unique([s.period]),
    subjects: subject === null ? [] : [subject],
    grades: level === null ? [] : [level],
    location: null,
  };
  return { records: [record("class", s.id, fields, raw)], issues: [] };
};

/** Stable per (section, role, user): Clever has no enrollment objects, so the id is derived. */
export const enrollmentId = (sectionId: string, role: "teacher" | "student", userId: string) => `${sectionId}:${role}:${userId}`;

/**
 * One enrollment per teacher (primary = the section's `teacher`) and per student of a section.
 * Fails (Left) only when the member lists themselves are unreadable: the caller must then stop the
 * run, because skipping them would deactivate every enrollment of the section.
 */
export const toEnrollments = (raw: unknown): Result.Result<Mapped<"enrollment">, string> => {
  const decoded = decodeMembers(raw);
  if (Result.isFailure(decoded)) {
    const id = rawId(raw);
    return Result.fail(`Clever section${id ? ` ${id}` : ""} has unreadable teacher or student lists (${decoded.failure})`);
  }
  const s = decoded.success;
  const primary = present(s.teacher);
  const teachers = unique([primary, ...(s.teachers ?? [])]);
  const students = unique(s.students);
  const enrollment = (role: "teacher" | "student", userId: string) =>
    record("enrollment", enrollmentId(s.id, role, userId), {
      classExternalId: s.id,
      userExternalId: userId,
      role,
      primary: role === "teacher" && userId === primary,
      beginDate: null,
      endDate: null,
    }, { section: s.id, role, user: userId });
  return Result.succeed({
    records: [...teachers.map((id) => enrollment("teacher", id)), ...students.map((id) => enrollment("student", id))],
    issues: [],
  });
};

/**
 * The multi-role rule: a Clever user whose employee roles were merged (teacher + staff, district
 * admin + teacher, …) becomes ONE canonical user, with the first role present in this order.
 * Administrator first because the canonical role carries permissions, while teaching is kept anyway
 * through the section enrollments; staff last as the least specific. Students cannot be merged in
 * Clever, so a student role next to an employee role is an anomaly: the employee role wins, with a
 * warning.
 */
export const ROLE_PRECEDENCE: ReadonlyArray<Wire.UserListRole> = ["district_admin", "teacher", "staff", "student"];

export const CANONICAL_ROLE: Readonly<Record<Wire.UserListRole, UserRole>> = {
  district_admin: "administrator",
  teacher: "teacher",
  staff: "staff",
  student: "student",
};

const rolesOf = (raw: unknown): Array<Wire.UserListRole> => {
  const roles = rawOf(raw)["roles"];
  if (typeof roles !== "object" || roles === null) return [];
  return ROLE_PRECEDENCE.filter((r) => (roles as Record<string, unknown>)[r] != null);
};

/** The role list (`/users?role=`) in which a user is emitted: the first of its roles by precedence. */
export const primaryListRole = (raw: unknown): Wire.UserListRole | undefined => rolesOf(raw)[0];

/**
 * Maps a user read from `/users?role=<listRole>`. A multi-role user comes back from several role
 * lists; it is emitted only from the list of its primary role, which keeps the extraction stateless.
 */
export const toUser = (raw: unknown, listRole: Wire.UserListRole): Mapped<"user"> => {
  if (primaryListRole(raw) !== undefined && primaryListRole(raw) !== listRole) return { records: [], issues: [] };
  const decoded = decodeUser(raw);
  if (Result.isFailure(decoded)) return { records: [], issues: [invalid("user", "user", raw, decoded.failure)] };
  const u = decoded.success;
  const { student, teacher, staff } = u.roles;
  const top = ROLE_PRECEDENCE.find((r) => u.roles[r] != null);
  if (top === undefined) {
    // A contact (guardian) is never a user. Anyone else without a role is reported under its id,
    // so the user is not deactivated for a role Clever failed to send.
    if (u.roles.contact != null) return { records: [], issues: [] };
    return { records: [], issues: [invalid("user", "user", raw, `it has none of the roles ${ROLE_PRECEDENCE.join(", ")}`)] };
  }
  const issues: Array<RowIssue> = [];
  const at = { externalId: u.id };
  if (student && top !== "student") {
    issues.push(rowIssue("user", "warning", "invalid_value",
      `Clever user ${u.id} combines a student role with ${top}; it was synced as ${CANONICAL_ROLE[top]}`, at));
  }
  const isStudent = top === "student";
  // district_admin has no schools, credentials or state id: an admin who also teaches keeps those of the teacher role.
  const schoolsOf = (r: { school?: string | null | undefined; schools?: ReadonlyArray<string> | null | undefined } | null | undefined) =>
    r ? [r.school, ...(r.schools ?? [])] : [];
  let email = present(u.email) ?? present(student?.email);
  if (email !== null && !email.includes("@")) {
    issues.push(rowIssue("user", "warning", "invalid_value", `Clever user ${u.id} has an email without "@"; it was left out`, at));
    email = null;
  }
  const fields: UserFields = {
    role: CANONICAL_ROLE[top],
    givenName: present(u.name?.first) ?? "",
    familyName: present(u.name?.last) ?? "",
    middleName: present(u.name?.middle),
    email,
    username: isStudent
      ? present(student?.credentials?.district_username)
      : (unique([teacher?.credentials?.district_username, staff?.credentials?.district_username])[0] ?? null),
    studentNumber: isStudent ? present(student?.student_number) : null,
    stateId: isStudent ? present(student?.state_id) : present(teacher?.state_id),
    grades: isStudent ? unique([grade(student?.grade)]) : [],
    schoolExternalIds: unique(isStudent ? schoolsOf(student) : [...schoolsOf(teacher), ...(staff?.schools ?? [])]),
    enabled: true,
  };
  return { records: [record("user", u.id, fields, raw)], issues };
};
