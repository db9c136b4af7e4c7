/**
 * Generated districts for the fake OneRoster REST server, built from canonical records (core's
 * `Fixtures.district`, enriched with terms, courses and a district org) and written back as
 * OneRoster 1.1 JSON in a chosen vendor style. Because the JSON is derived from the canonical
 * records, a test can compare what a connector reads with the records it started from.
 */
import type { AnyRecord, ClassFields, CourseRef, SchoolFields, SourceRecord, TermRef, UserFields } from "@sis-sync/core";
import { Fixtures } from "@sis-sync/core/testing";

export const COLLECTION_NAMES = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments"] as const;
export type CollectionName = (typeof COLLECTION_NAMES)[number];

export type JsonRecord = Record<string, unknown>;

/** The server's data: one array of OneRoster JSON records per collection. Mutate it freely between runs. */
export type District = Record<CollectionName, Array<JsonRecord>>;

export interface Style {
  /** JSON booleans (spec, FINT) or `"true"`/`"false"` strings (ClassLink). */
  readonly booleans: "json" | "string";
  /** Absent optional values left out (FINT), sent as `""` (ClassLink) or as `null`. */
  readonly absent: "omit" | "empty" | "null";
  /** GUIDRef `type` of org references: `"org"` (ClassLink, FINT) or `"school"` (seen by SDS). */
  readonly orgRefType: "org" | "school";
  /** Origin of every `href`; a foreign host (as ClassLink sends) proves hrefs are never followed. */
  readonly hrefBase: string;
  readonly dateLastModified: string;
}

export const SPEC_STYLE: Style = {
  booleans: "json",
  absent: "omit",
  orgRefType: "org",
  hrefBase: "https://sis.example.org/ims/oneroster/v1p1",
  dateLastModified: "2026-09-01T12:00:00.000Z",
};

/** ClassLink Roster Server habits (spec §2.7, §4.5): string booleans, `""` for nulls, hrefs on the district host. */
export const CLASSLINK_STYLE: Style = {
  booleans: "string",
  absent: "empty",
  orgRefType: "org",
  hrefBase: "https://certs-nj-v2.rosterserver.com/ims/oneroster/v1p1",
  dateLastModified: "2026-09-01T12:00:00.000Z",
};

const writer = (style: Style) => {
  const guid = (type: string, collection: string, sourcedId: string) => ({
    href: `${style.hrefBase}/${collection}/${encodeURIComponent(sourcedId)}`,
    sourcedId,
    type,
  });
  return {
    orgRef: (id: string) => guid(style.orgRefType, "orgs", id),
    ref: guid,
    bool: (value: boolean) => (style.booleans === "json" ? value : String(value)),
    /** Sets `key` on `into`, or writes the style's "absent" for a null value. */
    opt: (into: JsonRecord, key: string, value: unknown) => {
      if (value !== null && value !== undefined) into[key] = value;
      else if (style.absent === "empty") into[key] = "";
      else if (style.absent === "null") into[key] = null;
    },
    base: (r: { readonly externalId: string; readonly status: string }): JsonRecord => ({
      sourcedId: r.externalId,
      status: r.status,
      dateLastModified: style.dateLastModified,
    }),
  };
};

const byKind = <K extends AnyRecord["kind"]>(records: ReadonlyArray<AnyRecord>, kind: K) =>
  records.filter((r): r is Extract<AnyRecord, { kind: K }> => r.kind === kind);

/**
 * OneRoster JSON for canonical records. Schools' parents become district orgs; the courses and
 * terms folded into classes become `/courses` and `/academicSessions` records.
 */
