import { assert, describe, it } from "@effect/vitest";
import { RosterSource } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import { readdir, readFile, rm, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";
import { OneRosterCsvSource } from "../src/index";
import { manifestRows, writeOneRosterCsv, writeZip } from "../src/testing/index";
import {
  extract,
  extractError,
  fixture,
  issueKeys,
  issuesOf,
  recordOf,
  recordsOf,
  shape,
  tempDir,
  testConnection,
} from "./helpers";

const temps: Array<string> = [];
const temp = Effect.promise(async () => {
  const dir = await tempDir();
  temps.push(dir);
  return dir;
});
afterAll(() => Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true }))));

/** The files of a fixture folder, to re-pack them as a zip. */
const fixtureFiles = (name: string) =>
  Effect.promise(async () => {
    const files: Record<string, Uint8Array> = {};
    for (const file of await readdir(fixture(name))) files[file] = await readFile(join(fixture(name), file));
    return files;
  });

describe("OneRosterCsvSource, Moodle-style export (CRLF, no final newline, bulk files carrying status)", () => {
  const path = fixture("moodle-style");

  it.effect("emits one bulk batch per kind, in kind order", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 2", "class bulk 2", "user bulk 4", "enrollment bulk 3"]);
    }));

  it.effect("keeps only school orgs, with the district as parent", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordsOf(batches, "school").map((school) => school.externalId), ["sch-1", "sch-3"]);
      const north = recordOf(batches, "school", "sch-1");
      assert.deepStrictEqual(north.fields, {
        name: "North High", identifier: "NH-001", type: "school", parentExternalId: "dist-1", grades: [],
      });
      assert.strictEqual(north.status, "active");
      assert.deepStrictEqual(north.origin, { file: "orgs.csv", line: 3 });
      assert.strictEqual(recordOf(batches, "school", "sch-3").fields.identifier, null);
    }));

  it.effect("treats tobedeleted and inactive rows of bulk files as absent, each with a warning", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(issueKeys(batches), [
        "warning ignored_row orgs.csv:5 sch-2",
        "warning ignored_row academicSessions.csv:4 term-old",
        "warning ignored_row classes.csv:3 cls-2",
        "warning unknown_reference classes.csv:4 cls-3",
        "warning ignored_row users.csv:6 usr-x1",
        "warning ignored_row enrollments.csv:5 enr-4",
      ]);
      const ignored = issuesOf(batches).find((issue) => issue.externalId === "usr-x1");
      assert.strictEqual(ignored?.kind, "user");
      assert.include(ignored?.message, "inactive");
      assert.notInclude(recordsOf(batches, "class").map((c) => c.externalId), "cls-2");
    }));

  it.effect("folds terms into classes and normalises lists, class type and ISO dates", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      const physics = recordOf(batches, "class", "cls-1");
      assert.deepStrictEqual(physics.fields, {
        title: "Introduction to Physics",
        classCode: "PHY 100",
        classType: "scheduled",
        schoolExternalId: "sch-1",
        // courses.csv is absent: the reference is kept without details, and without a warning.
        course: { externalId: "crs-1", title: null, code: null },
        terms: [
          { externalId: "term-1", title: "Fall 2025", type: "term", startDate: "2025-09-01", endDate: "2025-12-20", schoolYear: "2026" },
          { externalId: "term-2", title: "Spring 2026", type: "semester", startDate: "2026-01-05", endDate: "2026-06-15", schoolYear: "2026" },
        ],
        periods: ["1", "2"],
        subjects: ["Science", "Physics"],
        grades: ["09", "10", "11"],
        location: "Room 2-B",
      });
      // Columns the model has no field for stay in raw, exactly as written.
      assert.strictEqual(physics.raw["subjectCodes"], "PHY123");
      assert.strictEqual(physics.raw["grades"], "09,10,11");
      assert.deepStrictEqual(physics.origin, { file: "classes.csv", line: 2 });
      // Serialised, a record carries everything, its raw columns included.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(physics)), {
        kind: "class", externalId: "cls-1", status: physics.status, fields: physics.fields, raw: physics.raw, origin: physics.origin,
      });
      const homeroom = recordOf(batches, "class", "cls-3").fields;
      assert.strictEqual(homeroom.classType, "homeroom");
      assert.isNull(homeroom.course);
      assert.deepStrictEqual(homeroom.terms, [
        { externalId: "term-old", title: null, type: null, startDate: null, endDate: null, schoolYear: null },
      ]);
    }));

  it.effect("maps users: roles, TRUE/True/FALSE/blank enabledUser, orgs as schools, identifier", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      const teacher = recordOf(batches, "user", "usr-t1");
      assert.deepStrictEqual(teacher.fields, {
        role: "teacher",
        givenName: "John",
        familyName: "Doe",
        middleName: "Michael",
        email: "John.Doe@School.example",
        username: "john.doe",
        studentNumber: "T-100",
        stateId: null,
        grades: [],
        schoolExternalIds: ["sch-1"],
        enabled: true,
      });
      const student = recordOf(batches, "user", "usr-s1");
      assert.strictEqual(student.status, "active");
      assert.deepStrictEqual(student.fields.schoolExternalIds, ["sch-3", "sch-1"]);
      assert.deepStrictEqual(student.fields.grades, ["09", "10"]);
      assert.isTrue(student.fields.enabled);
      assert.isNull(student.fields.middleName);
      assert.strictEqual(student.raw["userIds"], "{LDAP:12},{LTI:15}");
      assert.strictEqual(student.raw["status"], "");
      const parent = recordOf(batches, "user", "usr-p1");
      assert.strictEqual(parent.fields.role, "parent");
      assert.isFalse(parent.fields.enabled);
      const guardian = recordOf(batches, "user", "usr-g1");
      assert.strictEqual(guardian.fields.role, "guardian");
      assert.isTrue(guardian.fields.enabled);
      assert.isNull(guardian.fields.username);
      assert.deepStrictEqual(guardian.origin, { file: "users.csv", line: 5 });
      assert.strictEqual(Object.keys(teacher.raw).length, 18);
      assert.strictEqual(teacher.raw["password"], "Password1-");
    }));

  it.effect("maps enrollments: primary TRUE/false/blank, dates from ISO timestamps", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordOf(batches, "enrollment", "enr-1").fields, {
        classExternalId: "cls-1", userExternalId: "usr-t1", role: "teacher", primary: true,
        beginDate: "2025-09-01", endDate: "2026-06-15",
      });
      assert.deepStrictEqual(recordOf(batches, "enrollment", "enr-2").fields, {
        classExternalId: "cls-1", userExternalId: "usr-s1", role: "student", primary: false,
        beginDate: "2025-09-01", endDate: null,
      });
      const blank = recordOf(batches, "enrollment", "enr-3");
      assert.isFalse(blank.fields.primary);
      assert.isNull(blank.fields.beginDate);
      // The last line has no newline and is still read, on its own line number.
      assert.deepStrictEqual(blank.origin, { file: "enrollments.csv", line: 4 });
    }));
});

