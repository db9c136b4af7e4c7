/**
 * The worker in this process against real PostgreSQL, with slowed static feeds: a run end to end
 * with phase and progress visible while it runs, cancel of a queued and of a running run, the
 * concurrency cap, a lost lease, configuration problems, and graceful shutdown.
 */
import { ProviderRepository, RosterSource, RunRepository, type Provider, type SyncRun } from "@sis-sync/core";
import { Fixtures, StaticRosterSource } from "@sis-sync/core/testing";
import { PgRunLeases } from "@sis-sync/storage-pg";
import { Effect, Layer, Stream } from "effect";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import { workerConfig, type WorkerConfig } from "../src/BackgroundConfig";
import * as RunJob from "../src/RunJob";
import * as Worker from "../src/Worker";
import { MAPLEWOOD, openDb, rosterSnapshot, skipReason, sleep, waitFor, type Db } from "./support/Harness";

const skip = await skipReason();
if (skip) console.warn(skip);

let db: Db;
beforeAll(async () => {
  if (!skip) db = await openDb();
});
afterAll(async () => {
  await db?.close();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const district = (prefix: string) => Fixtures.district({ prefix, schools: 2, classesPerSchool: 3, students: 20, classesPerStudent: 2 });

/** A feed served in batches of `batchSize`, each `delayMs` late; `hang` never delivers its first batch. */
interface Feed {
  readonly records: ReadonlyArray<any>;
  readonly delayMs?: number;
  readonly batchSize?: number;
  readonly hang?: boolean;
}

const feeds = new Map<string, Feed>();
const sourceLayer = (provider: Provider) => {
  const feed = feeds.get(provider.id);
  if (!feed) return Layer.succeed(RosterSource, StaticRosterSource.make({ records: [] }));
  const base = StaticRosterSource.make({ records: feed.records, batchSize: feed.batchSize ?? 10 });
  const extract = feed.hang
    ? Stream.fromEffect(Effect.promise(() => new Promise<never>(() => undefined)))
    : base.extract.pipe(Stream.tap(() => Effect.sleep(feed.delayMs ?? 0)));
  return Layer.succeed(RosterSource, RosterSource.of({ ...base, extract }));
};

const createProvider = (tenantId: string, feed: Feed | null, config: unknown = { localPath: "/nonexistent" }) =>
  db.run(Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const provider = yield* providers.create({ tenantId, providerType: "ONEROSTER_CSV", name: unique("p"), config });
    if (feed) feeds.set(provider.id, feed);
    return provider;
  }));

const enqueue = (provider: Provider) =>
  db.run(Effect.gen(function* () {
    const runs = yield* RunRepository;
    return yield* runs.enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
  }));

const getRun = (runId: string) => db.run(Effect.gen(function* () {
  return (yield* (yield* RunRepository).get(runId))!;
}));

const cancel = (runId: string) => db.run(Effect.gen(function* () {
  return (yield* (yield* RunRepository).requestCancel(runId))!;
}));

const startWorker = (config: Partial<WorkerConfig> = {}, options: Worker.WorkerOptions = { sourceLayer }) =>
  db.run(Worker.start(workerConfig({ pollIntervalMs: 50, leaseMs: 5_000, ...config }), options));

const stopWorker = (worker: Worker.Worker) => db.run(worker.shutdown);

const finished = (run: SyncRun | null) => run !== null && !["PENDING", "IN_PROGRESS"].includes(run.status);
const waitDone = (runId: string, timeoutMs = 30_000) =>
  waitFor(`run ${runId} to end`, async () => {
    const run = await getRun(runId);
    return finished(run) ? run : undefined;
  }, timeoutMs);

const leaseRow = async (runId: string) =>
  (await db.query<{ lease_expires_at: Date | null; lease_owner: string | null; started_at: Date | null }>(
    "select lease_expires_at, lease_owner, started_at from sis_sync_runs where id = $1", [runId]))[0]!;

const userCount = async (tenantId: string) =>
  Number((await db.query<{ n: string }>("select count(*) as n from users where tenant_id = $1", [tenantId]))[0]!.n);

