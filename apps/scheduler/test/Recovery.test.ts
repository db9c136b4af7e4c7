/**
 * Crash and stall with real processes and short leases.
 * - Crash: a worker is SIGKILLed inside its load transaction (held there by a table lock this test
 *   takes, so the timing is exact); nothing of it lands, the lease expires, the next run completes,
 *   and the roster equals a clean run of the same export.
 * - Stall: a worker stops (SIGSTOP) right before its load, past its lease; another worker expires
 *   the run and syncs a newer export; on SIGCONT the stalled worker's load is refused by the
 *   database (fencing) and it writes nothing: not the roster, not the run, not lastSyncAt.
 */
import { ProviderRepository, RunRepository, type Provider, type SyncRun } from "@sis-sync/core";
import { Effect } from "effect";
import { join } from "node:path";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import {
  MAPLEWOOD, MAPLEWOOD_DAY2, TEST_WORKER, copyExport, isWorkerReady, openDb, rosterSnapshot, skipReason, sleep, startProcess, tempDir,
  waitFor, type Db, type Proc,
} from "./support/Harness";

const skip = await skipReason();

let db: Db;
let tmp: ReturnType<typeof tempDir>;
const procs: Array<Proc> = [];
beforeAll(async () => {
  if (skip) return;
  db = await openDb();
  tmp = tempDir("sis-recovery-");
});
afterAll(async () => {
  for (const p of procs) {
    p.kill("SIGCONT");
    p.kill("SIGKILL");
  }
  await Promise.all(procs.map((p) => p.exited));
  await db?.close();
  tmp?.remove();
});

const spawnWorker = (env: Record<string, string>, script?: string) => {
  const proc = startProcess(db, { SIS_SCHEDULER: "off", SYNC_POLL_INTERVAL: "50", ...env }, script);
  procs.push(proc);
  return proc;
};

const createProvider = (tenantId: string, localPath: string) =>
  db.run(Effect.gen(function* () {
    return yield* (yield* ProviderRepository).create({ tenantId, providerType: "ONEROSTER_CSV", name: "sis", config: { localPath } });
  }));

const enqueue = (provider: Provider) =>
  db.run(Effect.gen(function* () {
    const { run, created } = yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
    assert.isTrue(created);
    return run;
  }));

const getRun = (runId: string) => db.run(Effect.gen(function* () {
  return (yield* (yield* RunRepository).get(runId))!;
}));

const waitStatus = (runId: string, match: (run: SyncRun) => boolean, what: string, timeoutMs = 30_000) =>
  waitFor(what, async () => {
    const run = await getRun(runId);
    return match(run) ? run : undefined;
  }, timeoutMs);

const ended = (run: SyncRun) => !["PENDING", "IN_PROGRESS"].includes(run.status);

const countOf = async (sql: string, params: ReadonlyArray<unknown>) => Number((await db.query<{ n: string }>(sql, params))[0]!.n);