export const fromRecords = (records: ReadonlyArray<AnyRecord>, style: Style = SPEC_STYLE): District => {
  const w = writer(style);
  const schools = byKind(records, "school");
  const classes = byKind(records, "class");
  const users = byKind(records, "user");
  const enrollments = byKind(records, "enrollment");

  const schoolIds = new Set(schools.map((s) => s.externalId));
  const districts = new Map<string, Array<string>>();
  for (const s of schools) {
    const parent = s.fields.parentExternalId;
    if (parent !== null && !schoolIds.has(parent)) districts.set(parent, [...(districts.get(parent) ?? []), s.externalId]);
  }
  const orgs: Array<JsonRecord> = [...districts].map(([id, children]) => ({
    ...w.base({ externalId: id, status: "active" }),
    name: `District ${id}`,
    type: "district",
    identifier: `D-${id}`,
    children: children.map(w.orgRef),
  }));
  for (const s of schools) {
    const org: JsonRecord = { ...w.base(s), name: s.fields.name, type: "school" };
    w.opt(org, "identifier", s.fields.identifier);
    if (s.fields.parentExternalId !== null) org["parent"] = w.orgRef(s.fields.parentExternalId);
    if (s.fields.grades.length > 0) org["grades"] = [...s.fields.grades];
    orgs.push(org);
  }

  const courses = new Map<string, CourseRef>();
  const terms = new Map<string, TermRef>();
  const schoolOf = new Map<string, string>();
  for (const c of classes) {
    schoolOf.set(c.externalId, c.fields.schoolExternalId);
    if (c.fields.course !== null) courses.set(c.fields.course.externalId, c.fields.course);
    for (const t of c.fields.terms) terms.set(t.externalId, t);
  }
  const academicSessions = [...terms.values()].map((t) => {
    const session: JsonRecord = w.base({ externalId: t.externalId, status: "active" });
    w.opt(session, "title", t.title);
    w.opt(session, "startDate", t.startDate);
    w.opt(session, "endDate", t.endDate);
    w.opt(session, "type", t.type);
    w.opt(session, "schoolYear", t.schoolYear);
    return session;
  });
  const courseRecords = [...courses.values()].map((c) => {
    const course: JsonRecord = w.base({ externalId: c.externalId, status: "active" });
    w.opt(course, "title", c.title);
    w.opt(course, "courseCode", c.code);
    return course;
  });

  const classRecords = classes.map((c) => {
    const f = c.fields;
    const out: JsonRecord = { ...w.base(c), title: f.title };
    w.opt(out, "classCode", f.classCode);
    w.opt(out, "classType", f.classType);
    w.opt(out, "location", f.location);
    out["grades"] = [...f.grades];
    out["subjects"] = [...f.subjects];
    if (f.course !== null) out["course"] = w.ref("course", "courses", f.course.externalId);
    out["school"] = w.orgRef(f.schoolExternalId);
    out["terms"] = f.terms.map((t) => w.ref("academicSession", "academicSessions", t.externalId));
    // 1.1 types periods as a string, 1.2 as an array: both are accepted, the array is written.
    out["periods"] = [...f.periods];
    return out;
  });

  const userRecords = users.map((u) => {
    const f = u.fields;
    const out: JsonRecord = { ...w.base(u) };
    w.opt(out, "username", f.username);
    out["userIds"] = [];
    out["enabledUser"] = w.bool(f.enabled);
    out["givenName"] = f.givenName;
    out["familyName"] = f.familyName;
    w.opt(out, "middleName", f.middleName);
    out["role"] = f.role;
    w.opt(out, "identifier", f.studentNumber);
    w.opt(out, "email", f.email);
    w.opt(out, "sms", null);
    w.opt(out, "phone", null);
    out["agents"] = [];
    out["orgs"] = f.schoolExternalIds.map(w.orgRef);
    out["grades"] = [...f.grades];
    w.opt(out, "password", null);
    return out;
  });

  const enrollmentRecords = enrollments.map((e) => {
    const f = e.fields;
    const out: JsonRecord = {
      ...w.base(e),
      user: w.ref("user", "users", f.userExternalId),
      class: w.ref("class", "classes", f.classExternalId),
      school: w.orgRef(schoolOf.get(f.classExternalId) ?? ""),
      role: f.role,
      primary: w.bool(f.primary),
    };
    w.opt(out, "beginDate", f.beginDate);
    w.opt(out, "endDate", f.endDate);
    return out;
  });

  return { orgs, academicSessions, courses: courseRecords, classes: classRecords, users: userRecords, enrollments: enrollmentRecords };
};

export interface GenerateOptions {
  readonly prefix?: string;
  readonly schools: number;
  readonly classesPerSchool: number;
  readonly students: number;
  readonly classesPerStudent: number;
}

export interface Generated {
  /** The canonical records a connector should read back, in KINDS order. */
  readonly records: ReadonlyArray<AnyRecord>;
  readonly district: District;
}

/**
 * `Fixtures.district`, enriched so every canonical field is exercised: schools get a district
 * parent and an identifier; classes a course, two terms, a code, periods, subjects, a room; users a
 * username and primary school; some students a middle name, one is disabled; teachers a begin date.
 */
