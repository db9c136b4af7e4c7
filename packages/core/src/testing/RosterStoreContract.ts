/**
 * The behaviour every store adapter must show, driven through the real engine: run it once per
 * adapter (`rosterStoreContract("pglite", layer)`). Each test works in a tenant of its own, so a
 * suite can share one database.
 */
import { assert, describe, layer } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as References from "effect/References";
import type * as Layer from "effect/Layer";
import * as Plan from "../Plan";
import { ProviderRepository, RunRepository } from "../Providers";
import type { AnyRecord, Kind } from "../Roster";
import { RosterReader, type RosterEntity } from "../RosterReader";
import type { FeedMode, RosterSource } from "../RosterSource";
import type { RosterStore } from "../RosterStore";
import { rowIssue } from "../RowIssue";
import * as RunExecutor from "../RunExecutor";
import * as F from "./Fixtures";
import * as StaticRosterSource from "./StaticRosterSource";

export type StorePorts = RosterStore | ProviderRepository | RunRepository | RosterReader;

export interface SyncRequest {
  readonly tenantId: string;
  readonly provider?: string;
  readonly records: ReadonlyArray<AnyRecord>;
  readonly modes?: Partial<Record<Kind, FeedMode>>;
  readonly dryRun?: boolean;
  readonly overrideSafeguard?: boolean;
  readonly createUsers?: boolean;
  readonly chunkSize?: number;
  readonly failAfterBatches?: number;
  readonly cancelled?: boolean;
  /** A source of the test's own, instead of a static feed of `records` in batches of 7. */
  readonly source?: Layer.Layer<RosterSource>;
}

/** Creates the provider on first use, queues a run and executes it against a static feed. */
export const syncOnce = (req: SyncRequest) =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const name = req.provider ?? "sis";
    const provider = (yield* providers.findByName(req.tenantId, name)) ??
      (yield* providers.create({ tenantId: req.tenantId, providerType: "ONEROSTER_CSV", name, config: { localPath: "/fixtures" } }));
    const current = req.createUsers === undefined ? provider : (yield* providers.update(provider.id, { options: { createUsers: req.createUsers } }))!;
    const { run } = yield* runs.enqueue({
      tenantId: req.tenantId, providerId: provider.id, isManual: true,
      dryRun: req.dryRun ?? false, overrideSafeguard: req.overrideSafeguard ?? false,
    });
    const started = yield* runs.start(run.id);
    if (req.cancelled) yield* runs.requestCancel(run.id);
    const source = req.source ?? StaticRosterSource.layer({
      records: req.records,
      ...(req.modes ? { modes: req.modes } : {}),
      ...(req.failAfterBatches === undefined ? {} : { failAfterBatches: req.failAfterBatches }),
      batchSize: 7,
    });
    return yield* RunExecutor.execute(started, current, req.chunkSize === undefined ? {} : { chunkSize: req.chunkSize }).pipe(
      Effect.provide(source),
      Effect.provideService(References.MinimumLogLevel, "Warn"),
    );
  });

export const rosterOf = (tenantId: string, kind: Kind) =>
  Effect.gen(function* () {
    const reader = yield* RosterReader;
    return yield* reader.list(tenantId, kind, {}, { limit: 10_000, offset: 0 });
  });

