import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";
import { OneRosterCsvSource } from "../src/index";
import { manifestRows, toCsv, writeOneRosterCsv, writeZip, type FileContent } from "../src/testing/index";
import {
  extract,
  extractError,
  issueKeys,
  issuesOf,
  recordOf,
  recordsOf,
  shape,
  tempDir,
  testConnection,
} from "./helpers";

const temps: Array<string> = [];
/** A zip central directory file header's signature. */
const CENTRAL_HEADER = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
afterAll(() => Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true }))));

/** Writes an export into a fresh temp folder. */
const exportOf = (files: Readonly<Record<string, FileContent>>) =>
  Effect.promise(async () => {
    const dir = await tempDir();
    temps.push(dir);
    return writeOneRosterCsv(join(dir, "export"), files);
  });

const ORGS = [["sourcedId", "status", "name", "type"], ["s1", "", "One", "school"]];
const USERS_HEADER = ["sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"];

describe("manifest", () => {
  it.effect("fails without manifest.csv, naming what a OneRoster export needs", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({ "users.csv": [USERS_HEADER], "roles.csv": [["sourcedId"]] });
      const error = yield* extractError(path);
      assert.strictEqual(error.reason, "BadInput");
      assert.include(error.message, "needs manifest.csv");
      const failed = yield* Effect.flip(testConnection(path));
      assert.strictEqual(failed.message, error.message);
    }));

  it.effect("fails when a file the manifest declares bulk is missing", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({ "manifest.csv": manifestRows({ orgs: "bulk", users: "bulk" }), "orgs.csv": ORGS });
      const error = yield* extractError(path);
      assert.strictEqual(error.reason, "BadInput");
      assert.strictEqual(error.message, "manifest.csv declares users.csv as bulk, but export has no users.csv");
    }));

  it.effect("fails on an unreadable mode for a file it reads; warns for one it does not", () =>
    Effect.gen(function*() {
      const bad = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk" }, [["file.users", "sometimes"]]),
        "orgs.csv": ORGS,
      });
      const error = yield* extractError(bad);
      assert.strictEqual(error.message, `manifest.csv: file.users is "sometimes"; expected bulk, delta or absent`);

      const tolerated = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk" }, [["file.demographics", ""], ["file.lineItems", "bulk"]]),
        "orgs.csv": ORGS,
      });
      const batches = yield* extract(tolerated);
      assert.deepStrictEqual(shape(batches), ["school bulk 1"]);
      assert.deepStrictEqual(issuesOf(batches).map((issue) => `${issue.kind} ${issue.code} ${issue.message}`), [
        `null manifest manifest.csv: file.demographics is ""; expected bulk, delta or absent`,
        "null manifest manifest.csv declares lineItems.csv as bulk, but the export has no lineItems.csv (not needed: ignored)",
      ]);
    }));

  it.effect("reads modes case-insensitively and trimmed; emits no batch for kinds it does not declare", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": [["propertyName", "value"], ["File.Users", " Delta "], ["file.orgs", "ABSENT"]],
        "orgs.csv": ORGS,
        "users.csv": [USERS_HEADER, ["u1", "", "", "s1", "student", "", "Ann", "Able"]],
        "enrollments.csv": [["sourcedId", "classSourcedId", "userSourcedId", "role"]],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["user delta 1"]);
      assert.deepStrictEqual(issuesOf(batches).map((issue) => issue.message), [
        "orgs.csv is present but manifest.csv marks it absent: ignored",
        "enrollments.csv is present but manifest.csv does not declare it: ignored",
      ]);
    }));

  it.effect("finds a data file whose name differs only in case", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({ "manifest.csv": manifestRows({ orgs: "bulk" }), "Orgs.CSV": ORGS });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordOf(batches, "school", "s1").origin, { file: "Orgs.CSV", line: 2 });
    }));

  it.effect("finds Manifest.csv in any case, in a folder and in a zip's one top-level folder", () =>
    Effect.gen(function*() {
      const files = { "Manifest.CSV": toCsv(manifestRows({ orgs: "bulk" })), "orgs.csv": toCsv(ORGS) };
      const folder = yield* exportOf(files);
      assert.deepStrictEqual(shape(yield* extract(folder)), ["school bulk 1"]);
      const dir = yield* Effect.promise(() => tempDir());
      temps.push(dir);
      const zip = yield* Effect.promise(() =>
        writeZip(join(dir, "export.zip"), Object.fromEntries(Object.entries(files).map(([name, text]) => [`Export/${name}`, text]))));
      assert.deepStrictEqual(shape(yield* extract(zip)), ["school bulk 1"]);
    }));

  it.effect("refuses a zip entry that would inflate over 1 GiB at more than 100 times its size (a zip bomb)", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => tempDir());
      temps.push(dir);
      const path = yield* Effect.promise(() =>
        writeZip(join(dir, "bomb.zip"), { "manifest.csv": toCsv(manifestRows({ orgs: "bulk" })), "orgs.csv": toCsv(ORGS) }));
      // Declare orgs.csv 2 GiB inflated in the central directory (yauzl would fail the read past that size).
      const zip = yield* Effect.promise(() => readFile(path));
      for (let at = zip.indexOf(CENTRAL_HEADER); at !== -1; at = zip.indexOf(CENTRAL_HEADER, at + 4)) {
        const name = zip.subarray(at + 46, at + 46 + zip.readUInt16LE(at + 28)).toString("utf8");
        if (name === "orgs.csv") zip.writeUInt32LE(0x7fffffff, at + 24);
      }
      yield* Effect.promise(() => writeFile(path, zip));
      const error = yield* extractError(path);
      assert.strictEqual(error.reason, "BadInput");
      assert.match(error.message, /orgs\.csv would inflate \d+ bytes to 2147483647 \(a zip bomb\?\); refusing to read it/);
    }));

  it.effect("warns about a OneRoster version it does not implement", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": [["propertyName", "value"], ["oneroster.version", "1.2"], ["file.orgs", "bulk"]],
        "orgs.csv": ORGS,
      });
      const [issue] = issuesOf(yield* extract(path));
      assert.include(issue?.message, "oneroster.version 1.2");
      assert.match(yield* testConnection(path), /^OneRoster 1\.2 export at export: 1 file \(orgs\.csv bulk\); 1 manifest warning$/);
    }));
});

