import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import { contentHash } from "../src/ContentHash";
import { KIND_PLURAL, KINDS, type AnyRecord, type Kind } from "../src/Roster";
import { RunRepository } from "../src/Providers";
import * as F from "../src/testing/Fixtures";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";
import { rosterOf, syncOnce } from "../src/testing/RosterStoreContract";

const TENANT = "t1";

/** 2 schools, 4 classes, 4 teachers + 6 students, 16 enrollments: several staging batches per kind. */
const roster = () => F.district({ schools: 2, classesPerSchool: 2, students: 6, classesPerStudent: 2 });

const countByKind = (records: ReadonlyArray<AnyRecord>): Record<Kind, number> => {
  const out = { school: 0, class: 0, user: 0, enrollment: 0 };
  for (const r of records) out[r.kind]++;
  return out;
};

/** Every test gets its own in-memory database, kept at hand to inspect staging and tamper with entities. */
const withStore = <A, E>(test: (db: MemoryRosterStore.MemoryState) => Effect.Effect<A, E, any>) => {
  const db = MemoryRosterStore.makeState();
  return test(db).pipe(Effect.provide(MemoryRosterStore.layerFrom(db))) as Effect.Effect<A, E>;
};

const stagingOf = (db: MemoryRosterStore.MemoryState, runId: string) => {
  const staging = db.staging.get(runId);
  assert.isDefined(staging, `no staging kept for run ${runId}`);
  return staging!;
};

const userLink = (db: MemoryRosterStore.MemoryState, externalId: string) => {
  const link = [...db.links.values()].find((l) => l.kind === "user" && l.externalId === externalId);
  assert.isDefined(link, `no link for user ${externalId}`);
  return link!;
};

/** The records with one user's fields changed. */
const renamed = (records: ReadonlyArray<AnyRecord>, externalId: string, familyName: string): Array<AnyRecord> =>
  records.map((r) => (r.kind === "user" && r.externalId === externalId ? { ...r, fields: { ...r.fields, familyName } } : r));