const activeIds = (rows: ReadonlyArray<RosterEntity>) => rows.filter((r) => r.active).map((r) => r.id).sort();
const externalIdsOf = (rows: ReadonlyArray<RosterEntity>) => rows.filter((r) => r.active).flatMap((r) => r.links.filter((l) => l.active).map((l) => l.externalId)).sort();
let tenantCounter = 0;
const newTenant = () => `t${Date.now().toString(36)}${(tenantCounter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const KIND_FILE = { school: "orgs", class: "classes", user: "users", enrollment: "enrollments" } as const;

const small = () => F.district({ schools: 2, classesPerSchool: 3, students: 20, classesPerStudent: 2 });

export const rosterStoreContract = <E>(name: string, storeLayer: Layer.Layer<StorePorts, E>) =>
  layer(storeLayer, { excludeTestServices: true, timeout: "120 seconds" })(`RosterStore contract: ${name}`, (it) => {
    it.effect("a first sync creates everything and a second, unchanged, changes nothing", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        const first = yield* syncOnce({ tenantId, records: d.all });
        assert.strictEqual(first.run.status, "SUCCESS");
        assert.deepStrictEqual(first.run.stats!.schools, { created: 2, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 });
        assert.strictEqual(first.run.stats!.users.created, 26);
        assert.strictEqual(first.run.stats!.enrollments.created, 46);
        const second = yield* syncOnce({ tenantId, records: d.all });
        assert.strictEqual(second.run.status, "SUCCESS");
        for (const kind of ["schools", "classes", "users", "enrollments"] as const) {
          const s = second.run.stats![kind];
          assert.deepStrictEqual([s.created, s.updated, s.deactivated, s.reactivated], [0, 0, 0, 0], kind);
        }
        assert.strictEqual(second.run.stats!.users.unchanged, 26);
        assert.strictEqual(second.run.stats!.users.matchedBy.externalId, 26);
        const users = yield* rosterOf(tenantId, "user");
        assert.strictEqual(users.length, 26);
        const classes = yield* rosterOf(tenantId, "class");
        const schools = yield* rosterOf(tenantId, "school");
        assert.ok(classes.every((c) => schools.some((s) => s.id === c.fields["schoolId"])), "classes point at their school entity");
      }));

    it.effect("a changed feed yields exact counts, and a user removed then restored is reactivated, not duplicated", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const before = yield* rosterOf(tenantId, "user");
        const gone = d.users.find((u) => u.externalId === "stu3")!;
        const changed = d.all
          .filter((r) => r !== gone && !(r.kind === "enrollment" && r.fields.userExternalId === "stu3"))
          .map((r) => (r.externalId === "stu4" ? F.user("stu4", { ...(r as typeof gone).fields, familyName: "Renamed" }) : r));
        const added = F.user("stu-new", { email: "new@d.example.org" });
        const second = yield* syncOnce({ tenantId, records: [...changed, added] });
        assert.strictEqual(second.run.status, "SUCCESS");
        const u = second.run.stats!.users;
        assert.deepStrictEqual([u.created, u.updated, u.deactivated, u.reactivated, u.unchanged], [1, 1, 1, 0, 24]);
        assert.strictEqual(second.run.stats!.enrollments.deactivated, 2);
        const third = yield* syncOnce({ tenantId, records: [...d.all, added] });
        const u3 = third.run.stats!.users;
        assert.deepStrictEqual([u3.created, u3.updated, u3.deactivated, u3.reactivated], [0, 1, 0, 1]);
        assert.strictEqual(third.run.stats!.enrollments.reactivated, 2);
        const after = yield* rosterOf(tenantId, "user");
        assert.strictEqual(after.length, 27);
        const restored = after.find((x) => x.links.some((l) => l.externalId === "stu3"))!;
        assert.ok(restored.active);
        assert.strictEqual(restored.id, before.find((x) => x.links.some((l) => l.externalId === "stu3"))!.id);
      }));

    it.effect("two providers: users with the same email (case, spaces) or student number become one user with two links", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const a = [F.user("a1", { email: "Jo.Smith@School.org" }), F.user("a2", { studentNumber: "S-77" }), F.user("a3", { email: "x@s.org" })];
        const b = [F.user("b1", { email: "  jo.smith@school.org " }), F.user("b2", { studentNumber: "S-77" }), F.user("b3", { role: "teacher", studentNumber: "S-99" })];
        yield* syncOnce({ tenantId, provider: "A", records: a, modes: { user: "bulk" } });
        const second = yield* syncOnce({ tenantId, provider: "B", records: b, modes: { user: "bulk" } });
        assert.deepStrictEqual(second.run.stats!.users.matchedBy, { externalId: 0, email: 1, studentNumber: 1 });
        assert.strictEqual(second.run.stats!.users.created, 1);
        const users = yield* rosterOf(tenantId, "user");
        assert.strictEqual(users.length, 4);
        const jo = users.find((x) => x.links.some((l) => l.externalId === "a1"))!;
        assert.deepStrictEqual(jo.links.map((l) => l.externalId).sort(), ["a1", "b1"]);
        // Provider A drops Jo (and nothing else is lost beyond the threshold): Jo stays active, fed by B.
        // A dry run first: its preview must already count Jo as kept.
        const preview = yield* syncOnce({ tenantId, provider: "A", records: a.slice(1), modes: { user: "bulk" }, overrideSafeguard: true, dryRun: true });
        assert.strictEqual(preview.run.stats!.users.deactivated, 0);
        const third = yield* syncOnce({ tenantId, provider: "A", records: a.slice(1), modes: { user: "bulk" }, overrideSafeguard: true });
        assert.strictEqual(third.run.stats!.users.deactivated, 0);
        const jo2 = (yield* rosterOf(tenantId, "user")).find((x) => x.id === jo.id)!;
        assert.ok(jo2.active);
        assert.deepStrictEqual(jo2.links.filter((l) => l.active).map((l) => l.externalId), ["b1"]);
        // Then B drops Jo too: now Jo is deactivated (and a dry run says so first).
        const preview2 = yield* syncOnce({ tenantId, provider: "B", records: b.slice(1), modes: { user: "bulk" }, overrideSafeguard: true, dryRun: true });
        assert.strictEqual(preview2.run.stats!.users.deactivated, 1);
        const fourth = yield* syncOnce({ tenantId, provider: "B", records: b.slice(1), modes: { user: "bulk" }, overrideSafeguard: true });
        assert.strictEqual(fourth.run.stats!.users.deactivated, 1);
      }));

    it.effect("users the store decides and users the engine matches meet in one run, each decided once", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        yield* syncOnce({
          tenantId, provider: "A", modes: { user: "bulk" },
          records: [F.user("a1", { email: "jo@s.org" }), F.user("a2", { studentNumber: "77" }), F.user("a3", { email: "x@s.org" })],
        });
        const b = [
          F.user("b1", { email: "JO@s.org" }), F.user("b2", { email: "new@s.org" }), F.user("b3", { studentNumber: "77" }),
          F.user("b4", { email: "x@s.org" }), F.user("b5"),
        ];
        const first = yield* syncOnce({ tenantId, provider: "B", records: b, modes: { user: "bulk" }, chunkSize: 2 });
        const u = first.run.stats!.users;
        assert.deepStrictEqual([u.created, u.updated, u.errors], [2, 3, 0]);
        assert.deepStrictEqual(u.matchedBy, { externalId: 0, email: 2, studentNumber: 1 });
        assert.strictEqual((yield* rosterOf(tenantId, "user")).length, 5);

        const again = yield* syncOnce({
          tenantId, provider: "B", modes: { user: "bulk" }, chunkSize: 2,
          records: b.map((r) => (r.externalId === "b2" ? F.user("b2", { email: "new@s.org", familyName: "Renamed" }) : r)),
        });
        const u2 = again.run.stats!.users;
        assert.deepStrictEqual([u2.created, u2.updated, u2.unchanged, u2.errors], [0, 1, 4, 0]);
        assert.deepStrictEqual(u2.matchedBy, { externalId: 5, email: 0, studentNumber: 0 });

        const withoutCreation = yield* syncOnce({
          tenantId, provider: "C", modes: { user: "bulk" }, createUsers: false,
          records: [F.user("c1", { email: "x@s.org" }), F.user("c2", { email: "nobody@s.org" })],
        });
        const u3 = withoutCreation.run.stats!.users;
        assert.deepStrictEqual([u3.created, u3.updated, u3.errors], [0, 1, 1]);
        const runs = yield* RunRepository;
        const issues = yield* runs.issues(withoutCreation.run.id, { limit: 10, offset: 0 });
        assert.deepStrictEqual(issues.map((i) => [i.code, i.externalId]), [["no_match", "c2"]]);
        assert.strictEqual(withoutCreation.run.issueCount, 1);
      }));

    it.effect("an ambiguous match is flagged and never guessed", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        yield* syncOnce({ tenantId, provider: "A", records: [F.user("a1", { email: "same@s.org" }), F.user("a2", { email: "SAME@s.org" })], modes: { user: "bulk" } });
        const second = yield* syncOnce({ tenantId, provider: "B", records: [F.user("b1", { email: "same@s.org" })], modes: { user: "bulk" } });
        assert.strictEqual(second.run.status, "PARTIAL");
        assert.strictEqual(second.run.stats!.users.errors, 1);
        assert.strictEqual(second.run.stats!.users.created, 0);
        const runs = yield* RunRepository;
        const issues = yield* runs.issues(second.run.id, { limit: 10, offset: 0 });
        assert.strictEqual(issues[0]!.code, "ambiguous_match");
        assert.strictEqual(issues[0]!.externalId, "b1");
        assert.strictEqual((yield* rosterOf(tenantId, "user")).length, 2);
      }));

    it.effect("without user creation, an unmatched user is reported and not created", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const out = yield* syncOnce({ tenantId, records: [F.user("u1")], modes: { user: "bulk" }, createUsers: false });
        assert.strictEqual(out.run.status, "PARTIAL");
        assert.strictEqual((yield* rosterOf(tenantId, "user")).length, 0);
      }));

    it.effect("an empty or truncated feed trips the safeguard and applies nothing; the override applies it", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const before = activeIds(yield* rosterOf(tenantId, "user"));
        const empty = yield* syncOnce({ tenantId, records: [] });
        assert.strictEqual(empty.run.status, "FAILURE");
        assert.match(empty.run.errorMessage!, /safeguard/i);
        assert.deepStrictEqual(activeIds(yield* rosterOf(tenantId, "user")), before);
        const truncated = yield* syncOnce({ tenantId, records: d.all.filter((r) => r.kind !== "user" || r.externalId < "stu2") });
        assert.strictEqual(truncated.run.status, "FAILURE");
        assert.deepStrictEqual(activeIds(yield* rosterOf(tenantId, "user")), before);
        const forced = yield* syncOnce({ tenantId, records: [], overrideSafeguard: true });
        assert.strictEqual(forced.run.status, "SUCCESS");
        assert.strictEqual(forced.run.stats!.users.deactivated, 26);
        assert.deepStrictEqual(activeIds(yield* rosterOf(tenantId, "user")), []);
      }));

    it.effect("a read that breaks off ends FAILURE and deactivates nothing", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const out = yield* syncOnce({ tenantId, records: d.all, failAfterBatches: 3 });
        assert.strictEqual(out.run.status, "FAILURE");
        assert.match(out.run.errorMessage!, /connection reset/);
        assert.strictEqual(activeIds(yield* rosterOf(tenantId, "enrollment")).length, 46);
      }));

    it.effect("a dry run reports what would change and applies nothing", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        const dry = yield* syncOnce({ tenantId, records: d.all, dryRun: true });
        assert.strictEqual(dry.run.status, "SUCCESS");
        assert.strictEqual(dry.run.stats!.users.created, 26);
        assert.strictEqual((yield* rosterOf(tenantId, "user")).length, 0);
        yield* syncOnce({ tenantId, records: d.all });
        const drop = yield* syncOnce({ tenantId, records: d.all.filter((r) => r.externalId !== "stu0"), dryRun: true });
        assert.strictEqual(drop.run.stats!.users.deactivated, 1);
        assert.strictEqual(activeIds(yield* rosterOf(tenantId, "user")).length, 26);
      }));

    it.effect("duplicates, bad rows and unknown references are rejected precisely; a rejected row deactivates nothing", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const broken = d.all.map((r) =>
          r.externalId === "stu5" ? F.user("stu5", { ...(r as ReturnType<typeof F.user>).fields, role: "wizard" as never }) : r);
        const extra = [
          { ...F.user("stu6", { givenName: "Dup" }), origin: { file: "users.csv", line: 99 } },
          F.enrollment("enr-bad", "no-such-class", "stu1"),
        ];
        const out = yield* syncOnce({ tenantId, records: [...broken, ...extra] });
        assert.strictEqual(out.run.status, "PARTIAL");
        assert.strictEqual(out.run.stats!.users.errors, 2);
        assert.strictEqual(out.run.stats!.users.deactivated, 0);
        assert.strictEqual(out.run.stats!.enrollments.errors, 1);
        const runs = yield* RunRepository;
        const issues = yield* runs.issues(out.run.id, { limit: 100, offset: 0 });
        const byCode = new Map(issues.map((i) => [i.code, i]));
        assert.strictEqual(byCode.get("duplicate_id")!.line, 99);
        assert.strictEqual(byCode.get("unknown_reference")!.externalId, "enr-bad");
        assert.strictEqual(byCode.get("invalid_row")!.externalId, "stu5");
        const enrollmentIssues = yield* runs.issues(out.run.id, { limit: 100, offset: 0 }, { kind: "enrollment", severity: "error" });
        assert.deepStrictEqual(enrollmentIssues.map((i) => i.externalId), ["enr-bad"]);
        assert.strictEqual((yield* runs.issues(out.run.id, { limit: 100, offset: 0 }, { kind: "school" })).length, 0);
        const stu5 = (yield* rosterOf(tenantId, "user")).find((x) => x.links.some((l) => l.externalId === "stu5"))!;
        assert.ok(stu5.active, "a user whose row was rejected stays active");
        assert.strictEqual(stu5.fields["role"], "student");
      }));

    it.effect("a row rejected without an id holds back its kind's deactivations for the run, with a warning", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        // stu4 is left out, and a row whose id the source could not read came instead: it may be stu4.
        const withoutStu4 = d.all.filter((r) => r.externalId !== "stu4");
        const idless = rowIssue("user", "error", "missing_field", "sourcedId is empty; row skipped", { origin: { file: "users.csv", line: 7 } });
        const out = yield* syncOnce({ tenantId, records: withoutStu4, source: StaticRosterSource.layer({ records: withoutStu4, issues: [idless], batchSize: 7 }) });
        assert.strictEqual(out.run.status, "PARTIAL");
        assert.deepStrictEqual([out.run.stats!.users.deactivated, out.run.stats!.enrollments.deactivated, out.run.stats!.enrollments.errors], [0, 0, 0]);
        const issues = yield* (yield* RunRepository).issues(out.run.id, { limit: 100, offset: 0 }, { kind: "user", severity: "warning" });
        assert.deepStrictEqual(issues.map((i) => i.message), ["1 row of users had no id: no user is deactivated this run (any left out could be one of those rows)"]);
        const stu4 = (yield* rosterOf(tenantId, "user")).find((x) => x.links.some((l) => l.externalId === "stu4"))!;
        assert.ok(stu4.active, "the user the unreadable row may stand for stays active");
        // Without the unreadable row, the same feed deactivates stu4.
        const clean = yield* syncOnce({ tenantId, records: withoutStu4 });
        assert.strictEqual(clean.run.stats!.users.deactivated, 1);
      }));

    it.effect("a first sync finds ids sent twice: the first row wins, the second is an issue with its line", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        const again = (r: AnyRecord, line: number): AnyRecord => ({ ...r, origin: { file: `${KIND_FILE[r.kind]}.csv`, line } });
        const out = yield* syncOnce({
          tenantId,
          records: [...d.all, again(F.user("stu3", { givenName: "Twin" }), 90), again(d.enrollments[4]!, 91)],
        });
        assert.strictEqual(out.run.status, "PARTIAL");
        assert.deepStrictEqual([out.run.stats!.users.errors, out.run.stats!.enrollments.errors, out.run.stats!.classes.errors], [1, 1, 0]);
        const runs = yield* RunRepository;
        const issues = yield* runs.issues(out.run.id, { limit: 10, offset: 0 });
        assert.deepStrictEqual(
          issues.map((i) => [i.code, i.kind, i.file, i.line, i.externalId]).sort(),
          [["duplicate_id", "enrollment", "enrollments.csv", 91, d.enrollments[4]!.externalId], ["duplicate_id", "user", "users.csv", 90, "stu3"]],
        );
        const stu3 = (yield* rosterOf(tenantId, "user")).find((x) => x.links.some((l) => l.externalId === "stu3"))!;
        assert.notStrictEqual(stu3.fields["givenName"], "Twin");
        assert.strictEqual((yield* rosterOf(tenantId, "enrollment")).length, d.enrollments.length);
      }));

    it.effect("kinds decided by external id follow Plan.decide: reactivate, update, create, unknown references, delta deletes", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const withoutClass = d.all.filter((r) => r.externalId !== "cls0-0" && !(r.kind === "enrollment" && r.fields.classExternalId === "cls0-0"));
        const dropped = yield* syncOnce({ tenantId, records: withoutClass });
        assert.strictEqual(dropped.run.stats!.classes.deactivated, 1);

        const at = (line: number) => ({ origin: { file: "enrollments.csv", line } });
        const changed = d.all.map((r) => (r.externalId === "cls1-2" ? F.klass("cls1-2", "sch1", { title: "Renamed" }) : r));
        const out = yield* syncOnce({
          tenantId,
          records: [
            ...changed,
            F.klass("cls-new", "sch0"),
            { ...F.enrollment("enr-no-class", "no-such-class", "stu1"), ...at(7) },
            { ...F.enrollment("enr-no-user", "cls0-1", "no-such-user"), ...at(8) },
          ],
        });
        assert.strictEqual(out.run.status, "PARTIAL");
        const c = out.run.stats!.classes;
        assert.deepStrictEqual([c.created, c.updated, c.reactivated, c.deactivated, c.errors], [1, 1, 1, 0, 0]);
        const e = out.run.stats!.enrollments;
        assert.strictEqual(e.errors, 2);
        assert.strictEqual(e.reactivated, d.enrollments.filter((r) => r.fields.classExternalId === "cls0-0").length);
        const runs = yield* RunRepository;
        const issues = yield* runs.issues(out.run.id, { limit: 100, offset: 0 }, { kind: "enrollment" });
        assert.deepStrictEqual(
          issues.map((i) => [i.code, i.file, i.line, i.externalId, i.message]),
          [
            ["unknown_reference", "enrollments.csv", 7, "enr-no-class", Plan.unknownReferenceMessage("enrollment", "class")],
            ["unknown_reference", "enrollments.csv", 8, "enr-no-user", Plan.unknownReferenceMessage("enrollment", "user")],
          ],
        );
        const renamed = (yield* rosterOf(tenantId, "class")).find((x) => x.links.some((l) => l.externalId === "cls1-2"))!;
        assert.strictEqual(renamed.fields["title"], "Renamed");

        // Delta: a delete of an active link applies; one of an unknown id or of a link already gone is skipped.
        const enr = d.enrollments[0]!;
        const gone = yield* syncOnce({ tenantId, records: [F.tobedeleted(enr)], modes: { enrollment: "delta" } });
        assert.strictEqual(gone.run.stats!.enrollments.deactivated, 1);
        const again = yield* syncOnce({
          tenantId,
          records: [F.tobedeleted(enr), F.tobedeleted(F.enrollment("enr-never", "cls0-1", "stu1"))],
          modes: { enrollment: "delta" },
        });
        assert.strictEqual(again.run.status, "SUCCESS");
        const g = again.run.stats!.enrollments;
        assert.deepStrictEqual([g.created, g.updated, g.reactivated, g.deactivated, g.errors], [0, 0, 0, 0, 0]);
      }));

    it.effect("new entities get UUIDv7 ids that increase in feed order", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        for (const [kind, fed] of [["class", d.classes], ["user", d.users], ["enrollment", d.enrollments]] as const) {
          const idOf = new Map((yield* rosterOf(tenantId, kind)).map((e) => [e.links[0]!.externalId, e.id]));
          const ids = fed.map((r) => idOf.get(r.externalId)!);
          for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${kind} ids follow the feed: ${ids[i - 1]} < ${ids[i]}`);
        }
      }));

    it.effect("a delta feed deletes only what it marks tobedeleted", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        yield* syncOnce({ tenantId, records: d.all });
        const stu0 = d.users.find((u) => u.externalId === "stu0")!;
        const out = yield* syncOnce({ tenantId, records: [F.tobedeleted(stu0), F.user("stu-delta")], modes: { user: "delta" } });
        assert.strictEqual(out.run.status, "SUCCESS");
        const u = out.run.stats!.users;
        assert.deepStrictEqual([u.created, u.deactivated], [1, 1]);
        assert.strictEqual(activeIds(yield* rosterOf(tenantId, "user")).length, 26);
        assert.strictEqual(activeIds(yield* rosterOf(tenantId, "school")).length, 2, "absent kinds are untouched");
      }));

    it.effect("a cancelled run ends CANCELLED with nothing applied", () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const out = yield* syncOnce({ tenantId, records: small().all, cancelled: true });
        assert.strictEqual(out.run.status, "CANCELLED");
        assert.strictEqual((yield* rosterOf(tenantId, "user")).length, 0);
      }));

    it.effect("planning in small chunks gives the same roster as one chunk", () =>
      Effect.gen(function* () {
        const t1 = newTenant();
        const t2 = newTenant();
        const d = small();
        const a = yield* syncOnce({ tenantId: t1, records: d.all, chunkSize: 3 });
        const b = yield* syncOnce({ tenantId: t2, records: d.all });
        assert.deepStrictEqual(a.run.stats, b.run.stats);
        assert.deepStrictEqual(externalIdsOf(yield* rosterOf(t1, "enrollment")), externalIdsOf(yield* rosterOf(t2, "enrollment")));
      }));

    it.effect("tenants are isolated: the same external ids in two tenants never meet", () =>
      Effect.gen(function* () {
        const t1 = newTenant();
        const t2 = newTenant();
        yield* syncOnce({ tenantId: t1, records: [F.user("u1", { email: "a@b.org" })], modes: { user: "bulk" } });
        const other = yield* syncOnce({ tenantId: t2, records: [F.user("u9", { email: "a@b.org" })], modes: { user: "bulk" } });
        assert.strictEqual(other.run.stats!.users.created, 1);
        assert.strictEqual(other.run.stats!.users.matchedBy.email, 0);
        assert.strictEqual((yield* rosterOf(t1, "user")).length, 1);
      }));
  });

export { describe };