describe("structure", () => {
  it.effect("fails before the first batch when a later file misses a required column", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", users: "bulk" }),
        "orgs.csv": ORGS,
        "users.csv": [["sourcedId", "givenName", "familyName", "metadata.role"], ["u1", "Ann", "Able", "student"]],
      });
      let seen = 0;
      const error = yield* Effect.flip(
        Stream.runForEach(OneRosterCsvSource.make({ localPath: path }).extract, () => Effect.sync(() => seen++)),
      );
      assert.strictEqual(error.reason, "BadInput");
      assert.strictEqual(error.message, `users.csv: missing required column "role"`);
      assert.strictEqual(seen, 0);
      assert.strictEqual((yield* Effect.flip(testConnection(path))).message, error.message);
    }));

  it.effect("reports the first broken file in reading order when several are broken", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", classes: "bulk", users: "bulk", enrollments: "bulk" }),
        "orgs.csv": ORGS,
        // The earlier broken file is the longer one: its peek is not the first to finish.
        "classes.csv": [["sourcedId", "title"], ...Array.from({ length: 20_000 }, (_, i) => [`c${i}`, `Class ${i} ${"x".repeat(40)}`])],
        "users.csv": [["sourcedId", "givenName", "familyName"], ["u1", "Ann", "Able"]],
        "enrollments.csv": [["sourcedId"]],
      });
      const error = yield* extractError(path);
      assert.match(error.message, /^classes\.csv: missing required column/);
      assert.strictEqual((yield* Effect.flip(testConnection(path))).message, error.message);
    }));

  it.effect("matches headers case-insensitively when no exact name exists, and tolerates padded headers", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk" }),
        "orgs.csv": "SourcedID,NAME,Type,name,,\ns1,Upper,school,Exact,,\ns2,Upper2,school,Exact2\n",
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordsOf(batches, "school").map((school) => school.fields.name), ["Exact", "Exact2"]);
      assert.deepStrictEqual(issuesOf(batches), []);
      assert.deepStrictEqual(Object.keys(recordOf(batches, "school", "s2").raw), ["SourcedID", "NAME", "Type", "name"]);
    }));

  it.effect("reads a header longer than the small first read its check makes", () =>
    Effect.gen(function*() {
      // 40 KB of extra columns: the header check's first read (16 KB) holds no whole row.
      const extra = Array.from({ length: 2000 }, (_, i) => `extraColumn${String(i).padStart(6, "0")}`);
      const users = [["u1", "", "", "s1", "student", "", "Ada", "Lovelace", ...extra.map(() => "x")]];
      const path = yield* exportOf({ "manifest.csv": manifestRows({ users: "bulk" }), "users.csv": [[...USERS_HEADER, ...extra], ...users] });
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["user bulk 1"]);
      assert.strictEqual(recordOf(batches, "user", "u1").fields.givenName, "Ada");
      assert.deepStrictEqual(issueKeys(batches), ["warning unknown_column users.csv:1 null"]);
      // A required column is still missed when it sits past the first read.
      const missing = yield* exportOf({
        "manifest.csv": manifestRows({ users: "bulk" }),
        "users.csv": [[...USERS_HEADER.filter((column) => column !== "familyName"), ...extra]],
      });
      assert.include((yield* extractError(missing)).message, 'users.csv: missing required column "familyName"');
    }));

  it.effect("fails on a file with no header row and on a quote that is never closed", () =>
    Effect.gen(function*() {
      const empty = yield* exportOf({ "manifest.csv": manifestRows({ orgs: "bulk" }), "orgs.csv": "" });
      assert.strictEqual((yield* extractError(empty)).message, "orgs.csv is empty: it has no header row");
      const unclosed = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk" }),
        "orgs.csv": 'sourcedId,name,type\ns1,One,school\ns2,"Two,school\ns3,Three,school\n',
      });
      const error = yield* extractError(unclosed);
      assert.strictEqual(error.reason, "BadInput");
      assert.strictEqual(
        error.message,
        "orgs.csv: line 3: a quoted field is never closed, so the rest of the file cannot be split into rows",
      );
    }));

  it.effect("fails a file that is not UTF-8, naming the file, the line and the byte", () =>
    Effect.gen(function*() {
      const latin = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", users: "bulk" }),
        "orgs.csv": ORGS,
        "users.csv": Buffer.concat([
          Buffer.from(`${USERS_HEADER.join(",")}\nu1,,true,s1,student,u1,Ann,Able\nu2,,true,s1,student,u2,Jos`, "utf8"),
          Buffer.from([0xe9]),
          Buffer.from(",Diaz\n", "utf8"),
        ]),
      });
      const error = yield* extractError(latin);
      assert.strictEqual(error.reason, "BadInput");
      assert.strictEqual(error.message,
        "users.csv: line 3: the file is not UTF-8: byte 0xE9 is not part of a UTF-8 character (a Windows-1252 or Latin-1 export?); export it as UTF-8");
    }));

  it.effect("yields one empty batch for a present file with no rows", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", users: "bulk", enrollments: "delta" }),
        "orgs.csv": ORGS,
        "users.csv": toCsv([USERS_HEADER], { eol: "\r\n", finalNewline: false }),
        "enrollments.csv": [["sourcedId", "classSourcedId", "userSourcedId", "role"]],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 1", "user bulk 0", "enrollment delta 0"]);
    }));

  it.effect("splits a file into batches of batchSize records", () =>
    Effect.gen(function*() {
      const users = [1, 2, 3, 4, 5].map((n) => [`u${n}`, "", "", "s1", "student", "", `Given${n}`, "Family"]);
      const path = yield* exportOf({ "manifest.csv": manifestRows({ users: "bulk" }), "users.csv": [USERS_HEADER, ...users] });
      const batches = yield* extract(path, 2);
      assert.deepStrictEqual(shape(batches), ["user bulk 2", "user bulk 2", "user bulk 1"]);
      assert.deepStrictEqual(recordsOf(batches, "user").map((user) => user.origin?.line), [2, 3, 4, 5, 6]);
    }));
});