describe("OneRosterCsvSource, RosterHub-style export (all quoted, LF, metadata.*, Japanese)", () => {
  const path = fixture("rosterhub-style");

  it.effect("reports the manifest typo as a warning and reads on", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 1", "class bulk 2", "user bulk 2", "enrollment bulk 3"]);
      const [typo, ...others] = issuesOf(batches);
      assert.deepStrictEqual(others, []);
      assert.deepStrictEqual(typo, {
        kind: null, severity: "warning", code: "manifest", file: "manifest.csv", line: 10, externalId: null,
        message: `unknown manifest entry "fiel.demographics": ignored`,
      });
      // Export-level issues travel with the first batch.
      assert.strictEqual(batches[0]?.issues.length, 1);
    }));

  it.effect("folds the course and several terms into a class, in Japanese", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      const b = recordOf(batches, "class", "cl0002").fields;
      assert.strictEqual(b.title, "情報処理入門 B");
      assert.deepStrictEqual(b.course, { externalId: "co0001", title: "情報処理入門", code: "CC401" });
      assert.deepStrictEqual(b.terms.map((term) => `${term.externalId} ${term.title} ${term.startDate}..${term.endDate}`), [
        "as0001 2020年度 前期 2020-04-01..2020-10-01",
        "as0002 2020年度 後期 2020-10-01..2021-04-01",
      ]);
      assert.deepStrictEqual(b.periods, ["2-1"]);
      assert.strictEqual(recordOf(batches, "school", "or0001").fields.name, "動作検証大学");
    }));

  it.effect("keeps metadata.* extension columns in raw", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      const taro = recordOf(batches, "user", "us0001");
      assert.strictEqual(taro.fields.givenName, "太郎");
      assert.strictEqual(taro.fields.familyName, "山田");
      assert.strictEqual(taro.raw["metadata.phoneticGivenName"], "タロウ");
      assert.strictEqual(taro.raw["metadata.phoneticFamilyName"], "ヤマダ");
      assert.isTrue(recordOf(batches, "enrollment", "en0001").fields.primary);
      assert.isFalse(recordOf(batches, "enrollment", "en0002").fields.primary);
    }));

  it.effect("reads the same export from a flat zip and from a zip with one top-level folder", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      const files = yield* fixtureFiles("rosterhub-style");
      const flat = yield* Effect.promise(() => writeZip(join(dir, "flat.zip"), files));
      const nested = yield* Effect.promise(() =>
        writeZip(
          join(dir, "nested.zip"),
          {
            "oneroster/": "",
            ...Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`oneroster/${name}`, bytes])),
            "__MACOSX/oneroster/._users.csv": "junk",
          },
          { compress: false },
        )
      );
      const expected = yield* extract(path);
      assert.deepStrictEqual(yield* extract(flat), expected);
      assert.deepStrictEqual(yield* extract(nested), expected);
      assert.strictEqual(
        yield* testConnection(nested),
        "OneRoster 1.1 export at nested.zip: 6 files (academicSessions.csv bulk, classes.csv bulk, courses.csv bulk, " +
          "enrollments.csv bulk, orgs.csv bulk, users.csv bulk); 1 manifest warning",
      );
    }));
});

