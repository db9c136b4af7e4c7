/**
 * The cron scheduler: for every enabled provider with a `syncSchedule`, enqueues one run per due
 * slot in the provider's time zone, on database time. Replicas may run side by side: the slot's
 * unique index makes one slot one run, and a provider with a run already queued or running skips
 * the slot. It wakes at the next slot and re-reads providers at least every `refreshMs`.
 */
import { PgRunLeases } from "@sis-sync/storage-pg";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import type { SchedulerConfig } from "./BackgroundConfig";
import * as SyncSchedule from "./SyncSchedule";

export interface TickResult {
  /** Database time the tick computed with. */
  readonly now: Date;
  /** Runs this tick created, with their slots. */
  readonly enqueued: ReadonlyArray<{ readonly runId: string; readonly providerId: string; readonly slot: Date }>;
  /** Due slots not enqueued because the provider already had a run queued or running (or another replica won the slot). */
  readonly skipped: ReadonlyArray<{ readonly providerId: string; readonly slot: Date; readonly existingRunId: string }>;
  /** The earliest upcoming slot over all providers, if any. */
  readonly nextSlot: Date | null;
}

/** Remembers what was already logged, so a bad schedule or a busy provider is reported once, not every tick. */
export interface TickMemory {
  readonly reported: Set<string>;
}

export const newMemory = (): TickMemory => ({ reported: new Set() });

const once = (memory: TickMemory, key: string, effect: Effect.Effect<void>) =>
  Effect.suspend(() => {
    if (memory.reported.has(key)) return Effect.void;
    if (memory.reported.size > 10_000) memory.reported.clear();
    memory.reported.add(key);
    return effect;
  });

/** One pass over the schedules: enqueues each provider's due slot, if any. */
export const tick = Effect.fn("Scheduler.tick")(function* (memory: TickMemory = newMemory()) {
  const leases = yield* PgRunLeases.PgRunLeases;
  const { now, providers } = yield* leases.schedules();
  const enqueued: Array<TickResult["enqueued"][number]> = [];
  const skipped: Array<TickResult["skipped"][number]> = [];
  let nextSlot: Date | null = null;
  for (const p of providers) {
    const annotate = Effect.annotateLogs({ providerId: p.providerId, tenantId: p.tenantId });
    const schedule = SyncSchedule.parse(p.syncSchedule, p.timezone);
    if (!schedule.ok) {
      yield* once(memory, `invalid:${p.providerId}:${p.syncSchedule}:${p.timezone}`,
        Effect.logWarning(`provider not scheduled: ${schedule.message}`).pipe(annotate));
      continue;
    }
    const upcoming = SyncSchedule.nextSlot(schedule, now);
    if (upcoming !== null && (nextSlot === null || upcoming < nextSlot)) nextSlot = upcoming;
    const slot = SyncSchedule.dueSlot(schedule, now, SyncSchedule.newest(p.lastScheduledFor, p.lastSyncAt, p.updatedAt));
    if (slot === null) continue;
    const result = yield* leases.enqueueScheduled({ tenantId: p.tenantId, providerId: p.providerId, isManual: false }, slot).pipe(
      Effect.catch((e) => Effect.logWarning(`cannot enqueue the scheduled run: ${e.message}`).pipe(annotate, Effect.as(null))),
    );
    if (result === null) continue;
    if (result.created) {
      enqueued.push({ runId: result.run.id, providerId: p.providerId, slot });
      yield* Effect.logInfo("scheduled run enqueued").pipe(
        Effect.annotateLogs({ runId: result.run.id, slot: slot.toISOString(), schedule: schedule.schedule, timezone: schedule.timezone }),
        annotate,
      );
    } else {
      skipped.push({ providerId: p.providerId, slot, existingRunId: result.run.id });
      yield* once(memory, `skip:${p.providerId}:${slot.getTime()}`,
        Effect.logInfo(`slot skipped: run ${result.run.id} is already ${result.run.status}`).pipe(
          Effect.annotateLogs({ slot: slot.toISOString() }),
          annotate,
        ));
    }
  }
  return { now, enqueued, skipped, nextSlot } satisfies TickResult;
});

export interface Scheduler {
  /** Stops ticking (a tick in progress completes first). */
  readonly stop: Effect.Effect<void>;
}

/** How long to sleep after a tick: until just past the next slot, at most `refreshMs`. */
export const sleepAfter = (result: Pick<TickResult, "now" | "nextSlot">, refreshMs: number): number => {
  if (result.nextSlot === null) return refreshMs;
  // A little past the slot, so this replica's clock and the database's agree the slot is due.
  const untilSlot = result.nextSlot.getTime() - result.now.getTime() + 50;
  return Math.max(50, Math.min(refreshMs, untilSlot));
};

/** Starts ticking in the background: once now (catching up missed slots once), then at each slot. */
export const start = (config: SchedulerConfig) =>
  Effect.gen(function* () {
    const stop = yield* Deferred.make<void>();
    const memory = newMemory();
    let stopping = false;
    const loop = Effect.gen(function* () {
      let failures = 0;
      while (!stopping) {
        const wait = yield* tick(memory).pipe(
          Effect.map((result) => {
            failures = 0;
            return sleepAfter(result, config.refreshMs);
          }),
          Effect.catch((e) => {
            failures++;
            return Effect.logWarning(`scheduler tick failed, retrying: ${e.message}`).pipe(
              Effect.as(Math.min(config.refreshMs, 1_000 * 2 ** Math.min(failures, 6))),
            );
          }),
          Effect.uninterruptible,
        );
        if (stopping) break;
        yield* Effect.raceFirst(Effect.sleep(wait), Deferred.await(stop));
      }
    }).pipe(Effect.annotateLogs({ component: "scheduler" }));
    const fiber = yield* Effect.forkDetach(loop);
    yield* Effect.logInfo("scheduler started").pipe(Effect.annotateLogs({ refreshMs: config.refreshMs }));
    return {
      stop: Effect.suspend(() => {
        stopping = true;
        return Deferred.succeed(stop, undefined).pipe(Effect.andThen(Fiber.await(fiber)), Effect.asVoid);
      }),
    } satisfies Scheduler;
  });
