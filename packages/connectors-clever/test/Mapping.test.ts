import { assert, describe, it } from "@effect/vitest";
import type { SourceRecord } from "@sis-sync/core";
import * as Result from "effect/Result";
import { readFileSync } from "node:fs";
import * as Mapping from "../src/internal/mapping";
import { USER_LIST_ROLES } from "../src/internal/wire";

/** Our own list bodies in the recorded envelope shapes, with the quirks of the real samples. */
const fixture = (name: string): Array<unknown> =>
  (JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as { data: Array<{ data: unknown }> }).data.map((i) => i.data);

const byId = <A extends { readonly id: string }>(xs: ReadonlyArray<A>) => new Map(xs.map((x) => [x.id, x]));

const lookups = (): Mapping.ClassLookups => ({
  terms: byId(fixture("terms").map((t) => Result.getOrThrow(Mapping.toTerm(t)))),
  courses: byId(fixture("courses").map((c) => Result.getOrThrow(Mapping.toCourse(c)))),
});

/** What a full read of the users lists yields: each user from every role list it appears in. */
const allUsers = () => {
  const raw = fixture("users");
  const parts = USER_LIST_ROLES.flatMap((role) =>
    raw.filter((u) => Mapping.primaryListRole(u) !== undefined && (u as { roles: Record<string, unknown> }).roles[role] != null)
      .map((u) => Mapping.toUser(u, role)));
  return { records: parts.flatMap((p) => p.records), issues: parts.flatMap((p) => p.issues) };
};
const userById = (id: string): SourceRecord<"user"> => {
  const found = allUsers().records.find((r) => r.externalId === id);
  assert.ok(found, `user ${id} mapped`);
  return found;
};

