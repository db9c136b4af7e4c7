/**
 * Shared test wiring: a Clever source pointed at a fake server, with retry and pacing delays scaled
 * down so fault runs take milliseconds, not minutes.
 */
import * as Effect from "effect/Effect";
import * as References from "effect/References";
import * as Stream from "effect/Stream";
import type { SourceBatch } from "@sis-sync/core";
import * as CleverRosterSource from "../src/CleverRosterSource";
import type { FakeCleverServer } from "../src/testing/FakeCleverServer";

export const fastOptions = (fake: FakeCleverServer, extra: CleverRosterSource.CleverSourceOptions = {}): CleverRosterSource.CleverSourceOptions => ({
  apiUrl: fake.url,
  oauthUrl: fake.url,
  pageSize: 5,
  requestTimeoutMs: 2_000,
  maxRetries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  maxThrottleRetries: 3,
  rateLimit: { marginMs: 5, jitterMs: 5, maxWaitMs: 5_000 },
  ...extra,
});

export const sourceFor = (fake: FakeCleverServer, extra: CleverRosterSource.CleverSourceOptions = {}, config: unknown = fake.config) =>
  CleverRosterSource.make(config, fastOptions(fake, extra));

export const extractAll = (fake: FakeCleverServer, extra: CleverRosterSource.CleverSourceOptions = {}) =>
  Stream.runCollect(sourceFor(fake, extra).extract);

export const countByKind = (batches: ReadonlyArray<SourceBatch>) => {
  const counts = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  const plural = { school: "schools", class: "classes", user: "users", enrollment: "enrollments" } as const;
  for (const b of batches) counts[plural[b.kind]] += b.records.length;
  return counts;
};

/** The error an effect failed with, as a plain value (fails the test if it succeeded). */
export const failureOf = <A, E>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.flip, Effect.orDie);

/** Polls a condition the server side settles asynchronously (e.g. noticing an aborted request). */
export const eventually = (check: () => boolean, timeoutMs = 2_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not reached in time"));
      yield* Effect.sleep(10);
    }
  });

/** Retry and pacing warnings are expected in these tests; only errors are worth printing. */
export const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, References.MinimumLogLevel, "Error");