describe("OneRosterCsvSource, oat-sa-style export (1.0 names, wrong order, BOM, ext_* columns)", () => {
  const path = fixture("oatsa-style");

  it.effect("finds columns by name in any order, behind a BOM", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 2", "class bulk 2", "user bulk 2", "enrollment bulk 2"]);
      const ionut = recordOf(batches, "user", "user1");
      assert.deepStrictEqual(ionut.fields, {
        role: "student",
        givenName: "Ionuț",
        familyName: "Pădurariu",
        middleName: null,
        email: null,
        username: "ionut",
        studentNumber: "user identifier",
        stateId: null,
        grades: [],
        schoolExternalIds: ["12345"],
        enabled: true,
      });
      assert.deepStrictEqual(Object.keys(ionut.raw).slice(0, 2), ["sourcedId", "enabledUser"]);
      assert.strictEqual(ionut.raw["ext_tao_userMotherName"], "Maria");
      const kenji = recordOf(batches, "user", "user2");
      assert.strictEqual(kenji.fields.role, "student");
      assert.strictEqual(kenji.fields.givenName, "健二");
      assert.isFalse(kenji.fields.enabled);
      const enrol = recordOf(batches, "enrollment", "enrol2");
      assert.deepStrictEqual(enrol.fields, {
        classExternalId: "class2", userExternalId: "user2", role: "student", primary: false, beginDate: null, endDate: null,
      });
      assert.deepStrictEqual(enrol.origin, { file: "enrollments.csv", line: 3 });
    }));

  it.effect("reads the 1.0 grade column, folds the course and keeps org extensions", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      const class1 = recordOf(batches, "class", "class1").fields;
      assert.deepStrictEqual(class1.grades, ["2"]);
      assert.deepStrictEqual(class1.course, { externalId: "c1", title: "Mathématiques", code: "MATH" });
      assert.deepStrictEqual(class1.subjects, ["0"]);
      const school = recordOf(batches, "school", "12345");
      assert.strictEqual(school.fields.name, "École Saint-Exupéry");
      assert.strictEqual(school.fields.parentExternalId, "54321");
      assert.strictEqual(school.raw["metadata.classification"], "Classification 1");
      assert.strictEqual(school.raw["ext_vendor_id"], "X1");
    }));

  it.effect("lists columns it does not understand once per file, and flags terms missing from a bulk file", () =>
    Effect.gen(function*() {
      const batches = yield* extract(path);
      assert.deepStrictEqual(
        issuesOf(batches).map((issue) => `${issue.code} ${issue.file}:${issue.line} ${issue.message}`),
        [
          "unknown_column courses.csv:1 columns outside OneRoster 1.1, kept in raw only: schoolYearId, grade",
          `unknown_reference classes.csv:2 term "1" is not in academicSessions.csv`,
          "unknown_column users.csv:1 columns outside OneRoster 1.1, kept in raw only: userId, agents",
        ],
      );
    }));
});