describe("rows", () => {
  it.effect("rejects bad user rows with an error issue on the right line, and keeps the rest", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ users: "bulk" }),
        "users.csv": [
          "sourcedId,status,enabledUser,orgSourcedIds,role,username,givenName,familyName,email",
          "u1,,true,s1,student,u1,Ann,Able,a@example.org",
          ",,true,s1,student,u2,Ben,Bee,",
          "u3,,true,s1,pupil,u3,Cat,Cee,",
          "u4,,true,s1,student",
          'u5,,true,s1,teacher,u5,"Dee',
          'Anne",Dunn,',
          "u6,,maybe,s1,student,u6,Eve,,",
          "u7,Archived,TRUE,s1,aide,u7,Fay,Fox,",
          "u8,,true,s1,,u8,Gus,Gray,",
          "u9,,true,s1,Relative,u9,Hal,Hay,",
          "u10,,true,s1,student,u10,,,",
          "",
        ].join("\n"),
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordsOf(batches, "user").map((user) => `${user.externalId}@${user.origin?.line}`), [
        "u1@2", "u6@8", "u7@9", "u9@11",
      ]);
      assert.deepStrictEqual(issueKeys(batches), [
        "error missing_field users.csv:3 null",
        "error invalid_value users.csv:4 u3",
        "error invalid_row users.csv:5 u4",
        "error invalid_row users.csv:6 u5",
        "error invalid_row users.csv:7 null",
        "warning missing_field users.csv:8 u6",
        "warning invalid_value users.csv:8 u6",
        "warning invalid_value users.csv:9 u7",
        "error missing_field users.csv:10 u8",
        "error missing_field users.csv:12 u10",
      ]);
      assert.deepStrictEqual(issuesOf(batches).map((issue) => issue.message), [
        "sourcedId is empty; row skipped",
        `unknown role "pupil"; row skipped`,
        "wrong number of fields: the header has 9, this row has 5; row skipped",
        "a value runs from line 6 to line 7 (a stray quote?); OneRoster values hold no line breaks: row skipped, with the 1 line inside it",
        "inside a value runs from line 6 to line 7 (a stray quote?); OneRoster values hold no line breaks: row skipped",
        "familyName is empty",
        `enabledUser "maybe" is not true or false; read as true`,
        `status "Archived" is not active or tobedeleted; read as active`,
        "role is empty; row skipped",
        "givenName and familyName are empty; row skipped",
      ]);
      assert.isTrue(issuesOf(batches).every((issue) => issue.kind === "user"));
      assert.strictEqual(recordOf(batches, "user", "u7").status, "active");
      assert.deepStrictEqual([recordOf(batches, "user", "u6").fields.familyName, recordOf(batches, "user", "u6").fields.enabled], ["", true]);
      assert.strictEqual(recordOf(batches, "user", "u9").fields.role, "relative");
    }));

  it.effect("a stray quote that swallows rows rejects them all under their own ids, so none is deactivated", () =>
    Effect.gen(function*() {
      const row = (n: number, given = `G${n}`) => `u${n},,true,s1,student,u${n},${given},F${n}`;
      const lines = Array.from({ length: 12 }, (_, i) => row(i + 1));
      lines[2] = row(3, '"Ann ');  // opens a quoted value that the quote in row 7 closes
      lines[6] = row(7, 'Ann"');
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ users: "bulk" }),
        "users.csv": [USERS_HEADER.join(","), ...lines, ""].join("\r\n"),
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordsOf(batches, "user").map((u) => `${u.externalId}@${u.origin?.line}`), [
        "u1@2", "u2@3", "u8@9", "u9@10", "u10@11", "u11@12", "u12@13",
      ]);
      assert.deepStrictEqual(issueKeys(batches), [4, 5, 6, 7, 8].map((line) => `error invalid_row users.csv:${line} u${line - 1}`));
      assert.strictEqual(issuesOf(batches)[0]!.message,
        "a value runs from line 4 to line 8 (a stray quote?); OneRoster values hold no line breaks: row skipped, with the 4 lines inside it");
      assert.strictEqual(issuesOf(batches)[1]!.message,
        "inside a value runs from line 4 to line 8 (a stray quote?); OneRoster values hold no line breaks: row skipped");
    }));

  it.effect("a stray quote in the sourcedId column reports every swallowed row under its id, the last one too", () =>
    Effect.gen(function*() {
      const row = (n: number, id = `u${n}`) => `${id},,true,s1,student,u${n},G${n},F${n}`;
      const lines = Array.from({ length: 8 }, (_, i) => row(i + 1));
      lines[2] = row(3, '"u3');  // the quote opens in the id column and closes after u6's id
      lines[5] = row(6, 'u6"');
      lines[3] = row(4, "");  // a swallowed row without an id: reported without one
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ users: "bulk" }),
        "users.csv": [USERS_HEADER.join(","), ...lines, ""].join("\n"),
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordsOf(batches, "user").map((u) => u.externalId), ["u1", "u2", "u7", "u8"]);
      assert.deepStrictEqual(issueKeys(batches), [
        "error invalid_row users.csv:4 u3", "error invalid_row users.csv:5 null", "error invalid_row users.csv:6 u5", "error invalid_row users.csv:7 u6",
      ]);
    }));

  it.effect("drops an unparseable date or boolean with a warning and keeps the row", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ enrollments: "bulk" }),
        "enrollments.csv": [
          ["sourcedId", "classSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
          ["e1", "c1", "u1", "student", "maybe", "15/06/2023", "2023-06-30"],
          ["e2", "", "u1", "student", "", "", ""],
        ],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(recordOf(batches, "enrollment", "e1").fields, {
        classExternalId: "c1", userExternalId: "u1", role: "student", primary: false, beginDate: null, endDate: "2023-06-30",
      });
      assert.deepStrictEqual(issuesOf(batches).map((issue) => `${issue.severity} ${issue.line} ${issue.message}`), [
        `warning 2 primary "maybe" is not true or false; read as false`,
        `warning 2 beginDate "15/06/2023" is not a date (YYYY-MM-DD); value dropped`,
        "error 3 classSourcedId is empty; row skipped",
      ]);
    }));

  it.effect("rejects classes without title or school and schools without a name", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", classes: "bulk" }),
        "orgs.csv": [["sourcedId", "name", "type"], ["s1", "", "school"], ["s2", "Two", ""], ["d1", "", "district"]],
        "classes.csv": [
          ["sourcedId", "title", "schoolSourcedId"], ["c1", "", "s1"], ["c2", "Two", ""], ["c3", "Three", "s2"],
        ],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 0", "class bulk 1"]);
      assert.deepStrictEqual(issueKeys(batches), [
        "error missing_field orgs.csv:2 s1",
        "error missing_field orgs.csv:3 s2",
        "error missing_field classes.csv:2 c1",
        "error missing_field classes.csv:3 c2",
      ]);
    }));

  it.effect("reports lookup-file problems without a kind, so they never stand for a class", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ academicSessions: "bulk", courses: "delta", classes: "bulk" }),
        "academicSessions.csv": [["sourcedId", "title", "startDate"], ["t1", "Fall", "01/09/2025"], ["t2", "Spring"]],
        "courses.csv": [["sourcedId", "title"], ["k1", "Maths"]],
        "classes.csv": [
          ["sourcedId", "title", "schoolSourcedId", "courseSourcedId", "termSourcedIds"],
          ["c1", "Maths A", "s1", "k2", "t1,t2"],
        ],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(issuesOf(batches).map((issue) => `${issue.kind} ${issue.code} ${issue.file}:${issue.line}`), [
        "null invalid_value academicSessions.csv:2",
        "null invalid_row academicSessions.csv:3",
        "class unknown_reference classes.csv:2",
      ]);
      const c1 = recordOf(batches, "class", "c1").fields;
      // courses.csv is a delta, so a course missing from it is no surprise: no warning, id kept.
      assert.deepStrictEqual(c1.course, { externalId: "k2", title: null, code: null });
      assert.deepStrictEqual(c1.terms[0], { externalId: "t1", title: "Fall", type: null, startDate: null, endDate: null, schoolYear: null });
    }));
});

