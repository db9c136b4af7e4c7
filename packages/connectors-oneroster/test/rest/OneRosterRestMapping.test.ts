import { assert, describe, it } from "@effect/vitest";
import * as M from "../../src/rest/OneRosterRestMapping";
import * as V from "../../src/rest/OneRosterValues";

const at = { file: "/users", line: 1 };

describe("OneRosterValues", () => {
  it("reads '' and whitespace as absent, trims text and accepts numbers", () => {
    assert.strictEqual(V.text(""), null);
    assert.strictEqual(V.text("  "), null);
    assert.strictEqual(V.text(" x "), "x");
    assert.strictEqual(V.text(2027), "2027");
    assert.strictEqual(V.text({}), null);
  });

  it("reads booleans as JSON or as text in any case, and never reads \"false\" as true", () => {
    assert.deepStrictEqual([true, false, "true", "false", "TRUE", " False "].map(V.bool), [true, false, true, false, true, false]);
    assert.deepStrictEqual([undefined, null, ""].map(V.bool), [null, null, null]);
    assert.deepStrictEqual(["yes", "N", 1, 0, "0"].map(V.bool), [true, false, true, false, false]);
    assert.deepStrictEqual(["maybe", 2, {}].map(V.bool), [undefined, undefined, undefined]);
  });

  it("reads lists from arrays or comma strings, and references from GUIDRefs or bare ids", () => {
    assert.deepStrictEqual(V.list(["09", " 10 ", ""]), ["09", "10"]);
    assert.deepStrictEqual(V.list("09, 10,,11"), ["09", "10", "11"]);
    assert.deepStrictEqual(V.list(""), []);
    assert.strictEqual(V.ref({ href: "hhttp://broken/orgs/7", sourcedId: "7", type: "org" }), "7");
    assert.strictEqual(V.ref("7"), "7");
    assert.deepStrictEqual(V.refs([{ sourcedId: "a" }, { sourcedId: "" }, "b"]), ["a", "b"]);
    assert.deepStrictEqual(V.refs({ sourcedId: "a", type: "org" }), ["a"]);
  });

  it("keeps the date part of dates and date-times, rejects impossible or day-first dates", () => {
    assert.strictEqual(V.date("2026-08-17"), "2026-08-17");
    assert.strictEqual(V.date("2026-08-17T23:30:00.000-05:00"), "2026-08-17");
    assert.strictEqual(V.date("2017-05-06 08:01:05"), "2017-05-06");
    assert.strictEqual(V.date(""), null);
    assert.strictEqual(V.date("15/06/2023"), undefined);
    assert.strictEqual(V.date("2023-02-29"), undefined);
    assert.strictEqual(V.date("2024-02-29"), "2024-02-29");
  });

  it("reads status and roles case-insensitively", () => {
    assert.deepStrictEqual(["active", "", undefined, "TobeDeleted", "inactive", "gone"].map(V.status), ["active", "active", "active", "tobedeleted", "tobedeleted", undefined]);
    assert.strictEqual(V.role(" Teacher "), "teacher");
    assert.strictEqual(V.role("wizard"), undefined);
  });
});

