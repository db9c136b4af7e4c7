/**
 * The core engine (RunExecutor → SyncEngine) against the fake Clever with the in-memory store: what
 * a scheduled or CLI run does, minus the CLI.
 */
import { assert, layer } from "@effect/vitest";
import { KINDS, ProviderRepository, RunExecutor, RunRepository, type Kind, type SyncStats } from "@sis-sync/core";
import { MemoryRosterStore, rosterOf } from "@sis-sync/core/testing";
import * as Effect from "effect/Effect";
import * as FakeCleverServer from "../src/testing/FakeCleverServer";
import * as CleverRosterSource from "../src/CleverRosterSource";
import { fastOptions, quiet } from "./support";

let tenants = 0;
const newTenant = () => `clever-e2e-${Date.now().toString(36)}-${tenants++}`;

/** Queues and executes one run of the tenant's Clever provider, as the CLI and the worker do. */
const syncClever = (tenantId: string, fake: FakeCleverServer.FakeCleverServer, extra: CleverRosterSource.CleverSourceOptions = {}) =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const provider = (yield* providers.findByName(tenantId, "clever")) ??
      (yield* providers.create({ tenantId, providerType: "CLEVER", name: "clever", config: fake.config }));
    const { run } = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: true });
    const started = yield* runs.start(run.id);
    const { outcome, run: finished } = yield* RunExecutor.execute(started, provider).pipe(
      Effect.provide(CleverRosterSource.layer(provider.config, fastOptions(fake, { pageSize: 4, ...extra }))),
    );
    return { outcome, run: finished, stats: finished.stats! };
  }).pipe(quiet);

const counts = (stats: SyncStats, key: "created" | "updated" | "unchanged" | "deactivated" | "reactivated" | "errors") => ({
  schools: stats.schools[key], classes: stats.classes[key], users: stats.users[key], enrollments: stats.enrollments[key],
});

const activeByKind = (tenantId: string) =>
  Effect.gen(function* () {
    const out: Partial<Record<Kind, Array<string>>> = {};
    for (const kind of KINDS) {
      out[kind] = (yield* rosterOf(tenantId, kind)).filter((e) => e.active).map((e) => e.id).sort();
    }
    return out;
  });

const none = { schools: 0, classes: 0, users: 0, enrollments: 0 };

