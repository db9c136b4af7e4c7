/**
 * Store semantics at the port level, on the reference in-memory store and on PGlite / PostgreSQL
 * alike (the same assertions, so the adapter provably matches the reference): staging and
 * duplicates, candidates and the unchanged shortcut, match candidates, reference resolution,
 * the load, deactivation previews, lease fencing and pruning.
 */
import { assert, layer } from "@effect/vitest";
import {
  ContentHash, LeaseLostError, Plan, ProviderRepository, RosterReader, RosterStore, RunRepository, Validate, normalizeEmail,
  normalizeStudentNumber, type AnyRecord, type FeedMode, type Kind, type PlanCandidate, type PlanDecision, type RunScope,
  type StagedRow,
} from "@sis-sync/core";
import { Fixtures as F, MemoryRosterStore, syncOnce } from "@sis-sync/core/testing";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import { PgDatabase } from "../src/PgDatabase";
import * as PgRosterStore from "../src/PgRosterStore";
import { PgRunLeases } from "../src/PgRunLeases";
import { layerTest, testBackends } from "../src/testing/index";

type Backend = "memory" | "pglite" | "pg";

interface Kit {
  readonly layer: Layer.Layer<RosterStore | ProviderRepository | RunRepository | RosterReader | PgRunLeases | PgDatabase, unknown>;
  /** Grants the run a lease valid for `ttlMs` and returns its token. */
  readonly grantLease: (runId: string, ttlMs: number) => Effect.Effect<string, unknown, PgRunLeases>;
}

const kitFor = (backend: Backend): Kit => {
  if (backend === "memory") {
    const state = MemoryRosterStore.makeState();
    return {
      // The memory store has no database; tests that read SQL skip it.
      layer: Layer.mergeAll(
        MemoryRosterStore.layerFrom(state),
        Layer.succeed(PgRunLeases, {} as never),
        Layer.succeed(PgDatabase, {} as never),
      ),
      grantLease: (runId, ttlMs) =>
        Effect.sync(() => {
          const token = randomUUID();
          MemoryRosterStore.grantLease(state, runId, token, ttlMs);
          return token;
        }),
    };
  }
  return {
    layer: layerTest(backend),
    grantLease: (runId, ttlMs) =>
      Effect.gen(function* () {
        const leases = yield* PgRunLeases;
        const token = yield* leases.grant(runId, "test-worker", ttlMs);
        assert.ok(token !== null, "lease granted");
        return token!;
      }),
  };
};

// ---------------------------------------------------------------------------------------------
// helpers

const stagedRow = (seq: number, record: AnyRecord, state: "valid" | "rejected" = "valid"): StagedRow => {
  const user = record.kind === "user" ? record.fields : null;
  return {
    seq,
    externalId: record.externalId,
    status: record.status,
    state,
    data: record.fields,
    raw: record.raw,
    hash: ContentHash.contentHash(record.kind, record.fields as never),
    file: record.origin?.file ?? null,
    line: record.origin?.line ?? null,
    emailKey: user ? normalizeEmail(user.email) : null,
    studentNumberKey: user && user.role === "student" ? normalizeStudentNumber(user.studentNumber) : null,
    refs: Validate.refsOf(record),
  };
};

let tenantCounter = 0;
const newTenant = () => `t-${Date.now().toString(36)}-${tenantCounter++}`;

/** A provider with a started run: the scope the engine would use. */
const newScope = (tenantId: string, providerName = "sis") =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const provider = (yield* providers.findByName(tenantId, providerName)) ??
      (yield* providers.create({ tenantId, providerType: "ONEROSTER_CSV", name: providerName, config: { localPath: "/fixtures" } }));
    const { run } = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: true });
    yield* runs.start(run.id);
    return { runId: run.id, tenantId, providerId: provider.id } satisfies RunScope;
  });

const finish = (scope: RunScope) =>
  Effect.gen(function* () {
    const runs = yield* RunRepository;
    yield* runs.finish(scope.runId, { status: "SUCCESS", stats: null, errorMessage: null });
  });

const ALL_BULK: Partial<Record<Kind, FeedMode>> = { school: "bulk", class: "bulk", user: "bulk", enrollment: "bulk" };