describe("OneRosterRestMapping", () => {
  it("maps a ClassLink-style user (string booleans, '' for nulls, foreign hrefs)", () => {
    const sink = M.newSink();
    M.user({
      sourcedId: "18317", status: "active", dateLastModified: "2019-03-01T18:14:45.000Z", username: "g.houston",
      userIds: [{ type: "FED", identifier: "18317" }], enabledUser: "false", givenName: "GISELLE", familyName: "HOUSTON",
      middleName: "", role: "Student", identifier: "15125", email: "", sms: "", phone: "", agents: [],
      orgs: [{ href: "https://elsewhere-v2.oneroster.com/ims/oneroster/v1p1/orgs/2", sourcedId: "2", type: "org" }],
      grades: ["11"], password: "",
    }, at, sink);
    assert.deepStrictEqual(sink.issues, []);
    assert.deepStrictEqual(sink.records[0]!.fields, {
      role: "student", givenName: "GISELLE", familyName: "HOUSTON", middleName: null, email: null, username: "g.houston",
      studentNumber: "15125", stateId: null, grades: ["11"], schoolExternalIds: ["2"], enabled: false,
    });
  });

  it("maps only school orgs to schools, case-insensitively; an org without a type is an error", () => {
    const sink = M.newSink();
    M.school({ sourcedId: "d1", name: "District", type: "district" }, at, sink);
    M.school({ sourcedId: "s1", name: " North High ", type: "School", identifier: "", parent: { sourcedId: "d1", type: "org" } }, at, sink);
    M.school({ sourcedId: "s2", name: "No type" }, at, sink);
    assert.deepStrictEqual(sink.records.map((r) => [r.externalId, r.fields]), [
      ["s1", { name: "North High", identifier: null, type: "school", parentExternalId: "d1", grades: [] }],
    ]);
    assert.deepStrictEqual(sink.issues.map((i) => [i.severity, i.code, i.externalId]), [["error", "missing_field", "s2"]]);
  });

  it("folds courses and terms into classes and warns about unknown references", () => {
    const lookups = M.emptyLookups();
    const sink = M.newSink();
    M.term(lookups, { sourcedId: "t1", title: "Fall", type: "semester", startDate: "2026-08-17", endDate: "2026-12-18T00:00:00Z", schoolYear: 2027 }, at, sink);
    M.course(lookups, { sourcedId: "c1", title: "Algebra", courseCode: "ALG1" }, at, sink);
    M.klass(lookups, {
      sourcedId: "k1", title: "Algebra 1", classType: "Scheduled", school: { sourcedId: "s1", type: "org" },
      course: { sourcedId: "c1", type: "course" }, terms: [{ sourcedId: "t1" }, { sourcedId: "t9" }], periods: "1,2", subjects: ["Math"],
    }, at, sink);
    const fields = sink.records[0]!.fields as { course: unknown; terms: ReadonlyArray<unknown>; classType: string; periods: ReadonlyArray<string> };
    assert.deepStrictEqual(fields.course, { externalId: "c1", title: "Algebra", code: "ALG1" });
    assert.deepStrictEqual(fields.terms, [
      { externalId: "t1", title: "Fall", type: "semester", startDate: "2026-08-17", endDate: "2026-12-18", schoolYear: "2027" },
      { externalId: "t9", title: null, type: null, startDate: null, endDate: null, schoolYear: null },
    ]);
    assert.strictEqual(fields.classType, "scheduled");
    assert.deepStrictEqual(fields.periods, ["1", "2"]);
    assert.deepStrictEqual(sink.issues.map((i) => [i.kind, i.severity, i.code, i.externalId]), [["class", "warning", "unknown_reference", "k1"]]);
    // Problems in lookup records carry no kind: an id-bearing error of a kind would hold a placeholder.
    M.term(lookups, { sourcedId: "t2", startDate: "soon" }, at, sink);
    M.course(lookups, { title: "no id" }, at, sink);
    assert.deepStrictEqual(sink.issues.slice(1).map((i) => [i.kind, i.severity, i.code]), [[null, "warning", "invalid_value"], [null, "error", "missing_field"]]);
  });

  it("rejects records without required values with their id, drops bad values with a warning, treats tobedeleted as absent", () => {
    const sink = M.newSink();
    M.enrollment({ sourcedId: "e1", class: { sourcedId: "k1" }, user: { sourcedId: "u1" }, role: "teacher", primary: "TRUE", beginDate: "17/08/2026" }, at, sink);
    M.enrollment({ sourcedId: "e2", class: { sourcedId: "k1" }, user: "", role: "student" }, at, sink);
    M.user({ sourcedId: "u2", role: "wizard", givenName: "A", familyName: "B" }, at, sink);
    M.user({ sourcedId: "u3", status: "tobedeleted", role: "student", givenName: "A", familyName: "B" }, at, sink);
    M.user("not an object", at, sink);
    M.user({ role: "student", givenName: "A", familyName: "B" }, at, sink);
    M.user({ sourcedId: "u4", role: "teacher", givenName: "", familyName: "Cher" }, at, sink);
    M.user({ sourcedId: "u5", role: "teacher", givenName: " ", familyName: null }, at, sink);
    assert.deepStrictEqual(sink.records.map((r) => r.externalId), ["e1", "u4"]);
    assert.deepStrictEqual([(sink.records[1]!.fields as { givenName: string }).givenName, (sink.records[1]!.fields as { familyName: string }).familyName], ["", "Cher"]);
    assert.deepStrictEqual((sink.records[0]!.fields as { primary: boolean; beginDate: string | null }).primary, true);
    assert.strictEqual((sink.records[0]!.fields as { beginDate: string | null }).beginDate, null);
    assert.deepStrictEqual(sink.issues.map((i) => [i.severity, i.code, i.externalId]), [
      ["warning", "invalid_value", "e1"],
      ["error", "missing_field", "e2"],
      ["error", "invalid_value", "u2"],
      ["warning", "ignored_row", "u3"],
      ["error", "invalid_row", null],
      ["error", "missing_field", null],
      ["warning", "missing_field", "u4"],
      ["error", "missing_field", "u5"],
    ]);
  });
});