layer(MemoryRosterStore.layer(), { excludeTestServices: true, timeout: "60 seconds" })("Clever end to end (engine + memory store)", (it) => {
  it.effect("first run creates the district; an unchanged second run changes nothing", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const tenantId = newTenant();
      const expected = fake.district.expected();
      const first = yield* syncClever(tenantId, fake);
      assert.strictEqual(first.run.status, "SUCCESS", first.run.errorMessage ?? "");
      assert.deepStrictEqual(counts(first.stats, "created"), expected);
      assert.deepStrictEqual(counts(first.stats, "errors"), none);
      const second = yield* syncClever(tenantId, fake);
      assert.strictEqual(second.run.status, "SUCCESS");
      for (const key of ["created", "updated", "deactivated", "reactivated", "errors"] as const) assert.deepStrictEqual(counts(second.stats, key), none, key);
      assert.deepStrictEqual(counts(second.stats, "unchanged"), expected);
      assert.strictEqual(second.stats.users.matchedBy.externalId, expected.users);
    }));

  it.effect("a change on the fake between two runs yields the exact counts", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const tenantId = newTenant();
      yield* syncClever(tenantId, fake);
      const d = fake.district;
      const before = d.expected();
      // One student leaves (unshared), one joins a section, a teacher is renamed, a section retitled.
      const leaving = d.idsWithRole("student")[0]!;
      const leavingSections = [...d.sections.values()].filter((s) => s.students.includes(leaving)).length;
      assert.strictEqual(leavingSections, 2);
      d.removeUser(leaving);
      const [firstSection, secondSection] = d.sections.keys();
      d.addStudent({ sectionIds: [firstSection!], first: "Noor", last: "Newcomer" });
      d.updateUser(d.idsWithRole("teacher")[1]!, (u) => {
        u.name.last = "Renamed";
      });
      d.updateSection(secondSection!, (s) => {
        s.name = "Course 101 - Renamed - 2";
      });
      const after = yield* syncClever(tenantId, fake);
      assert.strictEqual(after.run.status, "SUCCESS", after.run.errorMessage ?? "");
      assert.deepStrictEqual(counts(after.stats, "created"), { schools: 0, classes: 0, users: 1, enrollments: 1 });
      assert.deepStrictEqual(counts(after.stats, "updated"), { schools: 0, classes: 1, users: 1, enrollments: 0 });
      assert.deepStrictEqual(counts(after.stats, "deactivated"), { schools: 0, classes: 0, users: 1, enrollments: leavingSections });
      assert.deepStrictEqual(counts(after.stats, "reactivated"), none);
      assert.deepStrictEqual(counts(after.stats, "unchanged"), {
        schools: before.schools, classes: before.classes - 1, users: before.users - 2, enrollments: before.enrollments - leavingSections,
      });
      const third = yield* syncClever(tenantId, fake);
      for (const key of ["created", "updated", "deactivated", "reactivated"] as const) assert.deepStrictEqual(counts(third.stats, key), none, key);
    }));

  it.effect("every fault ends FAILURE with a clear message and applies nothing, never deactivations", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const tenantId = newTenant();
      yield* syncClever(tenantId, fake);
      const before = yield* activeByKind(tenantId);
      // A real change is pending, so a faulty run that applied anything would show.
      fake.district.removeUser(fake.district.idsWithRole("student")[0]!);
      const faults: ReadonlyArray<readonly [FakeCleverServer.Fault, RegExp]> = [
        [{ kind: "html404", path: "/v3.0/users" }, /HTTP 404 and an HTML page/],
        [{ kind: "serverError", path: "/v3.0/sections" }, /failed with HTTP 503 on GET \/v3\.0\/sections.*after 3 attempts/],
        [{ kind: "truncated", path: "/v3.0/users" }, /connection to Clever failed during GET \/v3\.0\/users/],
        [{ kind: "slow", path: "/v3.0/courses", delayMs: 3_000 }, /did not answer GET \/v3\.0\/courses.* within 200 ms/],
        [{ kind: "badEnvelope", path: "/v3.0/schools" }, /unexpected body: not the \{"data": \[\.\.\.\]\} list envelope/],
        [{ kind: "loopingNext", path: "/v3.0/users" }, /points back to a page already read/],
        [{ kind: "unauthorized", path: "/v3.0/sections" }, /^Clever rejected the token: re-authorize the district$/],
        [{ kind: "throttle", path: "/v3.0/terms", resetInMs: 20 }, /kept answering GET \/v3\.0\/terms.* with HTTP 429/],
        // Late in the run: schools, classes and users are staged when the enrollment pass fails.
        [{ kind: "serverError", path: "/v3.0/sections", skip: 3, status: 500 }, /failed with HTTP 500/],
      ];
      for (const [fault, message] of faults) {
        fake.clearFaults();
        fake.inject(fault);
        const out = yield* syncClever(tenantId, fake, { requestTimeoutMs: 200 });
        assert.strictEqual(out.run.status, "FAILURE", fault.kind);
        assert.match(out.run.errorMessage ?? "", message, fault.kind);
        assert.strictEqual(out.outcome.applied, false, fault.kind);
        assert.deepStrictEqual(counts(out.stats, "deactivated"), none, fault.kind);
        assert.deepStrictEqual(yield* activeByKind(tenantId), before, `${fault.kind}: nothing applied`);
      }
      fake.clearFaults();
      const healed = yield* syncClever(tenantId, fake);
      assert.strictEqual(healed.run.status, "SUCCESS");
      assert.strictEqual(healed.stats.users.deactivated, 1, "the pending change lands once Clever answers properly");
    }));

  it.effect("a fault on the very first run creates nothing", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "truncated", path: "/v3.0/sections", skip: 3 }] });
      const tenantId = newTenant();
      const out = yield* syncClever(tenantId, fake);
      assert.strictEqual(out.run.status, "FAILURE");
      assert.deepStrictEqual(yield* activeByKind(tenantId), { school: [], class: [], user: [], enrollment: [] });
    }));

  it.effect("transient trouble (one 503, one 429, an empty page behind a next link) still ends SUCCESS", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({
        faults: [
          { kind: "serverError", path: "/v3.0/users", times: 1 },
          { kind: "throttle", path: "/v3.0/sections", times: 1, resetInMs: 50 },
          { kind: "emptyPageWithNext", path: "/v3.0/" },
        ],
      });
      const tenantId = newTenant();
      const out = yield* syncClever(tenantId, fake);
      assert.strictEqual(out.run.status, "SUCCESS", out.run.errorMessage ?? "");
      assert.deepStrictEqual(counts(out.stats, "created"), fake.district.expected());
      const again = yield* syncClever(tenantId, fake);
      assert.deepStrictEqual(counts(again.stats, "unchanged"), fake.district.expected());
    }));
});