describe.skipIf(skip !== null)("crash and stall recovery", () => {
  it("a worker killed in the middle of a load leaves nothing half-applied; after the lease expires the next run completes like a clean one", { timeout: 120_000 }, async () => {
    const crashed = await createProvider("crash", copyExport(MAPLEWOOD, join(tmp.dir, "crash")));
    const clean = await createProvider("crash-clean", copyExport(MAPLEWOOD, join(tmp.dir, "crash-clean")));
    const first = spawnWorker({ SYNC_LOCK_TIMEOUT: "3000" });
    await first.waitForLog("worker started", isWorkerReady, 60_000);

    // Hold the load: links cannot be written while this transaction holds a SHARE lock on them.
    const blocker = await db.handle.pool!.connect();
    let blockerOpen = true;
    try {
      await blocker.query("begin");
      await blocker.query("lock table sis_links in share mode");
      const run = await enqueue(crashed);
      const waiting = await waitFor("the worker's load to wait on the lock", async () => {
        const rows = await db.query<{ pid: number; query: string }>(
          `select a.pid, a.query from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.relation = 'sis_links'::regclass and not l.granted`);
        return rows[0];
      }, 30_000);
      assert.match(waiting.query, /insert into sis_links/i);
      const during = await getRun(run.id);
      assert.strictEqual(during.status, "IN_PROGRESS");
      assert.strictEqual(during.phase, "load");

      first.kill("SIGKILL");
      const exit = await first.exited;
      assert.strictEqual(exit.signal, "SIGKILL");
      await blocker.query("rollback");
      blockerOpen = false;
      // The orphaned backend finishes its statement, finds its client gone and rolls back.
      await waitFor("the killed worker's session to end", async () =>
        (await db.query("select 1 from pg_stat_activity where pid = $1", [waiting.pid])).length === 0 || undefined);

      assert.strictEqual(await countOf("select count(*) as n from schools where tenant_id = $1", ["crash"]), 0, "no school of the killed load");
      assert.strictEqual(await countOf("select count(*) as n from users where tenant_id = $1", ["crash"]), 0);
      assert.strictEqual(await countOf("select count(*) as n from sis_links where provider_id = $1", [crashed.id]), 0);
      assert.strictEqual((await getRun(run.id)).status, "IN_PROGRESS", "the dead worker's lease still holds the run");

      // A second worker ends the run once its lease has expired, then syncs the same export.
      const second = spawnWorker({ SYNC_LOCK_TIMEOUT: "3000" });
      const timedOut = await waitStatus(run.id, ended, "the lease to expire", 30_000);
      assert.strictEqual(timedOut.status, "FAILURE");
      assert.match(timedOut.errorMessage!, /lock timed out/);
      await second.waitForLog("the expiry log line", (l) => l.annotations["runId"] === run.id && /lock timed out/.test(String(l.message)));

      const retry = await enqueue(crashed);
      const reference = await enqueue(clean);
      const retried = await waitStatus(retry.id, ended, "the retry to finish");
      const referenced = await waitStatus(reference.id, ended, "the clean run to finish");
      assert.strictEqual(retried.status, "SUCCESS", retried.errorMessage ?? "");
      assert.strictEqual(referenced.status, "SUCCESS");
      assert.deepStrictEqual(retried.stats, referenced.stats);
      const roster = await rosterSnapshot(db, "crash");
      assert.deepStrictEqual(roster, await rosterSnapshot(db, "crash-clean"));
      assert.lengthOf(roster["user"] as Array<unknown>, 40);
      second.kill("SIGTERM");
      assert.strictEqual((await second.exited).code, 0);
    } finally {
      if (blockerOpen) await blocker.query("rollback").catch(() => undefined);
      blocker.release();
    }
  });

  it("a worker stalled past its lease while another takes over applies nothing when it resumes", { timeout: 120_000 }, async () => {
    const folder = copyExport(MAPLEWOOD, join(tmp.dir, "stall"));
    const stalled = await createProvider("stall", folder);
    const clean = await createProvider("stall-clean", copyExport(MAPLEWOOD_DAY2, join(tmp.dir, "stall-clean")));

    const sleeper = spawnWorker({ SYNC_LOCK_TIMEOUT: "2000", TEST_STOP_BEFORE_APPLY: "1" }, TEST_WORKER);
    await sleeper.waitForLog("worker started", isWorkerReady, 60_000);
    const run = await enqueue(stalled);
    await sleeper.waitForStdout("the worker to reach its load", (line) => line === `HOOK before-apply ${run.id}`);
    await waitFor("the worker to be stopped", () => sleeper.state() === "T" || undefined, 10_000, 20);
    assert.strictEqual((await getRun(run.id)).phase, "load");

    // Another worker: the stalled run's lease expires, then a newer export is synced.
    const other = spawnWorker({ SYNC_LOCK_TIMEOUT: "2000" });
    const timedOut = await waitStatus(run.id, ended, "the stalled run's lease to expire", 30_000);
    assert.strictEqual(timedOut.status, "FAILURE");
    copyExport(MAPLEWOOD_DAY2, folder);
    const takeover = await enqueue(stalled);
    const reference = await enqueue(clean);
    assert.strictEqual((await waitStatus(takeover.id, ended, "the takeover run")).status, "SUCCESS");
    assert.strictEqual((await waitStatus(reference.id, ended, "the clean run")).status, "SUCCESS");
    const before = await rosterSnapshot(db, "stall");
    assert.deepStrictEqual(before, await rosterSnapshot(db, "stall-clean"));
    const runBefore = await getRun(run.id);
    const lastSyncBefore = (await db.query<{ last_sync_at: Date }>("select last_sync_at from sis_providers where id = $1", [stalled.id]))[0]!.last_sync_at;
    assert.isNotNull(lastSyncBefore);

    // Resume the stalled worker: it goes straight into its load, which the database refuses.
    sleeper.kill("SIGCONT");
    await sleeper.waitForLog("the stalled worker to give the run up", (l) => l.annotations["runId"] === run.id && l.message === "run abandoned: its lease was lost; nothing was written after that");
    const refused = sleeper.logs.find((l) => l.annotations["runId"] === run.id && l.message === "run finished");
    assert.match(String(refused?.annotations["error"]), /lease is no longer held, nothing was applied/, "the load was fenced by the database");
    await sleep(300);

    assert.deepStrictEqual(await rosterSnapshot(db, "stall"), before, "the roster is the takeover's");
    const runAfter = await getRun(run.id);
    assert.deepStrictEqual(
      [runAfter.status, runAfter.errorMessage, runAfter.phase, runAfter.completedAt?.getTime()],
      [runBefore.status, runBefore.errorMessage, runBefore.phase, runBefore.completedAt?.getTime()],
      "the stalled run's record is untouched",
    );
    const lastSyncAfter = (await db.query<{ last_sync_at: Date }>("select last_sync_at from sis_providers where id = $1", [stalled.id]))[0]!.last_sync_at;
    assert.strictEqual(lastSyncAfter.getTime(), lastSyncBefore.getTime(), "lastSyncAt untouched");

    for (const p of [sleeper, other]) p.kill("SIGTERM");
    assert.deepStrictEqual((await Promise.all([sleeper.exited, other.exited])).map((e) => e.code), [0, 0]);
  });
});