/** What the engine does between staging and the load, for the given records (all valid). */
const syncRecords = (
  scope: RunScope,
  records: ReadonlyArray<AnyRecord>,
  modes: Partial<Record<Kind, FeedMode>> = ALL_BULK,
  options: { readonly apply?: boolean; readonly chunk?: number } = {},
) =>
  Effect.gen(function* () {
    const store = yield* RosterStore;
    const kinds = (["school", "class", "user", "enrollment"] as const).filter((k) => modes[k] !== undefined);
    for (const kind of kinds) {
      const rows = records.filter((r) => r.kind === kind).map((r, i) => stagedRow(i + 1, r));
      if (rows.length > 0) yield* store.stage(scope, kind, rows);
      yield* store.sealKind(scope, kind);
    }
    const decided: Record<string, Array<PlanDecision>> = {};
    for (const kind of kinds) {
      yield* store.countStaged(scope, kind);
      decided[kind] = yield* planKind(scope, kind, modes, options.chunk ?? 1000);
    }
    const result = options.apply === false ? null : yield* store.apply(scope, kinds.map((kind) => ({ kind, mode: modes[kind]! })));
    return { decided, result };
  });

const planKind = (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>, chunk = 1000) =>
  Effect.gen(function* () {
    const store = yield* RosterStore;
    const decisions: Array<PlanDecision> = [];
    let after = 0;
    for (;;) {
      const candidates = yield* store.planCandidates(scope, kind, modes, after, chunk);
      if (candidates.length === 0) break;
      after = candidates[candidates.length - 1]!.seq;
      const chunkDecisions = candidates.flatMap((c) => {
        const outcome = Plan.decide(kind, c, { createUsers: true, newId: () => randomUUID() });
        return outcome.type === "decision" ? [outcome.decision] : [];
      });
      if (chunkDecisions.length > 0) yield* store.savePlan(scope, kind, chunkDecisions);
      decisions.push(...chunkDecisions);
    }
    return decisions;
  });

const allCandidates = (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>> = ALL_BULK) =>
  Effect.gen(function* () {
    const store = yield* RosterStore;
    return yield* store.planCandidates(scope, kind, modes, 0, 10_000);
  });

const roster = (tenantId: string, kind: Kind) =>
  Effect.gen(function* () {
    const reader = yield* RosterReader;
    return yield* reader.list(tenantId, kind, {}, { limit: 10_000, offset: 0 });
  });

const byExternalId = (candidates: ReadonlyArray<PlanCandidate>) => new Map(candidates.map((c) => [c.externalId, c]));

// ---------------------------------------------------------------------------------------------

const backends: ReadonlyArray<Backend> = ["memory", ...(await testBackends())];

