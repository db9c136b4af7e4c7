/**
 * The scheduler against real PostgreSQL: a missed slot is caught up once after a downtime, in the
 * provider's time zone; a provider with a run already open skips the slot; two replicas ticking
 * at once enqueue one run per slot; bad schedules and disabled providers are left alone; and
 * scheduler + worker together run the caught-up slot and set lastSyncAt.
 */
import { ProviderRepository, RunRepository, type Provider } from "@sis-sync/core";
import { Effect } from "effect";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import * as Background from "../src/Background";
import { workerConfig } from "../src/BackgroundConfig";
import * as Scheduler from "../src/Scheduler";
import * as SyncSchedule from "../src/SyncSchedule";
import { MAPLEWOOD, openDb, openReplica, skipReason, waitFor, type Db } from "./support/Harness";

const skip = await skipReason();

let db: Db;
beforeAll(async () => {
  if (!skip) db = await openDb();
});
afterAll(async () => {
  await db?.close();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const createProvider = (syncSchedule: string | null, extra: { timezone?: string; enabled?: boolean } = {}) =>
  db.run(Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    return yield* providers.create({
      tenantId: unique("t"), providerType: "ONEROSTER_CSV", name: unique("p"), config: { localPath: MAPLEWOOD }, syncSchedule, ...extra,
    });
  }));

/** Pretends the provider was set up, and last synced, `days` days ago (a long downtime since). */
const ageProvider = (provider: Provider, days: number) =>
  db.query(
    `update sis_providers set updated_at = now() - make_interval(days => $2), last_sync_at = now() - make_interval(days => $2) where id = $1`,
    [provider.id, days],
  );

const runsOf = (providerId: string) =>
  db.query<{ id: string; status: string; scheduled_for: Date | null; is_manual: boolean }>(
    "select id, status, scheduled_for, is_manual from sis_sync_runs where provider_id = $1 order by created_at", [providerId]);

const tick = (memory = Scheduler.newMemory()) => db.run(Scheduler.tick(memory));

/** Cancels every open run, so tests do not see each other's queued runs as "already running". */
const clearQueue = () => db.query("update sis_sync_runs set status = 'CANCELLED', completed_at = now() where status in ('PENDING', 'IN_PROGRESS')");