describe("unchanged rows", () => {
  it.effect("an unchanged feed stages bare ids, counts them unchanged and writes nothing", () =>
    withStore((db) =>
      Effect.gen(function* () {
        const d = roster();
        const counts = countByKind(d.all);
        const first = yield* syncOnce({ tenantId: TENANT, records: d.all });
        assert.strictEqual(first.run.status, "SUCCESS");
        assert.strictEqual(first.run.stats!.users.created, counts.user);
        // The first run had nothing to compare with: every row was staged whole.
        for (const kind of KINDS) {
          assert.isTrue(stagingOf(db, first.run.id)[kind].every((r) => r.state === "valid" && r.data !== null), kind);
        }
        const entities = structuredClone(db.entities);
        const links = structuredClone(db.links);

        const second = yield* syncOnce({ tenantId: TENANT, records: d.all });
        assert.strictEqual(second.run.status, "SUCCESS");
        const staging = stagingOf(db, second.run.id);
        for (const kind of KINDS) {
          const rows = staging[kind];
          assert.strictEqual(rows.length, counts[kind], kind);
          assert.deepStrictEqual(
            rows.map((r) => r.externalId).sort(),
            d.all.filter((r) => r.kind === kind).map((r) => r.externalId).sort(),
            kind,
          );
          for (const row of rows) {
            assert.deepStrictEqual(
              { state: row.state, data: row.data, raw: row.raw, hash: row.hash },
              { state: "unchanged", data: null, raw: null, hash: "" },
              `${kind} ${row.externalId}`,
            );
          }
          const s = second.run.stats![KIND_PLURAL[kind]];
          assert.deepStrictEqual(
            [s.unchanged, s.created, s.updated, s.reactivated, s.deactivated, s.errors],
            [counts[kind], 0, 0, 0, 0, 0],
            kind,
          );
        }
        assert.strictEqual(second.run.stats!.users.matchedBy.externalId, counts.user);
        assert.deepStrictEqual(db.entities, entities);
        assert.deepStrictEqual(db.links, links);
      })));

  it.effect("one changed user is staged whole and updated; the others stay unchanged", () =>
    withStore((db) =>
      Effect.gen(function* () {
        const d = roster();
        const counts = countByKind(d.all);
        yield* syncOnce({ tenantId: TENANT, records: d.all });
        const entityId = userLink(db, "stu2").entityId;
        const changed = renamed(d.all, "stu2", "Renamed");

        const second = yield* syncOnce({ tenantId: TENANT, records: changed });
        assert.strictEqual(second.run.status, "SUCCESS");
        const users = stagingOf(db, second.run.id).user;
        const valid = users.filter((r) => r.state === "valid");
        assert.deepStrictEqual(valid.map((r) => r.externalId), ["stu2"]);
        const fields = changed.find((r) => r.kind === "user" && r.externalId === "stu2")!.fields;
        assert.deepStrictEqual(valid[0]!.data, fields);
        assert.strictEqual(valid[0]!.hash, contentHash("user", fields as never));
        assert.deepStrictEqual(
          users.filter((r) => r.state !== "valid").map((r) => [r.state, r.data]),
          Array.from({ length: counts.user - 1 }, () => ["unchanged", null]),
        );
        const u = second.run.stats!.users;
        assert.deepStrictEqual([u.updated, u.unchanged, u.created, u.reactivated, u.deactivated], [1, counts.user - 1, 0, 0, 0]);
        assert.strictEqual(u.matchedBy.externalId, counts.user);
        // The user's enrollments did not change: they stay unchanged.
        assert.strictEqual(second.run.stats!.enrollments.unchanged, counts.enrollment);
        assert.isTrue(stagingOf(db, second.run.id).enrollment.every((r) => r.state === "unchanged"));

        const entity = db.entities.user.get(entityId)!;
        assert.strictEqual(entity.data["familyName"], "Renamed");
        assert.strictEqual(userLink(db, "stu2").entityId, entityId);
        assert.strictEqual(userLink(db, "stu2").hash, contentHash("user", fields as never));

        // The link now holds the new hash: the same feed again is all unchanged.
        const third = yield* syncOnce({ tenantId: TENANT, records: changed });
        assert.isTrue(stagingOf(db, third.run.id).user.every((r) => r.state === "unchanged"));
        assert.deepStrictEqual([third.run.stats!.users.updated, third.run.stats!.users.unchanged], [0, counts.user]);
      })));

  it.effect("a known id sent twice: one duplicate_id issue, the first row kept, the run PARTIAL", () =>
    withStore((db) =>
      Effect.gen(function* () {
        const d = roster();
        const counts = countByKind(d.all);
        yield* syncOnce({ tenantId: TENANT, records: d.all });
        const runs = yield* RunRepository;
        const entityId = userLink(db, "stu1").entityId;
        const original = d.users.find((u) => u.externalId === "stu1")!;
        const repeat = (familyName: string): AnyRecord =>
          ({ ...original, fields: { ...original.fields, familyName }, origin: { file: "users.csv", line: 99 } });

        // 1. The first row changed; the repeat (in a later batch) carries yet other content.
        const second = yield* syncOnce({ tenantId: TENANT, records: [...renamed(d.all, "stu1", "First"), repeat("Second")] });
        assert.strictEqual(second.run.status, "PARTIAL");
        const issues = yield* runs.issues(second.run.id, { limit: 100, offset: 0 });
        assert.deepStrictEqual(
          issues.map((i) => [i.kind, i.severity, i.code, i.externalId, i.file, i.line, i.message]),
          [["user", "error", "duplicate_id", "stu1", "users.csv", 99, `duplicate user id "stu1": the first row was kept`]],
        );
        assert.strictEqual(second.run.stats!.users.errors, 1);
        assert.deepStrictEqual([second.run.stats!.users.updated, second.run.stats!.users.unchanged], [1, counts.user - 1]);
        const staged = stagingOf(db, second.run.id).user.filter((r) => r.externalId === "stu1");
        assert.deepStrictEqual(staged.map((r) => [r.state, (r.data as { familyName: string }).familyName]), [["valid", "First"]]);
        assert.strictEqual(db.entities.user.get(entityId)!.data["familyName"], "First");

        // 2. The first row is unchanged; the repeat would change it.
        const third = yield* syncOnce({ tenantId: TENANT, records: [...renamed(d.all, "stu1", "First"), repeat("Third")] });
        assert.strictEqual(third.run.status, "PARTIAL");
        const issues3 = yield* runs.issues(third.run.id, { limit: 100, offset: 0 });
        assert.deepStrictEqual(issues3.map((i) => [i.code, i.externalId, i.line]), [["duplicate_id", "stu1", 99]]);
        assert.deepStrictEqual(
          stagingOf(db, third.run.id).user.filter((r) => r.externalId === "stu1").map((r) => r.state),
          ["unchanged"],
        );
        const u = third.run.stats!.users;
        assert.deepStrictEqual([u.errors, u.updated, u.unchanged, u.deactivated], [1, 0, counts.user, 0]);
        const entity = db.entities.user.get(entityId)!;
        assert.strictEqual(entity.data["familyName"], "First");
        assert.isTrue(entity.active);
      })));

  it.effect("a user deactivated outside the sync is not unchanged: it is staged whole and reactivated", () =>
    withStore((db) =>
      Effect.gen(function* () {
        const d = roster();
        const counts = countByKind(d.all);
        yield* syncOnce({ tenantId: TENANT, records: d.all });
        const link = userLink(db, "stu3");
        const entity = db.entities.user.get(link.entityId)!;
        entity.active = false;
        entity.deactivatedAt = new Date();

        const second = yield* syncOnce({ tenantId: TENANT, records: d.all });
        assert.strictEqual(second.run.status, "SUCCESS");
        const staged = stagingOf(db, second.run.id).user;
        const stu3 = staged.filter((r) => r.externalId === "stu3");
        assert.deepStrictEqual(stu3.map((r) => r.state), ["valid"]);
        assert.deepStrictEqual(stu3[0]!.data, d.users.find((u) => u.externalId === "stu3")!.fields);
        assert.isTrue(staged.filter((r) => r.externalId !== "stu3").every((r) => r.state === "unchanged"));
        const u = second.run.stats!.users;
        assert.deepStrictEqual([u.reactivated, u.unchanged, u.updated, u.created, u.deactivated], [1, counts.user - 1, 0, 0, 0]);

        const after = db.entities.user.get(link.entityId)!;
        assert.isTrue(after.active);
        assert.isNull(after.deactivatedAt);
        assert.strictEqual(userLink(db, "stu3").entityId, link.entityId);
        const users = yield* rosterOf(TENANT, "user");
        assert.strictEqual(users.length, counts.user);
        assert.isTrue(users.every((x) => x.active));
      })));
});