describe.skipIf(skip !== null)("Worker (in-process, PostgreSQL)", () => {
  it("runs a queued run to SUCCESS; phase and progress are visible while it runs; lastSyncAt is set and the lease released", async () => {
    const tenant = unique("t");
    const provider = await createProvider(tenant, { records: district("a").all, delayMs: 60, batchSize: 8 });
    const worker = await startWorker();
    try {
      const { run } = await enqueue(provider);
      const seen: Array<{ phase: string; staged: number; planned: number }> = [];
      const done = await waitFor("the run to end", async () => {
        const current = await getRun(run.id);
        if (current.status === "IN_PROGRESS") {
          const p = current.progress;
          const sum = (r: Readonly<Record<string, number>> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
          seen.push({ phase: current.phase, staged: sum(p?.staged), planned: sum(p?.planned) });
        }
        return finished(current) ? current : undefined;
      }, 30_000, 20);
      assert.strictEqual(done.status, "SUCCESS", done.errorMessage ?? "");
      assert.strictEqual(done.stats!.users.created, 26);
      assert.isTrue(seen.some((s) => s.phase === "extract" && s.staged > 0), `progress while extracting: ${JSON.stringify(seen.slice(0, 5))}`);
      assert.isTrue(seen.length >= 3, "the run was observed while running");
      const row = await leaseRow(run.id);
      assert.isNull(row.lease_expires_at, "lease released");
      assert.strictEqual(row.lease_owner, worker.owner);
      // The executor records the outcome, then the provider's lastSyncAt.
      const lastSyncAt = await waitFor("lastSyncAt", async () => {
        const stored = await db.run(Effect.gen(function* () {
          return (yield* (yield* ProviderRepository).get(provider.id))!;
        }));
        return stored.lastSyncAt ?? undefined;
      }, 5_000);
      assert.strictEqual(lastSyncAt.getTime(), done.completedAt!.getTime());
    } finally {
      await stopWorker(worker);
    }
  });

  it("a cancelled queued run ends CANCELLED before it starts, and frees the provider", async () => {
    const tenant = unique("t");
    const provider = await createProvider(tenant, { records: district("b").all });
    const { run } = await enqueue(provider);
    const cancelled = await cancel(run.id);
    assert.strictEqual(cancelled.status, "CANCELLED");
    assert.isNotNull(cancelled.completedAt);
    const again = await enqueue(provider);
    assert.isTrue(again.created, "the provider is free for a new run");
    const worker = await startWorker();
    try {
      const done = await waitDone(again.run.id);
      assert.strictEqual(done.status, "SUCCESS");
      const first = await getRun(run.id);
      assert.strictEqual(first.status, "CANCELLED");
      assert.isNull(first.startedAt, "the cancelled run never started");
      assert.isNull((await leaseRow(run.id)).lease_owner);
    } finally {
      await stopWorker(worker);
    }
  });

  it("a cancel request stops a running run at its next batch: CANCELLED, nothing applied", async () => {
    const tenant = unique("t");
    const day1 = district("c");
    const provider = await createProvider(tenant, { records: day1.all });
    const worker = await startWorker();
    try {
      const first = await waitDone((await enqueue(provider)).run.id);
      assert.strictEqual(first.status, "SUCCESS");
      const before = await rosterSnapshot(db, tenant);
      // Day 2 drops half the students and renames a teacher; it must not land.
      const changed = day1.all.filter((r) => !(r.kind === "user" && /stu1\d$/.test(r.externalId)))
        .map((r) => (r.externalId === "ctch0" ? { ...r, fields: { ...r.fields, familyName: "Renamed" } } : r));
      feeds.set(provider.id, { records: changed, delayMs: 150, batchSize: 4 });
      const { run } = await enqueue(provider);
      await waitFor("progress while extracting", async () => {
        const current = await getRun(run.id);
        return current.status === "IN_PROGRESS" && (current.progress?.staged["schools"] ?? 0) > 0 ? current : undefined;
      });
      const requestedAt = Date.now();
      const asked = await cancel(run.id);
      assert.strictEqual(asked.status, "IN_PROGRESS", "a running run is asked, not ended");
      assert.isNotNull(asked.cancelRequestedAt);
      const done = await waitDone(run.id, 10_000);
      const tookMs = Date.now() - requestedAt;
      assert.strictEqual(done.status, "CANCELLED");
      assert.isBelow(tookMs, 5_000, "stopped at one of the next batches (each takes 150 ms)");
      assert.deepStrictEqual(await rosterSnapshot(db, tenant), before, "nothing applied");
      assert.isNull((await leaseRow(run.id)).lease_expires_at);
    } finally {
      await stopWorker(worker);
    }
  });

  it("runs at most maxConcurrent runs at once", async () => {
    const providers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => createProvider(unique("t"), { records: district(`m${i}`).all, delayMs: 40, batchSize: 10 })),
    );
    const worker = await startWorker({ maxConcurrent: 2 });
    try {
      const runs = await Promise.all(providers.map(async (p) => (await enqueue(p)).run));
      let peak = 0;
      await waitFor("all runs to end", async () => {
        peak = Math.max(peak, worker.active().length);
        const rows = await db.query<{ status: string }>("select status from sis_sync_runs where id = any($1)", [runs.map((r) => r.id)]);
        const running = rows.filter((r) => r.status === "IN_PROGRESS").length;
        assert.isAtMost(running, 2);
        return rows.every((r) => r.status === "SUCCESS") || undefined;
      }, 60_000, 20);
      assert.strictEqual(peak, 2);
      // The same from the recorded intervals.
      const spans = (await Promise.all(runs.map((r) => getRun(r.id)))).map((r) => [r.startedAt!.getTime(), r.completedAt!.getTime()] as const);
      for (const [start] of spans) {
        const overlapping = spans.filter(([s, e]) => s <= start && start < e).length;
        assert.isAtMost(overlapping, 2);
      }
    } finally {
      await stopWorker(worker);
    }
  });

  it("configuration problems end the run FAILURE with a clear message; a CSV provider runs through the real connector", async () => {
    const worker = await startWorker({}, {}); // the real Connectors wiring
    try {
      // A stored config that no longer fits its type (edited outside the API, or from an older version).
      const stale = await createProvider(unique("t"), null, { folder: "/somewhere" });
      const bad = await waitDone((await enqueue(stale)).run.id);
      assert.strictEqual(bad.status, "FAILURE");
      assert.strictEqual(bad.errorMessage, "The stored ONEROSTER_CSV configuration is invalid; edit the provider and save it again.");
      const csv = await createProvider(unique("t"), null, { localPath: MAPLEWOOD });
      const good = await waitDone((await enqueue(csv)).run.id);
      assert.strictEqual(good.status, "SUCCESS", good.errorMessage ?? "");
      assert.strictEqual(good.stats!.users.created, 40);
      const disabled = await createProvider(unique("t"), null, { localPath: MAPLEWOOD });
      const queued = await enqueue(disabled);
      await db.run(Effect.gen(function* () {
        yield* (yield* ProviderRepository).update(disabled.id, { enabled: false });
      }));
      const skipped = await waitDone(queued.run.id);
      assert.strictEqual(skipped.status, "FAILURE");
      assert.strictEqual(skipped.errorMessage, "The provider is disabled.");
    } finally {
      await stopWorker(worker);
    }
  });

  it("a worker whose lease was expired stops without writing anything more, and the provider is free again", async () => {
    const tenant = unique("t");
    const provider = await createProvider(tenant, { records: district("l").all, delayMs: 100, batchSize: 4 });
    const worker = await startWorker({ leaseMs: 1_500 });
    try {
      const { run } = await enqueue(provider);
      await waitFor("the run to stage", async () => {
        const current = await getRun(run.id);
        return (current.progress?.staged["classes"] ?? 0) > 0 || undefined;
      });
      // Another party ends the run as if the lease had run out (what a stall past the lease looks like).
      await db.query("update sis_sync_runs set lease_expires_at = now() - interval '1 second' where id = $1", [run.id]);
      const expired = await db.run(Effect.gen(function* () {
        return yield* (yield* PgRunLeases.PgRunLeases).expire();
      }));
      assert.include(expired, run.id);
      const atExpiry = await getRun(run.id);
      await waitFor("the worker to drop the run", () => worker.active().length === 0 || undefined, 5_000);
      await sleep(300);
      const after = await getRun(run.id);
      assert.strictEqual(after.status, "FAILURE");
      assert.match(after.errorMessage!, /lock timed out/);
      assert.deepStrictEqual(after.progress, atExpiry.progress, "no progress written after the expiry");
      assert.strictEqual(await userCount(tenant), 0, "nothing applied");
      const stored = await db.run(Effect.gen(function* () {
        return (yield* (yield* ProviderRepository).get(provider.id))!;
      }));
      assert.isNull(stored.lastSyncAt, "lastSyncAt untouched");
      feeds.set(provider.id, { records: district("l").all });
      const next = await waitDone((await enqueue(provider)).run.id);
      assert.strictEqual(next.status, "SUCCESS");
    } finally {
      await stopWorker(worker);
    }
  });

  it("claimRun (the CLI's one-shot claim) takes only a run that is still queued", async () => {
    const provider = await createProvider(unique("t"), { records: district("k").all });
    const { run } = await enqueue(provider);
    const claim = (owner: string) => db.run(Effect.gen(function* () {
      return yield* (yield* PgRunLeases.PgRunLeases).claimRun(run.id, owner, 5_000);
    }));
    const [a, b] = await Promise.all([claim("first"), claim("second")]);
    assert.strictEqual([a, b].filter((x) => x !== null).length, 1, "exactly one claimant wins");
    const winner = (a ?? b)!;
    assert.strictEqual(winner.run.status, "IN_PROGRESS");
    assert.isNull(await claim("third"));
    await db.run(Effect.gen(function* () {
      yield* (yield* RunRepository).finish(run.id, { status: "CANCELLED", stats: null, errorMessage: "test" });
    }));
  });

  it("shutdown lets a run finish within the grace period", async () => {
    const provider = await createProvider(unique("t"), { records: district("g").all, delayMs: 30, batchSize: 10 });
    const worker = await startWorker({ shutdownGraceMs: 20_000 });
    const { run } = await enqueue(provider);
    await waitFor("the run to start", async () => (await getRun(run.id)).status === "IN_PROGRESS" || undefined);
    await stopWorker(worker);
    const done = await getRun(run.id);
    assert.strictEqual(done.status, "SUCCESS");
    assert.isNull((await leaseRow(run.id)).lease_expires_at);
  });

  it("shutdown cancels a run still going after the grace period, and releases one stuck outside any checkpoint", async () => {
    const slow = await createProvider(unique("t"), { records: district("s").all, delayMs: 200, batchSize: 2 });
    const stuck = await createProvider(unique("t"), { records: [], hang: true });
    const worker = await startWorker({ shutdownGraceMs: 300, cancelWindowMs: 1_500 });
    const a = (await enqueue(slow)).run;
    const b = (await enqueue(stuck)).run;
    await waitFor("both runs to start", async () => worker.active().length === 2 || undefined);
    const startedAt = Date.now();
    await stopWorker(worker);
    assert.isBelow(Date.now() - startedAt, 5_000);
    for (const id of [a.id, b.id]) {
      const run = await getRun(id);
      assert.strictEqual(run.status, "CANCELLED", id);
      assert.strictEqual(run.errorMessage, RunJob.SHUTDOWN_MESSAGE);
      assert.isNull((await leaseRow(id)).lease_expires_at, "no orphan lease");
    }
    const open = await db.query("select id from sis_sync_runs where status in ('PENDING', 'IN_PROGRESS')");
    assert.deepStrictEqual(open, []);
  });
});