describe("OneRosterCsvSource inputs", () => {
  const minimal = {
    "manifest.csv": manifestRows({ orgs: "bulk" }),
    "orgs.csv": [["sourcedId", "name", "type"], ["s1", "One", "school"]],
  };
  const named = (batches: ReadonlyArray<{ readonly records: ReadonlyArray<{ readonly raw: Readonly<Record<string, unknown>> }> }>) =>
    batches.flatMap((batch) => batch.records.map((record) => record.raw["name"]));

  it.effect("picks the newest of a folder of dated exports, zips and folders alike", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      const drop = join(dir, "drop");
      const version = (name: string) => ({ ...minimal, "orgs.csv": [["sourcedId", "name", "type"], ["s1", name, "school"]] });
      yield* Effect.promise(async () => {
        await writeOneRosterCsv(join(drop, "2026-11-22"), version("22nd"));
        await writeOneRosterCsv(join(drop, "2026-11-23"), version("23rd"));
        await writeZip(join(drop, "2026-11-24.zip"), version("24th"));
        await writeOneRosterCsv(join(drop, ".partial"), version("hidden"));
      });
      assert.deepStrictEqual(named(yield* extract(drop)), ["24th"]);
      assert.strictEqual(
        yield* testConnection(drop),
        "OneRoster 1.1 export at 2026-11-24.zip (newest of 3 exports in drop): 1 file (orgs.csv bulk)",
      );
    }));

  it.effect("breaks a name tie between a dated folder and zip by modification time", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      const version = (name: string) => ({ ...minimal, "orgs.csv": [["sourcedId", "name", "type"], ["s1", name, "school"]] });
      yield* Effect.promise(async () => {
        await writeOneRosterCsv(join(dir, "20261124"), version("folder"));
        await writeZip(join(dir, "20261124.zip"), version("zip"));
        await writeOneRosterCsv(join(dir, "20261101"), version("older"));
        await utimes(join(dir, "20261124.zip"), new Date("2026-11-24T08:00:00Z"), new Date("2026-11-24T08:00:00Z"));
        await utimes(join(dir, "20261124"), new Date("2026-11-24T09:00:00Z"), new Date("2026-11-24T09:00:00Z"));
      });
      assert.deepStrictEqual(named(yield* extract(dir)), ["folder"]);
    }));

  it.effect("fails clearly when the newest dated export has no manifest", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      yield* Effect.promise(async () => {
        await writeOneRosterCsv(join(dir, "2026-11-23"), minimal);
        await writeOneRosterCsv(join(dir, "2026-11-24"), { "orgs.csv": minimal["orgs.csv"] });
      });
      const error = yield* extractError(dir);
      assert.strictEqual(error.reason, "BadInput");
      assert.include(error.message, "2026-11-24 (newest of 2 exports");
      assert.include(error.message, "manifest.csv");
    }));

  it.effect("fails with NotFound for a path that does not exist, and BadInput for a file that is not a zip", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      const missing = yield* Effect.flip(testConnection(join(dir, "nope")));
      assert.strictEqual(missing.reason, "NotFound");
      const notZip = yield* Effect.promise(() => writeOneRosterCsv(dir, { "export.zip": "not a zip" }));
      const error = yield* extractError(join(notZip, "export.zip"));
      assert.strictEqual(error.reason, "BadInput");
      assert.include(error.message, "export.zip is not a readable zip");
    }));

  it.effect("is a fresh read on every run of the stream", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.flatMap(temp, (root) => Effect.promise(() => writeOneRosterCsv(root, minimal)));
      const source = OneRosterCsvSource.make({ localPath: dir });
      assert.deepStrictEqual(named(yield* Stream.runCollect(source.extract)), ["One"]);
      yield* Effect.promise(() =>
        writeOneRosterCsv(dir, { "orgs.csv": [["sourcedId", "name", "type"], ["s1", "Renamed", "school"]] })
      );
      assert.deepStrictEqual(named(yield* Stream.runCollect(source.extract)), ["Renamed"]);
    }));

  it.effect("releases files and zips when the consumer stops early", () =>
    Effect.gen(function*() {
      const dir = yield* temp;
      const files = yield* fixtureFiles("rosterhub-style");
      const zip = yield* Effect.promise(() => writeZip(join(dir, "export.zip"), files));
      const openFds = () => Effect.promise(async () => (await readdir("/proc/self/fd")).length);
      const before = yield* openFds();
      for (const path of [zip, fixture("rosterhub-style"), zip]) {
        const [first] = yield* Stream.runCollect(Stream.take(OneRosterCsvSource.make({ localPath: path }).extract, 1));
        assert.strictEqual(first?.kind, "school");
      }
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)));
      assert.isAtMost(yield* openFds(), before);
    }));

  it.effect("provides the RosterSource port through layer", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.flatMap(temp, (root) => Effect.promise(() => writeOneRosterCsv(root, minimal)));
      const summary = yield* Effect.gen(function*() {
        const source = yield* RosterSource;
        return yield* source.testConnection;
      }).pipe(Effect.provide(OneRosterCsvSource.layer({ localPath: dir })));
      assert.match(summary, /^OneRoster 1\.1 export at oneroster-csv-\w+: 1 file \(orgs\.csv bulk\)$/);
    }));

  it.effect("rejects a batch size that is not a positive integer", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runCollect(OneRosterCsvSource.make({ localPath: ".", batchSize: 0 }).extract));
      assert.strictEqual(error.reason, "Configuration");
    }));
});
