import { assert, describe, it } from "@effect/vitest";
import { KINDS, RosterSource, type SourceRecord } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import * as CleverRosterSource from "../src/CleverRosterSource";
import * as FakeCleverServer from "../src/testing/FakeCleverServer";
import { countByKind, extractAll, failureOf, fastOptions, quiet, sourceFor } from "./support";

describe("CleverRosterSource", () => {
  it.live("extracts the whole district as bulk batches in kind order", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const batches = yield* extractAll(fake, { pageSize: 4 });
      const order = batches.map((b) => KINDS.indexOf(b.kind));
      assert.deepStrictEqual(order, [...order].sort((a, b) => a - b), "school → class → user → enrollment");
      assert.ok(batches.every((b) => b.mode === "bulk"));
      assert.deepStrictEqual(countByKind(batches), fake.district.expected());
      assert.deepStrictEqual(batches.flatMap((b) => b.issues), []);
      const users = batches.flatMap((b) => (b.kind === "user" ? (b.records as ReadonlyArray<SourceRecord<"user">>) : []));
      assert.strictEqual(new Set(users.map((u) => u.externalId)).size, users.length, "a multi-role user is emitted once");
      const librarian = users.find((u) => u.externalId === fake.district.idsWithRole("staff")[0])!;
      assert.strictEqual(librarian.fields.role, "teacher", "teacher + staff syncs as teacher");
      assert.ok(!users.some((u) => fake.district.idsWithRole("contact").includes(u.externalId)), "no guardians");
      // Contacts are not even requested.
      const roles = fake.log.filter((r) => r.path.startsWith("/v3.0/users")).map((r) => new URLSearchParams(r.path.split("?")[1]).get("role"));
      assert.deepStrictEqual([...new Set(roles)].sort(), ["district_admin", "staff", "student", "teacher"]);
    }).pipe(quiet));

  it.live("every kind yields a batch, even an empty one, so the safeguard can judge it", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ district: { schools: 0 } });
      const batches = yield* extractAll(fake);
      assert.deepStrictEqual([...new Set(batches.map((b) => b.kind))], [...KINDS]);
      assert.deepStrictEqual(countByKind(batches), { schools: 0, classes: 0, users: 2, enrollments: 0 });
    }).pipe(quiet));

  it.live("enrollments carry the primary teacher, co-teachers and students of each section", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const coTaught = [...fake.district.sections.values()].find((s) => s.teachers.length === 2)!;
      const batches = yield* extractAll(fake);
      const mine = batches.flatMap((b) => (b.kind === "enrollment" ? (b.records as ReadonlyArray<SourceRecord<"enrollment">>) : []))
        .filter((e) => e.fields.classExternalId === coTaught.id);
      const teachers = mine.filter((e) => e.fields.role === "teacher");
      assert.deepStrictEqual(teachers.map((e) => [e.externalId, e.fields.primary]), [
        [`${coTaught.id}:teacher:${coTaught.teacher}`, true],
        [`${coTaught.id}:teacher:${coTaught.teachers[1]}`, false],
      ]);
      assert.deepStrictEqual(mine.filter((e) => e.fields.role === "student").map((e) => e.fields.userExternalId).sort(), [...coTaught.students].sort());
    }).pipe(quiet));

  it.live("a malformed record is a row issue; the rest of the roster still flows", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const [sectionId] = fake.district.sections.keys();
      fake.district.updateSection(sectionId!, (s) => {
        s.name = 17 as never;
      });
      const batches = yield* extractAll(fake);
      const issues = batches.flatMap((b) => b.issues);
      assert.deepStrictEqual(issues.map((i) => [i.kind, i.severity, i.externalId]), [["class", "error", sectionId!]]);
      assert.strictEqual(countByKind(batches).classes, fake.district.expected().classes - 1);
      // Its enrollments still come, so the engine does not take them for deleted.
      assert.strictEqual(countByKind(batches).enrollments, fake.district.expected().enrollments);
    }).pipe(quiet));

  it.live("unreadable member lists stop the run rather than drop the section's enrollments", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const [sectionId] = fake.district.sections.keys();
      fake.district.updateSection(sectionId!, (s) => {
        s.students = "everyone" as never;
      });
      const error = yield* failureOf(extractAll(fake));
      assert.strictEqual(error.reason, "BadResponse");
      assert.include(error.message, sectionId!);
    }).pipe(quiet));

  it.live("testConnection confirms the token belongs to the configured district", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const summary = yield* sourceFor(fake).testConnection;
      assert.strictEqual(summary, `Clever district "Fake Unified School District" (${fake.district.id}): SIS sftp, last Clever sync 2026-11-02T08:15:00.000Z`);
      assert.deepStrictEqual(fake.log.map((r) => r.path.split("?")[0]), ["/oauth/tokens", "/v3.0/districts"]);
      const other = { ...fake.config, districtId: "5f00000000000000000000aa", accessToken: fake.token() };
      const error = yield* failureOf(sourceFor(fake, {}, other).testConnection);
      assert.strictEqual(error.reason, "Forbidden");
      assert.strictEqual(error.message, `The Clever token belongs to district ${fake.district.id}, not the configured district 5f00000000000000000000aa`);
    }).pipe(quiet));

  it.live("an invalid config fails both operations with reason Configuration", () =>
    Effect.gen(function* () {
      const source = CleverRosterSource.make({ clientId: "x", districtId: "d" });
      const a = yield* failureOf(source.testConnection);
      const b = yield* failureOf(Stream.runCollect(source.extract));
      assert.deepStrictEqual([a.reason, b.reason], ["Configuration", "Configuration"]);
      assert.match(a.message, /clientSecret/);
    }));

  it.live("the layer provides the port", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const summary = yield* Effect.gen(function* () {
        const source = yield* RosterSource;
        return yield* source.testConnection;
      }).pipe(Effect.provide(CleverRosterSource.layer(fake.config, fastOptions(fake))));
      assert.match(summary, /Fake Unified School District/);
    }).pipe(quiet));
});