describe("Mapping", () => {
  it("schools: Clever id as external id, grade range in CEDS codes, \"\" and missing keys as absent", () => {
    const [maple, cedar, unnamed] = fixture("schools").map(Mapping.toSchool);
    assert.deepStrictEqual(maple!.records[0]!.externalId, "6a1000000000000000000011");
    assert.deepStrictEqual(maple!.records[0]!.fields, {
      name: "Maple Primary", identifier: "0101", type: "school", parentExternalId: "6a1000000000000000000001",
      grades: ["PK", "TK", "KG", "01", "02", "03", "04"],
    });
    // school_number "" falls back to sis_id; a range with an ungraded end keeps what is known.
    assert.strictEqual(cedar!.records[0]!.fields.identifier, "CLC");
    assert.deepStrictEqual(cedar!.records[0]!.fields.grades, ["UG"]);
    // An empty name is passed on as "" so the engine rejects it with the shared reason.
    assert.strictEqual(unnamed!.records[0]!.fields.name, "");
    assert.strictEqual(maple!.records[0]!.raw["phone"], "(555) 010-2000");
  });

  it("sections become classes with course and term folded in", () => {
    const [algebra, homeroom, bare] = fixture("sections").map((s) => Mapping.toClass(s, lookups()));
    assert.deepStrictEqual(algebra!.records[0]!.fields, {
      title: "Algebra I - Lindqvist - 2",
      classCode: "7781",
      classType: "scheduled",
      schoolExternalId: "6a1000000000000000000011",
      course: { externalId: "6a1000000000000000000031", title: "Algebra I", code: "MA101" },
      terms: [{ externalId: "6a1000000000000000000021", title: "Fall", type: null, startDate: "2025-08-25", endDate: "2026-01-20", schoolYear: null }],
      periods: ["2"],
      subjects: ["math"],
      grades: ["09"],
      location: null,
    });
    const hr = homeroom!.records[0]!.fields;
    assert.strictEqual(hr.classCode, "HR-3");
    assert.strictEqual(hr.classType, "homeroom");
    assert.deepStrictEqual(hr.terms, [], "a section without term_id has no term");
    assert.deepStrictEqual(hr.periods, [], "period \"\" is absent");
    assert.deepStrictEqual(hr.course, { externalId: "6a1000000000000000000032", title: "Homeroom", code: null });
    assert.deepStrictEqual(hr.grades, ["KG"]);
    // Unknown course and term ids are kept as references without details; "" fields are absent.
    const b = bare!.records[0]!.fields;
    assert.deepStrictEqual(b.course, { externalId: "6a1000000000000000000099", title: null, code: null });
    assert.deepStrictEqual(b.terms.map((t) => [t.externalId, t.title, t.startDate]), [["6a1000000000000000000098", null, null]]);
    assert.deepStrictEqual([b.title, b.classCode, b.subjects, b.grades], ["", null, [], []]);
  });

  it("a malformed section is a row issue naming its id, not a failed run", () => {
    const broken = Mapping.toClass(fixture("sections")[3], lookups());
    assert.strictEqual(broken.records.length, 0);
    assert.strictEqual(broken.issues[0]!.severity, "error");
    assert.strictEqual(broken.issues[0]!.code, "invalid_row");
    assert.strictEqual(broken.issues[0]!.externalId, "6a1000000000000000000044");
    assert.match(broken.issues[0]!.message, /section 6a1000000000000000000044 is malformed/);
  });

  it("terms with a missing name or dates still fold in; duplicate names are kept apart by id", () => {
    const terms = lookups().terms;
    assert.strictEqual(terms.size, 4);
    assert.deepStrictEqual([...terms.values()].filter((t) => t.name === "Y1").map((t) => t.id), ["6a1000000000000000000022", "6a1000000000000000000023"]);
    assert.strictEqual(Mapping.date(terms.get("6a1000000000000000000024")!.start_date), null);
    assert.strictEqual(Mapping.date("2025-08-25T00:00:00.000Z"), "2025-08-25");
  });

  it("enrollments: one per teacher and student, primary teacher marked, stable derived ids", () => {
    const [algebra, homeroom, bare] = fixture("sections").map((s) => Result.getOrThrow(Mapping.toEnrollments(s)));
    const view = (r: SourceRecord<"enrollment">) => [r.externalId, r.fields.role, r.fields.primary];
    assert.deepStrictEqual(algebra!.records.map(view), [
      ["6a1000000000000000000041:teacher:6a1000000000000000000201", "teacher", true],
      ["6a1000000000000000000041:teacher:6a1000000000000000000202", "teacher", false],
      ["6a1000000000000000000041:student:6a1000000000000000000101", "student", false],
      ["6a1000000000000000000041:student:6a1000000000000000000102", "student", false],
    ], "co-teacher kept, repeated student id enrolled once");
    // The primary `teacher` is enrolled even when `teachers` omits it.
    assert.deepStrictEqual(homeroom!.records.filter((r) => r.fields.role === "teacher").map(view), [
      ["6a1000000000000000000042:teacher:6a1000000000000000000202", "teacher", true],
      ["6a1000000000000000000042:teacher:6a1000000000000000000201", "teacher", false],
    ]);
    assert.deepStrictEqual(bare!.records.map(view), [["6a1000000000000000000043:student:6a1000000000000000000104", "student", false]]);
    assert.deepStrictEqual(algebra!.records[0]!.fields, {
      classExternalId: "6a1000000000000000000041", userExternalId: "6a1000000000000000000201", role: "teacher", primary: true, beginDate: null, endDate: null,
    });
    // Same input, same ids: a second run sees the same enrollments.
    assert.deepStrictEqual(Result.getOrThrow(Mapping.toEnrollments(fixture("sections")[0])).records.map((r) => r.externalId), algebra!.records.map((r) => r.externalId));
  });

  it("enrollments fail loudly when a section's member lists are unreadable", () => {
    const bad = Mapping.toEnrollments({ id: "6a1000000000000000000045", students: "6a1000000000000000000101" });
    assert.ok(Result.isFailure(bad));
    assert.match(bad.failure, /section 6a1000000000000000000045 has unreadable teacher or student lists/);
    // A missing or null students list is not "no students": the run must stop, not deactivate them.
    for (const students of [null, undefined]) {
      const none = Mapping.toEnrollments({ id: "6a1000000000000000000045", teacher: "6a1000000000000000000201", students });
      assert.ok(Result.isFailure(none), String(students));
    }
    const left = Mapping.toEnrollments({ id: "6a1000000000000000000045", teacher: "6a1000000000000000000201", students: [] });
    assert.ok(Result.isSuccess(left));
    assert.deepStrictEqual(left.success.records.map((r) => r.fields.role), ["teacher"]);
  });

  it("students: student_number, state_id, username, primary school first, grade in CEDS", () => {
    assert.deepStrictEqual(userById("6a1000000000000000000101").fields, {
      role: "student", givenName: "Ana", familyName: "Suarez", middleName: "M", email: "Ana.Suarez@Example.test", username: "asuarez27",
      studentNumber: "5501", stateId: "OR-778001", grades: ["KG"],
      schoolExternalIds: ["6a1000000000000000000011", "6a1000000000000000000012"], enabled: true,
    });
  });

  it("missing and empty values are absent: no email key, \"\" email, \"\" state id and username", () => {
    const ben = userById("6a1000000000000000000102").fields;
    assert.deepStrictEqual([ben.email, ben.username, ben.stateId, ben.middleName, ben.studentNumber], [null, null, null, null, "5502"]);
    const cleo = userById("6a1000000000000000000103").fields;
    assert.deepStrictEqual([cleo.email, cleo.middleName, cleo.studentNumber, cleo.grades], [null, null, null, ["PS"]]);
    const nameless = userById("6a1000000000000000000109").fields;
    assert.deepStrictEqual([nameless.givenName, nameless.familyName], ["", ""]);
  });

  it("siblings sharing an email keep it, as two users", () => {
    const emails = ["6a1000000000000000000104", "6a1000000000000000000105"].map((id) => userById(id).fields.email);
    assert.deepStrictEqual(emails, ["rivera.family@example.test", "rivera.family@example.test"]);
  });

  it("multi-role users become one user with the most relevant role, emitted once", () => {
    const { records } = allUsers();
    const count = (id: string) => records.filter((r) => r.externalId === id).length;
    // teacher + staff: teacher; schools of both roles, the teacher's primary first.
    const karin = userById("6a1000000000000000000201").fields;
    assert.strictEqual(count("6a1000000000000000000201"), 1);
    assert.deepStrictEqual([karin.role, karin.username, karin.stateId, karin.studentNumber], ["teacher", "klindqvist", "OR-T-201", null]);
    assert.deepStrictEqual(karin.schoolExternalIds, ["6a1000000000000000000011", "6a1000000000000000000012"]);
    assert.strictEqual(Mapping.toUser(fixture("users")[8], "staff").records.length, 0, "skipped in the staff list");
    // district admin + teacher: administrator, keeping the teacher role's schools and ids.
    const priya = userById("6a1000000000000000000203").fields;
    assert.strictEqual(count("6a1000000000000000000203"), 1);
    assert.deepStrictEqual([priya.role, priya.username, priya.stateId, priya.schoolExternalIds], ["administrator", "phaddad", "OR-T-203", ["6a1000000000000000000012"]]);
    assert.deepStrictEqual([userById("6a1000000000000000000204").fields.role, userById("6a1000000000000000000205").fields.role], ["staff", "administrator"]);
    assert.deepStrictEqual(userById("6a1000000000000000000205").fields.schoolExternalIds, [], "district admins have no schools");
  });

  it("a student merged with an employee role is synced as the employee, with a warning", () => {
    const fay = Mapping.toUser(fixture("users")[5], "teacher");
    assert.strictEqual(fay.records[0]!.fields.role, "teacher");
    assert.deepStrictEqual(fay.records[0]!.fields.schoolExternalIds, ["6a1000000000000000000012"]);
    assert.strictEqual(fay.issues[0]!.severity, "warning");
    assert.strictEqual(Mapping.toUser(fixture("users")[5], "student").records.length, 0);
  });

  it("contacts are never users; emails without @ are dropped with a warning; bad records are row errors", () => {
    const { records, issues } = allUsers();
    assert.ok(!records.some((r) => r.externalId === "6a1000000000000000000301"));
    assert.strictEqual(Mapping.toUser(fixture("users")[14], "student").records.length, 0);
    assert.strictEqual(userById("6a1000000000000000000207").fields.email, null);
    assert.ok(issues.some((i) => i.externalId === "6a1000000000000000000207" && i.severity === "warning" && /without "@"/.test(i.message)));
    const bad = issues.filter((i) => i.externalId === "6a1000000000000000000108");
    assert.strictEqual(bad.length, 1, "reported once, from its own role list");
    assert.deepStrictEqual([bad[0]!.severity, bad[0]!.code, bad[0]!.kind], ["error", "invalid_row", "user"]);
    assert.strictEqual(records.length, 13);
    for (const roles of [{}, { teacher: null }]) {
      const roleless = Mapping.toUser({ ...(fixture("users")[5] as object), roles }, "teacher");
      assert.strictEqual(roleless.records.length, 0);
      assert.deepStrictEqual(roleless.issues.map((i) => [i.severity, i.code, i.externalId]), [["error", "invalid_row", (fixture("users")[5] as { id: string }).id]]);
      assert.match(roleless.issues[0]!.message, /has none of the roles district_admin, teacher, staff, student/);
    }
  });

  it("grades outside Clever's enum pass through rather than being lost", () => {
    assert.strictEqual(Mapping.grade("Grade 7"), "Grade 7");
    assert.strictEqual(Mapping.grade(""), null);
    assert.deepStrictEqual(Mapping.gradeRange("6", "Kindergarten"), ["06", "KG"]);
    assert.deepStrictEqual(Mapping.gradeRange(undefined, "12"), ["12"]);
  });
});