for (const backend of backends) {
  const kit = kitFor(backend);
  const sqlBackend = backend !== "memory";

  layer(kit.layer as Layer.Layer<RosterStore | ProviderRepository | RunRepository | RosterReader | PgRunLeases | PgDatabase>, {
    excludeTestServices: true,
    timeout: "120 seconds",
  })(`PgRosterStore semantics: ${backend}`, (it) => {
    it.effect("seals duplicates: the first valid row wins, rejected rows neither win nor count", () =>
      Effect.gen(function* () {
        const store = yield* RosterStore;
        const scope = yield* newScope(newTenant());
        const a = F.user("a");
        yield* store.stage(scope, "user", [
          stagedRow(1, a),
          stagedRow(2, { ...F.user("a", { givenName: "Again" }), origin: { file: "users.csv", line: 9 } }),
          stagedRow(3, F.user("b"), "rejected"),
        ]);
        yield* store.stage(scope, "user", [stagedRow(4, F.user("b")), stagedRow(5, F.user("c")), stagedRow(6, F.user("c"), "rejected")]);
        const duplicates = yield* store.sealKind(scope, "user");
        assert.deepStrictEqual(duplicates, [{ externalId: "a", file: "users.csv", line: 9 }]);
        const counts = yield* store.countStaged(scope, "user");
        assert.deepStrictEqual(counts, { valid: 3, unchanged: 0 });
        const candidates = yield* allCandidates(scope, "user");
        assert.deepStrictEqual(candidates.map((c) => [c.seq, c.externalId]), [[1, "a"], [4, "b"], [5, "c"]]);
        assert.deepStrictEqual((candidates[0]!.data as { givenName: string }).givenName, "Givena");
      }));

    it.effect("staged data survives the round trip exactly, escapes included", () =>
      Effect.gen(function* () {
        const store = yield* RosterStore;
        const scope = yield* newScope(newTenant());
        const tricky = "tab\there, newline\nthere, back\\slash, quote \" and 'single', {braces}, comma, NULL, \\N, ünïcødé ✓";
        const klass = F.klass("c\t1", "s,1", {
          title: tricky,
          classCode: null,
          course: { externalId: "crs", title: tricky, code: null },
          terms: [{ externalId: "t1", title: "Fall", type: "semester", startDate: "2026-08-20", endDate: null, schoolYear: "2027" }],
          periods: ["1", tricky, ""],
          subjects: [],
          grades: ["09", "10"],
          location: "Room \\ 5",
        });
        yield* store.stage(scope, "class", [stagedRow(1, klass)]);
        yield* store.sealKind(scope, "class");
        const [candidate] = yield* allCandidates(scope, "class", { class: "bulk" });
        assert.strictEqual(candidate!.externalId, "c\t1");
        assert.deepStrictEqual(candidate!.data, klass.fields);
        assert.deepStrictEqual(candidate!.refEntityIds, [null]);
      }));

    it.effect("candidates: unchanged rows are skipped, changed and new ones come in seq chunks with their link state", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const first = yield* newScope(tenantId);
        yield* syncRecords(first, [F.user("u1"), F.user("u2"), F.user("u3")], { user: "bulk" });
        yield* finish(first);

        const store = yield* RosterStore;
        const scope = yield* newScope(tenantId);
        yield* store.stage(scope, "user", [
          stagedRow(1, F.user("u1")),
          stagedRow(2, F.user("u2", { familyName: "Changed" })),
          stagedRow(3, F.user("u4")),
        ]);
        yield* store.sealKind(scope, "user");
        assert.deepStrictEqual(yield* store.countStaged(scope, "user"), { valid: 3, unchanged: 1 });
        const firstChunk = yield* store.planCandidates(scope, "user", { user: "bulk" }, 0, 1);
        assert.deepStrictEqual(firstChunk.map((c) => c.externalId), ["u2"]);
        const u2 = firstChunk[0]!;
        assert.ok(u2.link !== null && u2.link.linkActive && u2.link.entityActive);
        assert.notStrictEqual(u2.link!.hash, u2.hash);
        const next = yield* store.planCandidates(scope, "user", { user: "bulk" }, u2.seq, 1);
        assert.deepStrictEqual(next.map((c) => [c.externalId, c.link]), [["u4", null]]);
        assert.deepStrictEqual(yield* store.planCandidates(scope, "user", { user: "bulk" }, next[0]!.seq, 1), []);
        const preview = yield* store.previewDeactivations(scope, "user", "bulk");
        assert.deepStrictEqual(preview, { links: 1, entities: 1, activeLinks: 3 });
      }));

    it.effect("match candidates: same email key or student number in the tenant, at most two, flagged when this provider already links them", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const a = yield* newScope(tenantId, "A");
        yield* syncRecords(a, [
          F.user("a1", { email: "Jo@X.org" }),
          F.user("a2", { email: "jo@x.org " }),
          F.user("a3", { email: "JO@x.org" }),
          F.user("a4", { email: "solo@x.org", studentNumber: " 77 " }),
          F.user("a5", { role: "teacher", studentNumber: "88" }),
        ], { user: "bulk" });
        yield* finish(a);

        const b = yield* newScope(tenantId, "B");
        const store = yield* RosterStore;
        yield* store.stage(b, "user", [
          stagedRow(1, F.user("b1", { email: "jo@x.org" })),
          stagedRow(2, F.user("b2", { email: "SOLO@x.org", studentNumber: "77" })),
          stagedRow(3, F.user("b3", { studentNumber: "88" })),
        ]);
        yield* store.sealKind(b, "user");
        const c = byExternalId(yield* allCandidates(b, "user", { user: "bulk" }));
        assert.strictEqual(c.get("b1")!.byEmail.length, 2, "three users share the email: two are enough to call it ambiguous");
        const solo = c.get("b2")!;
        assert.strictEqual(solo.byEmail.length, 1);
        assert.deepStrictEqual(solo.byEmail.map((m) => [m.active, m.linkedByThisProvider]), [[true, false]]);
        assert.strictEqual(solo.byStudentNumber.length, 1);
        assert.strictEqual(solo.byStudentNumber[0]!.entityId, solo.byEmail[0]!.entityId);
        assert.deepStrictEqual(c.get("b3")!.byStudentNumber, [], "a teacher's number is no student match key");

        // Provider A staging a second record with a4's email: a4 is already linked by A.
        const again = yield* newScope(tenantId, "A");
        yield* finish(again);
        const a2 = yield* newScope(tenantId, "A");
        yield* store.stage(a2, "user", [stagedRow(1, F.user("a4")), stagedRow(2, F.user("a9", { email: "solo@x.org" }))]);
        yield* store.sealKind(a2, "user");
        const fromA = byExternalId(yield* allCandidates(a2, "user", { user: "bulk" }));
        assert.deepStrictEqual(fromA.get("a9")!.byEmail.map((m) => m.linkedByThisProvider), [true]);
        assert.deepStrictEqual(fromA.get("a4")!.byEmail, [], "rows with a link get no match candidates");
      }));

    it.effect("references resolve through this run's decisions and links, else (outside bulk) through active links", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const first = yield* newScope(tenantId);
        yield* syncRecords(first, [F.school("s1"), F.school("s5"), F.school("s6")], { school: "bulk" });
        yield* finish(first);
        const schools = new Map((yield* roster(tenantId, "school")).map((s) => [s.links[0]!.externalId, s.id]));

        const store = yield* RosterStore;
        const scope = yield* newScope(tenantId);
        yield* store.stage(scope, "school", [
          stagedRow(1, F.school("s1")), // unchanged: resolves through its link
          stagedRow(2, F.school("s2")), // new: resolves to its decision's entity
          stagedRow(3, F.school("s3"), "rejected"), // rejected: never resolves
          stagedRow(4, F.tobedeleted(F.school("s6"))), // being deleted: never resolves
        ]);
        yield* store.stage(scope, "class", ["s1", "s2", "s3", "s5", "s6", "s9"].map((s, i) => stagedRow(i + 1, F.klass(`c-${s}`, s))));
        for (const kind of ["school", "class"] as const) yield* store.sealKind(scope, kind);
        const delta: Partial<Record<Kind, FeedMode>> = { school: "delta", class: "bulk" };
        yield* store.countStaged(scope, "school");
        const decisions = yield* planKind(scope, "school", delta);
        const s2 = decisions.find((d) => d.externalId === "s2")!;
        assert.strictEqual(s2.action, "create");
        assert.deepStrictEqual(decisions.find((d) => d.externalId === "s6")?.action, "delete");

        const refs = (modes: Partial<Record<Kind, FeedMode>>) =>
          Effect.map(allCandidates(scope, "class", modes), (cs) => Object.fromEntries(cs.map((c) => [c.externalId, c.refEntityIds[0]])));
        assert.deepStrictEqual(yield* refs(delta), {
          "c-s1": schools.get("s1"),
          "c-s2": s2.entityId,
          "c-s3": null,
          "c-s5": schools.get("s5"), // not in this (delta) feed: the provider's active link
          "c-s6": null,
          "c-s9": null,
        });
        const bulk = yield* refs({ school: "bulk", class: "bulk" });
        assert.strictEqual(bulk["c-s5"], null, "in a bulk feed, a school left out is gone");
        assert.strictEqual(bulk["c-s2"], s2.entityId);
      }));

    it.effect("the load creates, updates, reactivates and deactivates; rejected rows protect; unchanged rows are not written", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const first = yield* newScope(tenantId);
        const d = F.district({ prefix: "L", schools: 1, classesPerSchool: 2, students: 4, classesPerStudent: 1 });
        const initial = yield* syncRecords(first, d.all);
        assert.deepStrictEqual(initial.result?.deactivated, { school: 0, class: 0, user: 0, enrollment: 0 });
        yield* finish(first);
        const before = yield* roster(tenantId, "user");
        assert.strictEqual(before.length, 6);
        const stu0 = before.find((u) => u.links[0]!.externalId === "Lstu0")!;
        assert.strictEqual(stu0.fields["email"], "student0@L.example.org");
        const classes = yield* roster(tenantId, "class");
        assert.ok(classes.every((c) => typeof c.fields["schoolId"] === "string"));

        const watch = sqlBackend
          ? yield* Effect.gen(function* () {
            const { db } = yield* PgDatabase;
            return () =>
              Effect.promise(() =>
                sql<{ id: string; stamp: string }>`select id::text, xmin::text || updated_at::text as stamp from users where tenant_id = ${tenantId}
                  union all select entity_id::text, xmin::text || updated_at::text from sis_links where tenant_id = ${tenantId} and kind = 'user'`
                  .execute(db).then((r) => new Map(r.rows.map((x) => [`${x.id}`, x.stamp]))));
          })
          : null;
        const stamps = watch ? yield* watch() : null;

        // Second run: stu1 renamed, stu2 rejected (kept), stu3 gone, a new student; enrollments of stu3 gone.
        const store = yield* RosterStore;
        const scope = yield* newScope(tenantId);
        const users = d.users.filter((u) => u.externalId !== "Lstu3").map((u) =>
          u.externalId === "Lstu1" ? F.user("Lstu1", { ...u.fields, familyName: "Renamed" }) : u);
        yield* store.stage(scope, "user", [
          ...users.map((u, i) => stagedRow(i + 1, u, u.externalId === "Lstu2" ? "rejected" : "valid")),
          stagedRow(users.length + 1, F.user("Lnew")),
        ]);
        yield* store.stage(scope, "enrollment", d.enrollments.filter((e) => e.fields.userExternalId !== "Lstu3").map((e, i) => stagedRow(i + 1, e)));
        const modes: Partial<Record<Kind, FeedMode>> = { user: "bulk", enrollment: "bulk" };
        for (const kind of ["user", "enrollment"] as const) {
          yield* store.sealKind(scope, kind);
          yield* store.countStaged(scope, kind);
          yield* planKind(scope, kind, modes);
        }
        assert.deepStrictEqual(yield* store.previewDeactivations(scope, "user", "bulk"), { links: 1, entities: 1, activeLinks: 6 });
        const result = yield* store.apply(scope, [{ kind: "user", mode: "bulk" }, { kind: "enrollment", mode: "bulk" }]);
        assert.deepStrictEqual(result.deactivated, { school: 0, class: 0, user: 1, enrollment: 1 });
        yield* finish(scope);

        const after = new Map((yield* roster(tenantId, "user")).map((u) => [u.links[0]!.externalId, u]));
        assert.strictEqual(after.size, 7);
        assert.strictEqual(after.get("Lstu1")!.fields["familyName"], "Renamed");
        assert.ok(after.get("Lstu2")!.active, "a rejected row is still in the feed");
        assert.ok(!after.get("Lstu3")!.active && after.get("Lstu3")!.deactivatedAt instanceof Date);
        assert.ok(after.get("Lnew")!.active);
        if (watch && stamps) {
          const now = yield* watch();
          const unchangedIds = [...after.values()].filter((u) => ["Ltch0", "Ltch1", "Lstu0", "Lstu2"].includes(u.links[0]!.externalId)).map((u) => u.id);
          for (const id of unchangedIds) assert.strictEqual(now.get(id), stamps.get(id), "unchanged rows are never written");
          assert.notStrictEqual(now.get(after.get("Lstu1")!.id), stamps.get(after.get("Lstu1")!.id));
        }

        // Third run: stu3 is back, the same entity reactivated.
        const third = yield* newScope(tenantId);
        yield* store.stage(third, "user", d.users.map((u, i) => stagedRow(i + 1, u)));
        yield* store.sealKind(third, "user");
        yield* store.countStaged(third, "user");
        const decisions = yield* planKind(third, "user", { user: "bulk" });
        assert.deepStrictEqual(decisions.map((x) => [x.externalId, x.action]).sort(), [["Lstu1", "update"], ["Lstu3", "reactivate"]]);
        yield* store.apply(third, [{ kind: "user", mode: "bulk" }]);
        const back = (yield* roster(tenantId, "user")).find((u) => u.links.some((l) => l.externalId === "Lstu3"))!;
        assert.ok(back.active && back.deactivatedAt === null);
        assert.strictEqual(back.id, after.get("Lstu3")!.id);
      }));

    if (sqlBackend) {
      it.effect("a first sync's enrollments are planned by one rule row, which a store in another process loads", () =>
        Effect.gen(function* () {
          const store = yield* RosterStore;
          const handle = yield* PgDatabase;
          const tenantId = newTenant();
          const scope = yield* newScope(tenantId);
          const d = F.district({ prefix: "R", schools: 1, classesPerSchool: 2, students: 3, classesPerStudent: 2 });
          const modes: Partial<Record<Kind, FeedMode>> = { school: "bulk", class: "bulk", user: "bulk", enrollment: "delta" };
          const enrollments = [
            ...d.enrollments,
            F.enrollment("Rbad", "no-such-class", "Rstu0"),
            F.tobedeleted(F.enrollment("Rnever", "Rcls0", "Rstu0")),
          ];
          const planned: Record<string, unknown> = {};
          for (const [kind, records] of [["school", d.schools], ["class", d.classes], ["user", d.users], ["enrollment", enrollments]] as const) {
            yield* store.stage(scope, kind, records.map((r, i) => stagedRow(i + 1, r)));
            yield* store.sealKind(scope, kind);
            yield* store.countStaged(scope, kind);
            planned[kind] = yield* store.planInStore(scope, kind, modes, { createUsers: true });
          }
          assert.deepStrictEqual(planned["enrollment"], { created: d.enrollments.length, updated: 0, reactivated: 0, deleted: 0, rejected: 1 });
          const plan = yield* Effect.promise(() =>
            sql<{ seq: number; action: string }>`select seq, action from sis_sync_plan where run_id = ${scope.runId}::uuid and kind = 'enrollment'`
              .execute(handle.db));
          assert.deepStrictEqual(plan.rows, [{ seq: -1, action: "create" }]);
          assert.deepStrictEqual(yield* store.planCandidates(scope, "enrollment", modes, 0, 100), [], "the rule decided them all");
          const issues = yield* Effect.promise(() =>
            sql<{ external_id: string; code: string }>`select external_id, code from sis_row_issues where run_id = ${scope.runId}::uuid`
              .execute(handle.db));
          assert.deepStrictEqual(issues.rows, [{ external_id: "Rbad", code: "unknown_reference" }]);

          // A store that did not plan the run (another process) knows nothing of it but what the database holds.
          const other = PgRosterStore.makeWith(handle);
          yield* other.apply(scope, Object.entries(modes).map(([kind, mode]) => ({ kind: kind as Kind, mode: mode! })));
          const loaded = yield* roster(tenantId, "enrollment");
          assert.deepStrictEqual(loaded.map((e) => e.links[0]!.externalId).sort(), d.enrollments.map((e) => e.externalId).sort());
          assert.strictEqual(new Set(loaded.map((e) => e.id)).size, loaded.length);
          const classIds = new Map((yield* roster(tenantId, "class")).map((c) => [c.links[0]!.externalId, c.id]));
          const userIds = new Map((yield* roster(tenantId, "user")).map((u) => [u.links[0]!.externalId, u.id]));
          for (const e of d.enrollments) {
            const row = loaded.find((x) => x.links[0]!.externalId === e.externalId)!;
            assert.ok(row.active && row.links.length === 1 && row.links[0]!.active);
            assert.strictEqual(row.fields["classId"], classIds.get(e.fields.classExternalId));
            assert.strictEqual(row.fields["userId"], userIds.get(e.fields.userExternalId));
          }
        }));
    }

    it.effect("an entity fed by two providers stays active until neither feeds it", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const a = yield* newScope(tenantId, "A");
        yield* syncRecords(a, [F.user("a1", { email: "shared@x.org" }), F.user("a2")], { user: "bulk" });
        yield* finish(a);
        const b = yield* newScope(tenantId, "B");
        const matched = yield* syncRecords(b, [F.user("b1", { email: "SHARED@x.org" })], { user: "bulk" });
        assert.deepStrictEqual(matched.decided["user"]!.map((x) => [x.action, x.matchedBy]), [["match", "email"]]);
        yield* finish(b);
        const a2 = yield* newScope(tenantId, "A");
        const dropA = yield* syncRecords(a2, [F.user("a2")], { user: "bulk" });
        assert.strictEqual(dropA.result!.deactivated.user, 0);
        yield* finish(a2);
        const shared = (yield* roster(tenantId, "user")).find((u) => u.links.some((l) => l.externalId === "b1"))!;
        assert.ok(shared.active);
        assert.deepStrictEqual(shared.links.map((l) => [l.externalId, l.active]).sort(), [["a1", false], ["b1", true]]);
        const b2 = yield* newScope(tenantId, "B");
        const dropB = yield* syncRecords(b2, [], { user: "bulk" });
        assert.strictEqual(dropB.result!.deactivated.user, 1);
      }));

    if (sqlBackend) {
      /** A small district synced once, and its roster row of `kind` linked as `externalId`. */
      const syncedDistrict = (prefix: string, kind: "class" | "user", externalId: string) =>
        Effect.gen(function* () {
          const tenantId = newTenant();
          const d = F.district({ prefix, schools: 1, classesPerSchool: 2, students: 3, classesPerStudent: 1 });
          yield* syncOnce({ tenantId, records: d.all });
          const before = (yield* roster(tenantId, kind)).find((r) => r.links[0]!.externalId === externalId)!;
          const { db } = yield* PgDatabase;
          return { tenantId, d, before, db };
        });

      it.effect("an entity deleted outside the sync is recreated under its id when its row comes again", () =>
        Effect.gen(function* () {
          const { tenantId, d, before, db } = yield* syncedDistrict("V", "class", "Vcls0-0");
          yield* Effect.promise(() => sql`delete from classes where id = ${before.id}::uuid`.execute(db));
          const out = yield* syncOnce({ tenantId, records: d.all });
          const c = out.run.stats!.classes;
          assert.deepStrictEqual([c.created, c.reactivated, c.unchanged], [0, 1, 1]);
          const after = (yield* roster(tenantId, "class")).find((x) => x.links[0]!.externalId === "Vcls0-0")!;
          assert.strictEqual(after.id, before.id);
          assert.ok(after.active);
          assert.strictEqual(after.fields["title"], before.fields["title"]);
        }));

      it.effect("a roster table truncated outside the sync is refilled by an unchanged feed, under the same ids", () =>
        Effect.gen(function* () {
          const { tenantId, d, before, db } = yield* syncedDistrict("T", "class", "Tcls0-0");
          yield* Effect.promise(() => sql`truncate classes`.execute(db));
          const c = (yield* syncOnce({ tenantId, records: d.all })).run.stats!.classes;
          assert.deepStrictEqual([c.created, c.reactivated, c.unchanged], [0, d.classes.length, 0]);
          const after = (yield* roster(tenantId, "class")).find((x) => x.links[0]!.externalId === "Tcls0-0")!;
          assert.deepStrictEqual([after.id, after.active, after.fields["title"]], [before.id, true, before.fields["title"]]);
        }));

      it.effect("an entity deactivated outside the sync leaves the digest, and an unchanged feed reactivates it", () =>
        Effect.gen(function* () {
          const { tenantId, d, before, db } = yield* syncedDistrict("W", "user", "Wstu1");
          // Two statements: one that changes nothing the digest depends on, one that deactivates.
          yield* Effect.promise(() => sql`update users set given_name = given_name where id = ${before.id}::uuid`.execute(db));
          const store = yield* RosterStore;
          const scope = yield* newScope(tenantId);
          assert.strictEqual((yield* store.contentDigest(scope, "user")).size, d.users.length);
          yield* finish(scope);
          yield* Effect.promise(() => sql`update users set active = false where id = ${before.id}::uuid`.execute(db));
          const next = yield* newScope(tenantId);
          assert.strictEqual((yield* store.contentDigest(next, "user")).size, d.users.length - 1);
          yield* finish(next);
          const u = (yield* syncOnce({ tenantId, records: d.all })).run.stats!.users;
          assert.deepStrictEqual([u.created, u.reactivated, u.unchanged], [0, 1, d.users.length - 1]);
          const after = (yield* roster(tenantId, "user")).find((x) => x.id === before.id)!;
          assert.ok(after.active);
          const last = yield* newScope(tenantId);
          assert.strictEqual((yield* store.contentDigest(last, "user")).size, d.users.length);
          yield* finish(last);
        }));
    }

    it.effect("ids holding a tab or a newline re-sync unchanged, and update when their content changes", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const feed = [F.user("u\t1"), F.user("u\n2"), F.user("u3")];
        yield* syncOnce({ tenantId, records: feed });
        // The digest's line format cannot hold them: they are left out of it and take the planning path.
        const store = yield* RosterStore;
        const digestScope = yield* newScope(tenantId);
        assert.strictEqual((yield* store.contentDigest(digestScope, "user")).size, backend === "memory" ? 3 : 1);
        yield* finish(digestScope);
        const again = (yield* syncOnce({ tenantId, records: feed })).run.stats!.users;
        assert.deepStrictEqual([again.created, again.updated, again.unchanged, again.deactivated], [0, 0, 3, 0]);
        const changed = [F.user("u\t1", { familyName: "Changed" }), F.user("u\n2"), F.user("u3")];
        const third = (yield* syncOnce({ tenantId, records: changed })).run.stats!.users;
        assert.deepStrictEqual([third.created, third.updated, third.unchanged, third.deactivated], [0, 1, 2, 0]);
        const users = yield* roster(tenantId, "user");
        assert.deepStrictEqual(users.map((u) => u.links[0]!.externalId).sort(), ["u\t1", "u\n2", "u3"].sort());
        assert.strictEqual(users.find((u) => u.links[0]!.externalId === "u\t1")!.fields["familyName"], "Changed");
      }));

    it.effect("a link the digest cannot hold still drops when a bulk feed that sent every digest id leaves it out", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const others = Array.from({ length: 9 }, (_, i) => F.user(`v${i}`));
        yield* syncOnce({ tenantId, records: [F.user("v\t9"), ...others] });
        const store = yield* RosterStore;
        const scope = yield* newScope(tenantId);
        const digest = yield* store.contentDigest(scope, "user");
        yield* finish(scope);
        assert.strictEqual(digest.activeLinks, 10);
        const out = (yield* syncOnce({ tenantId, records: others })).run.stats!.users;
        assert.deepStrictEqual([out.unchanged, out.deactivated], [9, 1]);
        const dropped = (yield* roster(tenantId, "user")).find((u) => u.links[0]!.externalId === "v\t9")!;
        assert.deepStrictEqual([dropped.active, dropped.links[0]!.active], [false, false]);
        // Sent again, nothing drops: the digest saw every id it holds and holds every active link.
        const again = (yield* syncOnce({ tenantId, records: others })).run.stats!.users;
        assert.deepStrictEqual([again.unchanged, again.deactivated], [9, 0]);
      }));

    it.effect("a delta feed deactivates exactly its deletes", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const first = yield* newScope(tenantId);
        yield* syncRecords(first, [F.school("s1"), F.school("s2"), F.school("s3")], { school: "bulk" });
        yield* finish(first);
        const scope = yield* newScope(tenantId);
        const out = yield* syncRecords(scope, [F.tobedeleted(F.school("s1")), F.school("s4")], { school: "delta" }, { apply: false });
        assert.deepStrictEqual(out.decided["school"]!.map((x) => x.action).sort(), ["create", "delete"]);
        const store = yield* RosterStore;
        assert.deepStrictEqual(yield* store.previewDeactivations(scope, "school", "delta"), { links: 1, entities: 1, activeLinks: 3 });
        const result = yield* store.apply(scope, [{ kind: "school", mode: "delta" }]);
        assert.strictEqual(result.deactivated.school, 1);
        const active = (yield* roster(tenantId, "school")).filter((s) => s.active).map((s) => s.links[0]!.externalId).sort();
        assert.deepStrictEqual(active, ["s2", "s3", "s4"]);
      }));

    it.effect("fencing: a wrong or expired lease fails with LeaseLostError and writes nothing; a held one applies", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const store = yield* RosterStore;
        const scope = yield* newScope(tenantId);
        yield* syncRecords(scope, [F.school("s1"), F.school("s2")], { school: "bulk" }, { apply: false });
        const applyWith = (leaseToken: string) => store.apply({ ...scope, leaseToken }, [{ kind: "school", mode: "bulk" }]);

        yield* kit.grantLease(scope.runId, 60_000);
        const wrong = yield* Effect.flip(applyWith("not-the-token"));
        assert.ok(wrong instanceof LeaseLostError && wrong.runId === scope.runId);
        assert.strictEqual((yield* roster(tenantId, "school")).length, 0);

        const expired = yield* kit.grantLease(scope.runId, 1);
        yield* Effect.sleep("30 millis");
        assert.ok((yield* Effect.flip(applyWith(expired))) instanceof LeaseLostError);
        assert.strictEqual((yield* roster(tenantId, "school")).length, 0);

        const held = yield* kit.grantLease(scope.runId, 60_000);
        yield* applyWith(held);
        assert.strictEqual((yield* roster(tenantId, "school")).length, 2);
      }));

    it.effect("pruning keeps the newest runs' staging and drops the rest", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const store = yield* RosterStore;
        const scopes: Array<RunScope> = [];
        for (let i = 0; i < 3; i++) {
          const scope = yield* newScope(tenantId);
          yield* syncRecords(scope, [F.school(`s${i}`)], { school: "bulk" }, { apply: false });
          yield* finish(scope);
          scopes.push(scope);
          yield* Effect.sleep("5 millis"); // distinct creation times
        }
        assert.strictEqual(yield* store.pruneStaging(scopes[0]!.providerId, 1), 2);
        assert.strictEqual(yield* store.pruneStaging(scopes[0]!.providerId, 1), 0);
        if (sqlBackend) {
          const { db } = yield* PgDatabase;
          const tables = yield* Effect.promise(() =>
            sql<{ relname: string }>`select relname from pg_class where relkind = 'r' and relname like 'sis\\_%\\_r%'`.execute(db));
          const hex = (id: string) => id.replace(/-/g, "");
          const names = tables.rows.map((r) => r.relname);
          assert.ok(names.some((n) => n.endsWith(hex(scopes[2]!.runId))), "the newest run keeps its tables");
          for (const old of scopes.slice(0, 2)) assert.ok(!names.some((n) => n.endsWith(hex(old.runId))), "older runs' tables are gone");
        }
        // The kept run still answers.
        assert.deepStrictEqual(yield* store.countStaged(scopes[2]!, "school"), { valid: 1, unchanged: 0 });
      }));
  });
}