describe("delta", () => {
  it.effect("emits tobedeleted (and 1.0 inactive) rows of a delta file as deletions", () =>
    Effect.gen(function*() {
      const path = yield* exportOf({
        "manifest.csv": manifestRows({ orgs: "bulk", users: "delta", enrollments: "delta" }),
        "orgs.csv": ORGS,
        "users.csv": [
          [...USERS_HEADER, "dateLastModified"],
          ["u1", "active", "true", "s1", "student", "", "Ann", "Able", "2026-11-24T01:00:00.000Z"],
          ["u2", "tobedeleted", "true", "s1", "student", "", "Ben", "Bee", "2026-11-24T01:00:00.000Z"],
          ["u3", "Inactive", "false", "s1", "teacher", "", "Cat", "Cee", "2026-11-24T01:00:00.000Z"],
        ],
        "enrollments.csv": [
          ["sourcedId", "status", "classSourcedId", "userSourcedId", "role"],
          ["e1", "tobedeleted", "c1", "u2", "student"],
        ],
      });
      const batches = yield* extract(path);
      assert.deepStrictEqual(shape(batches), ["school bulk 1", "user delta 3", "enrollment delta 1"]);
      assert.deepStrictEqual(recordsOf(batches, "user").map((user) => `${user.externalId} ${user.status}`), [
        "u1 active", "u2 tobedeleted", "u3 tobedeleted",
      ]);
      assert.strictEqual(recordOf(batches, "enrollment", "e1").status, "tobedeleted");
      assert.deepStrictEqual(issuesOf(batches), []);
    }));
});
