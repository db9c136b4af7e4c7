/**
 * Exclusion with real processes: four scheduler + worker processes (the real `main.ts`) on one
 * database, sixteen providers reading OneRoster CSV exports, cron slots firing in quick
 * succession with manual triggers mixed in. From `sis_sync_runs`: no provider ever has two
 * overlapping IN_PROGRESS intervals, no process runs more than MAX_CONCURRENT_SYNCS at once, and
 * every trigger either created a run or was answered with the run already queued or running.
 */
import { ProviderRepository, RunRepository, type Provider, type SyncRun } from "@sis-sync/core";
import { PgRunLeases } from "@sis-sync/storage-pg";
import { Effect } from "effect";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import { MAPLEWOOD, isWorkerReady, openDb, skipReason, sleep, startProcess, waitFor, type Db, type Proc } from "./support/Harness";

const skip = await skipReason();

let db: Db;
const procs: Array<Proc> = [];
beforeAll(async () => {
  if (!skip) db = await openDb();
});
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await db?.close();
});

interface Trigger {
  readonly kind: "manual" | "slot";
  readonly providerId: string;
  readonly created: boolean;
  readonly run: SyncRun;
}

describe.skipIf(skip !== null)("exclusion across worker processes", () => {
  it("never runs one provider twice at once, and answers every trigger with a run", { timeout: 180_000 }, async () => {
    const providers: Array<Provider> = await db.run(Effect.gen(function* () {
      const repo = yield* ProviderRepository;
      const out: Array<Provider> = [];
      for (let i = 0; i < 16; i++) {
        out.push(yield* repo.create({
          tenantId: `excl-${i}`, providerType: "ONEROSTER_CSV", name: `district-${i}`, config: { localPath: MAPLEWOOD },
          // A few have a schedule whose missed slot every scheduler replica tries to catch up at start.
          syncSchedule: i < 4 ? "hourly" : null,
        }));
      }
      return out;
    }));
    await db.query("update sis_providers set updated_at = now() - interval '1 day'");

    const env = { MAX_CONCURRENT_SYNCS: "2", SYNC_POLL_INTERVAL: "50", SYNC_LOCK_TIMEOUT: "30000", SCHEDULE_REFRESH_INTERVAL: "500" };
    for (let i = 0; i < 4; i++) procs.push(startProcess(db, env));
    await Promise.all(procs.map((p) => p.waitForLog("worker started", isWorkerReady, 60_000)));

    // Cron slots firing quickly (a fresh slot every few milliseconds) and manual triggers, in parallel bursts.
    const triggers: Array<Trigger> = [];
    let slotClock = Date.UTC(2026, 0, 1);
    const fire = (provider: Provider, kind: Trigger["kind"]) =>
      db.run(Effect.gen(function* () {
        const request = { tenantId: provider.tenantId, providerId: provider.id, isManual: kind === "manual" };
        const result = kind === "manual"
          ? yield* (yield* RunRepository).enqueue(request)
          : yield* (yield* PgRunLeases.PgRunLeases).enqueueScheduled(request, new Date((slotClock += 60_000)));
        triggers.push({ kind, providerId: provider.id, created: result.created, run: result.run });
      }));
    const until = Date.now() + 6_000;
    let n = 0;
    while (Date.now() < until) {
      await Promise.all(Array.from({ length: 4 }, () => {
        const provider = providers[(n * 7 + Math.floor(Math.random() * 16)) % 16]!;
        return fire(provider, n++ % 3 === 0 ? "manual" : "slot");
      }));
      await sleep(15);
    }

    await waitFor("the queue to drain", async () =>
      (await db.query("select 1 from sis_sync_runs where status in ('PENDING', 'IN_PROGRESS')")).length === 0 || undefined, 60_000, 100);

    const runs = await db.query<{ id: string; provider_id: string; status: string; started_at: Date | null; completed_at: Date | null; lease_owner: string | null; error_message: string | null; scheduled_for: Date | null }>(
      "select id, provider_id, status, started_at, completed_at, lease_owner, error_message, scheduled_for from sis_sync_runs");
    const byId = new Map(runs.map((r) => [r.id, r]));

    console.info(`exclusion: ${triggers.length} triggers, ${triggers.filter((t) => t.created).length} runs created, ${runs.filter((r) => r.started_at).length} started, owners ${new Set(runs.map((r) => r.lease_owner)).size}, cancelled-or-skipped ${runs.filter((r) => !r.started_at).length}`);
    // Every trigger: a new run, or the provider's run that was queued or running at that moment.
    assert.isAbove(triggers.length, 50);
    const created = triggers.filter((t) => t.created);
    for (const id of new Set(triggers.map((t) => t.providerId))) {
      assert.isTrue(created.some((t) => t.providerId === id), "every triggered provider got a run");
    }
    assert.isAbove(triggers.length, created.length, "some triggers were answered with the queued run");
    assert.strictEqual(new Set(created.map((t) => t.run.id)).size, created.length, "a created run is created once");
    for (const t of triggers) {
      assert.strictEqual(t.run.providerId, t.providerId);
      assert.isTrue(byId.has(t.run.id), "the answer is a stored run");
      if (!t.created) assert.include(["PENDING", "IN_PROGRESS"], t.run.status, "answered with the queued or running run");
    }

    // Every run that started finished SUCCESS; none is left holding a lease.
    const started = runs.filter((r) => r.started_at !== null);
    assert.isAtLeast(started.length, created.length);
    for (const r of started) {
      assert.strictEqual(r.status, "SUCCESS", `${r.id}: ${r.error_message}`);
      assert.isNotNull(r.completed_at);
    }
    const leased = await db.query("select id from sis_sync_runs where lease_expires_at is not null");
    assert.deepStrictEqual(leased, []);

    // No provider has two overlapping IN_PROGRESS intervals.
    for (const provider of providers) {
      const spans = started.filter((r) => r.provider_id === provider.id)
        .map((r) => [r.started_at!.getTime(), r.completed_at!.getTime()] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) {
        assert.isAtLeast(spans[i]![0], spans[i - 1]![1], `provider ${provider.name}: run ${i} started before run ${i - 1} ended`);
      }
    }

    // No worker process ran more than MAX_CONCURRENT_SYNCS at once; the work was spread over several.
    const owners = new Set(started.map((r) => r.lease_owner));
    assert.isAtLeast(owners.size, 2, "several processes claimed runs");
    for (const owner of owners) {
      const spans = started.filter((r) => r.lease_owner === owner).map((r) => [r.started_at!.getTime(), r.completed_at!.getTime()] as const);
      for (const [start] of spans) {
        assert.isAtMost(spans.filter(([s, e]) => s <= start && start < e).length, 2, `owner ${owner}`);
      }
    }

    // The scheduled providers' catch-up slots were enqueued once, whichever replica got there first.
    const catchUps = runs.filter((r) => r.scheduled_for !== null && r.scheduled_for.getTime() > Date.UTC(2026, 6, 1));
    for (const provider of providers.slice(0, 4)) {
      assert.isAtMost(catchUps.filter((r) => r.provider_id === provider.id).length, 1, provider.name);
    }

    // Graceful stop: every process exits 0 and leaves nothing open.
    for (const p of procs) p.kill("SIGTERM");
    const exits = await Promise.all(procs.map((p) => p.exited));
    assert.deepStrictEqual(exits.map((e) => e.code), [0, 0, 0, 0]);
  });
});