describe.skipIf(skip !== null)("Scheduler (PostgreSQL)", () => {
  it("after a downtime, enqueues only the latest missed slot, once, in the provider's time zone", async () => {
    await clearQueue();
    const hourly = await createProvider("hourly");
    const chicago = await createProvider("daily", { timezone: "America/Chicago" });
    await ageProvider(hourly, 3);
    await ageProvider(chicago, 3);
    const first = await tick();
    const slotOf = (p: Provider) => first.enqueued.find((e) => e.providerId === p.id)?.slot.toISOString();
    const hour = new Date(first.now);
    hour.setUTCMinutes(0, 0, 0);
    assert.strictEqual(slotOf(hourly), hour.toISOString());
    const expectedChicago = SyncSchedule.latestSlot(SyncSchedule.parse("daily", "America/Chicago") as SyncSchedule.ValidSchedule, first.now)!;
    assert.strictEqual(slotOf(chicago), expectedChicago.toISOString());
    assert.strictEqual(
      new Intl.DateTimeFormat("en-US", { timeZone: "America/Chicago", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(expectedChicago),
      "02:00",
    );
    for (const p of [hourly, chicago]) {
      const runs = await runsOf(p.id);
      assert.strictEqual(runs.length, 1, "one run for three days of missed slots");
      assert.strictEqual(runs[0]!.status, "PENDING");
      assert.isFalse(runs[0]!.is_manual);
    }
    // Ticking again (the same slot, or a restart) adds nothing.
    const second = await tick();
    assert.deepStrictEqual(second.enqueued.filter((e) => [hourly.id, chicago.id].includes(e.providerId)), []);
    assert.strictEqual((await runsOf(hourly.id)).length, 1);
    assert.isNotNull(second.nextSlot);
    assert.isTrue(second.nextSlot!.getTime() > second.now.getTime());
    assert.isAtMost(Scheduler.sleepAfter(second, 60_000), 60_000);
  });

  it("skips a slot while the provider already has a run queued or running, and a sync after the slot makes it moot", async () => {
    await clearQueue();
    const provider = await createProvider("hourly");
    await ageProvider(provider, 1);
    const manual = await db.run(Effect.gen(function* () {
      return yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
    }));
    const result = await tick();
    assert.deepStrictEqual(result.skipped.filter((s) => s.providerId === provider.id).map((s) => s.existingRunId), [manual.run.id]);
    assert.deepStrictEqual((await runsOf(provider.id)).map((r) => r.id), [manual.run.id], "not queued twice");
    // The manual run completes after the slot: the slot is not run afterwards.
    await db.query("update sis_sync_runs set status = 'SUCCESS', completed_at = now() where id = $1", [manual.run.id]);
    await db.query("update sis_providers set last_sync_at = now() where id = $1", [provider.id]);
    const after = await tick();
    assert.deepStrictEqual(after.enqueued.filter((e) => e.providerId === provider.id), []);
    assert.strictEqual((await runsOf(provider.id)).length, 1);
  });

  it("two replicas ticking at the same time enqueue one run per slot", async () => {
    await clearQueue();
    const providers = await Promise.all(Array.from({ length: 12 }, (_, i) => createProvider(i % 2 ? "hourly" : "every-6-hours", { timezone: i % 3 ? "UTC" : "Europe/Berlin" })));
    await Promise.all(providers.map((p) => ageProvider(p, 2)));
    const replica = await openReplica(db);
    try {
      const rounds = await Promise.all(
        Array.from({ length: 4 }, (_, i) => (i % 2 ? replica.run(Scheduler.tick()) : db.run(Scheduler.tick()))),
      );
      const created = rounds.flatMap((r) => r.enqueued).filter((e) => providers.some((p) => p.id === e.providerId));
      assert.strictEqual(created.length, providers.length, "each provider's slot enqueued by exactly one tick");
      for (const p of providers) {
        const runs = await runsOf(p.id);
        assert.strictEqual(runs.length, 1, p.id);
        assert.isNotNull(runs[0]!.scheduled_for);
      }
    } finally {
      await replica.close();
    }
  });

  it("leaves providers with an invalid schedule or disabled alone, and keeps scheduling the others", async () => {
    await clearQueue();
    const broken = await createProvider("every full moon");
    const disabled = await createProvider("hourly", { enabled: false });
    const fine = await createProvider("hourly");
    for (const p of [broken, disabled, fine]) await ageProvider(p, 1);
    const result = await tick();
    const ids = result.enqueued.map((e) => e.providerId);
    assert.include(ids, fine.id);
    assert.notInclude(ids, broken.id);
    assert.notInclude(ids, disabled.id);
  });

  it("scheduler and worker together: the caught-up slot runs once and lastSyncAt is updated", async () => {
    await clearQueue();
    const provider = await createProvider("daily");
    await ageProvider(provider, 2);
    const running = await db.run(Effect.scoped(Effect.gen(function* () {
      yield* Background.make({ worker: workerConfig({ pollIntervalMs: 50, leaseMs: 10_000 }), scheduler: { refreshMs: 200 } });
      const done = yield* Effect.promise(() =>
        waitFor("the scheduled run to succeed", async () => {
          const runs = await runsOf(provider.id);
          return runs.length > 0 && runs.every((r) => r.status === "SUCCESS") ? runs : undefined;
        }));
      // Several more scheduler ticks go by: nothing else is enqueued.
      yield* Effect.sleep(700);
      return done;
    })));
    assert.strictEqual(running.length, 1);
    const runs = await runsOf(provider.id);
    assert.strictEqual(runs.length, 1);
    const stored = await db.run(Effect.gen(function* () {
      return (yield* (yield* ProviderRepository).get(provider.id))!;
    }));
    assert.isNotNull(stored.lastSyncAt);
    assert.isTrue(stored.lastSyncAt!.getTime() > runs[0]!.scheduled_for!.getTime());
  });
});

describe("Scheduler.sleepAfter", () => {
  it("sleeps until just past the next slot, at most the refresh interval", () => {
    const now = new Date("2026-05-04T10:59:59.000Z");
    assert.strictEqual(Scheduler.sleepAfter({ now, nextSlot: new Date("2026-05-04T11:00:00.000Z") }, 60_000), 1_050);
    assert.strictEqual(Scheduler.sleepAfter({ now, nextSlot: new Date("2026-05-05T11:00:00.000Z") }, 60_000), 60_000);
    assert.strictEqual(Scheduler.sleepAfter({ now, nextSlot: null }, 30_000), 30_000);
  });
});