export const generate = (options: GenerateOptions, style: Style = SPEC_STYLE): Generated => {
  const p = options.prefix ?? "";
  const base = Fixtures.district(options);
  const districtId = `${p}district`;
  const terms: Array<TermRef> = [
    { externalId: `${p}term-fall`, title: "Fall 2026", type: "semester", startDate: "2026-08-17", endDate: "2026-12-18", schoolYear: "2027" },
    { externalId: `${p}term-spring`, title: "Spring 2027", type: "semester", startDate: "2027-01-05", endDate: "2027-06-11", schoolYear: "2027" },
  ];
  const subjects = ["Mathematics", "English", "Science", "History"] as const;
  const schools = base.schools.map((s, i) =>
    Fixtures.school(s.externalId, { ...s.fields, identifier: `NCES-${1000 + i}`, parentExternalId: districtId } satisfies SchoolFields));
  const classes = base.classes.map((c, i) => {
    const k = i % subjects.length;
    const fields: ClassFields = {
      ...c.fields,
      classCode: `${subjects[k]!.slice(0, 4).toUpperCase()}-${i}`,
      course: { externalId: `${p}crs-${c.fields.schoolExternalId}-${k}`, title: `${subjects[k]} ${k + 9}`, code: `${subjects[k]!.slice(0, 3).toUpperCase()}${k + 9}` },
      terms: i % 3 === 0 ? [terms[0]!] : terms,
      periods: [`${(i % 6) + 1}`],
      subjects: [subjects[k]!],
      grades: ["09", "10"],
      location: `Room ${100 + i}`,
    };
    return Fixtures.klass(c.externalId, c.fields.schoolExternalId, fields);
  });
  const firstClassOf = new Map<string, string>();
  for (const e of base.enrollments) if (!firstClassOf.has(e.fields.userExternalId)) firstClassOf.set(e.fields.userExternalId, e.fields.classExternalId);
  const schoolOfClass = new Map(classes.map((c) => [c.externalId, c.fields.schoolExternalId]));
  const users = base.users.map((u, i) => {
    const school = u.fields.schoolExternalIds[0] ?? schoolOfClass.get(firstClassOf.get(u.externalId) ?? "");
    const fields: UserFields = {
      ...u.fields,
      username: `${u.externalId}.user`,
      middleName: u.fields.role === "student" && i % 4 === 0 ? "Quinn" : null,
      schoolExternalIds: school === undefined ? [] : [school],
      enabled: !(u.fields.role === "student" && i % 11 === 5),
    };
    return Fixtures.user(u.externalId, fields);
  });
  const enrollments = base.enrollments.map((e) =>
    e.fields.role === "teacher" ? Fixtures.enrollment(e.externalId, e.fields.classExternalId, e.fields.userExternalId, { ...e.fields, beginDate: "2026-08-17" }) : e);
  const records: Array<AnyRecord> = [...schools, ...classes, ...users, ...enrollments];
  return { records, district: fromRecords(records, style) };
};

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(cell).filter((v) => v !== "").join(",");
  if (typeof value === "object") return cell((value as JsonRecord)["sourcedId"]);
  return String(value);
};

const CSV_COLUMNS: Record<CollectionName, ReadonlyArray<readonly [column: string, field: string | null]>> = {
  orgs: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["name", "name"], ["type", "type"], ["identifier", "identifier"], ["parentSourcedId", "parent"]],
  academicSessions: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["title", "title"], ["type", "type"], ["startDate", "startDate"], ["endDate", "endDate"], ["parentSourcedId", "parent"], ["schoolYear", "schoolYear"]],
  courses: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["schoolYearSourcedId", "schoolYear"], ["title", "title"], ["courseCode", "courseCode"], ["grades", "grades"], ["orgSourcedId", "org"], ["subjects", "subjects"], ["subjectCodes", "subjectCodes"]],
  classes: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["title", "title"], ["grades", "grades"], ["courseSourcedId", "course"], ["classCode", "classCode"], ["classType", "classType"], ["location", "location"], ["schoolSourcedId", "school"], ["termSourcedIds", "terms"], ["subjects", "subjects"], ["subjectCodes", "subjectCodes"], ["periods", "periods"]],
  users: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["enabledUser", "enabledUser"], ["orgSourcedIds", "orgs"], ["role", "role"], ["username", "username"], ["userIds", null], ["givenName", "givenName"], ["familyName", "familyName"], ["middleName", "middleName"], ["identifier", "identifier"], ["email", "email"], ["sms", "sms"], ["phone", "phone"], ["agentSourcedIds", "agents"], ["grades", "grades"], ["password", "password"]],
  enrollments: [["sourcedId", "sourcedId"], ["status", "status"], ["dateLastModified", "dateLastModified"], ["classSourcedId", "class"], ["schoolSourcedId", "school"], ["userSourcedId", "user"], ["role", "role"], ["primary", "primary"], ["beginDate", "beginDate"], ["endDate", "endDate"]],
};

/**
 * The same district as OneRoster 1.1 CSV tables (`orgs.csv` → rows, header first), cell for cell
 * from the JSON the server serves: for the REST/CSV equivalence test. `userIds` is left blank (its
 * CSV form is `{type:id}` and it is not mapped).
 */
export const toCsvTables = (district: District): Record<string, Array<Array<string>>> =>
  Object.fromEntries(COLLECTION_NAMES.map((name) => [
    `${name}.csv`,
    [CSV_COLUMNS[name].map(([column]) => column), ...district[name].map((r) => CSV_COLUMNS[name].map(([, field]) => (field === null ? "" : cell(r[field]))))],
  ]));

/** Canonical records without the parts a connector cannot reproduce (raw payload, origin): for comparisons. */
export const comparable = (records: ReadonlyArray<SourceRecord>) =>
  records
    .map((r) => ({ kind: r.kind, externalId: r.externalId, status: r.status, fields: r.fields }))
    .sort((a, b) => (a.kind === b.kind ? (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0) : a.kind < b.kind ? -1 : 1));
