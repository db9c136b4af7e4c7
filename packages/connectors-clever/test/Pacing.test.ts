import { assert, describe, it } from "@effect/vitest";
import * as Pacing from "../src/internal/pacing";

const policy: Pacing.PacingPolicy = { reserve: null, marginMs: 100, jitterMs: 0, maxWaitMs: 65_000, requestsPerMinute: null };
const headers = (h: Record<string, string>) => new Headers(h);
const noJitter = () => 0;
const NOW = 1_790_000_000_000;

describe("Pacing", () => {
  it("reads Clever's headers: reset in epoch seconds, fractions and deltas too", () => {
    const state = Pacing.observe(Pacing.initialState, headers({
      "x-ratelimit-limit": "1200", "x-ratelimit-remaining": "1086", "x-ratelimit-reset": String(NOW / 1000 + 30),
    }), NOW);
    assert.deepStrictEqual([state.limit, state.remaining, state.resetAtMs], [1200, 1086, NOW + 30_000]);
    assert.strictEqual(Pacing.resetAt("1790000000.25", NOW), 1_790_000_000_250);
    assert.strictEqual(Pacing.resetAt("12", NOW), NOW + 12_000);
    assert.strictEqual(Pacing.resetAt("", NOW), null);
    // The OAuth host sends no rate headers: the state is kept.
    assert.strictEqual(Pacing.observe(state, headers({}), NOW), state);
  });

  it("does not wait while the budget is comfortable", () => {
    const state: Pacing.RateState = { limit: 1200, remaining: 900, resetAtMs: NOW + 40_000, lastRequestAtMs: NOW - 5 };
    assert.strictEqual(Pacing.delayBefore(state, NOW, policy, noJitter), 0);
  });

  it("waits for the reset before the budget is gone, keeping a reserve", () => {
    const state: Pacing.RateState = { limit: 1200, remaining: 12, resetAtMs: NOW + 20_000, lastRequestAtMs: NOW };
    assert.strictEqual(Pacing.delayBefore(state, NOW, policy, noJitter), 20_100, "1 % of 1200 kept in reserve");
    assert.strictEqual(Pacing.delayBefore({ ...state, limit: 5, remaining: 1 }, NOW, policy, noJitter), 20_100, "at least one request kept");
    assert.strictEqual(Pacing.delayBefore({ ...state, limit: 5, remaining: 2 }, NOW, policy, noJitter), 0);
    assert.strictEqual(Pacing.delayBefore({ ...state, remaining: 0, resetAtMs: NOW - 1 }, NOW, policy, noJitter), 0, "a past reset means a new window");
  });

  it("spreads the last tenth of the budget over the rest of the window", () => {
    const state: Pacing.RateState = { limit: 1200, remaining: 112, resetAtMs: NOW + 10_000, lastRequestAtMs: NOW };
    assert.strictEqual(Pacing.delayBefore(state, NOW, policy, noJitter), 100);
  });

  it("adds jitter, honours an own requests-per-minute ceiling and caps every wait", () => {
    const state: Pacing.RateState = { limit: 1200, remaining: 3, resetAtMs: NOW + 20_000, lastRequestAtMs: NOW - 10 };
    assert.strictEqual(Pacing.delayBefore(state, NOW, { ...policy, jitterMs: 400 }, () => 0.5), 20_300);
    assert.strictEqual(Pacing.delayBefore({ ...Pacing.initialState, lastRequestAtMs: NOW - 10 }, NOW, { ...policy, requestsPerMinute: 600 }, noJitter), 90);
    assert.strictEqual(Pacing.delayBefore({ ...state, resetAtMs: NOW + 3_600_000 }, NOW, policy, noJitter), 65_000);
  });

  it("after a 429 waits for Retry-After, else the reset, else a backoff step", () => {
    assert.strictEqual(Pacing.throttledDelay(headers({ "retry-after": "2", "x-ratelimit-reset": String(NOW / 1000 + 30) }), NOW, policy, noJitter, 999), 2_100);
    assert.strictEqual(Pacing.throttledDelay(headers({ "x-ratelimit-reset": String(NOW / 1000 + 30) }), NOW, policy, noJitter, 999), 30_100);
    assert.strictEqual(Pacing.throttledDelay(headers({}), NOW, policy, noJitter, 999), 1_099);
    const date = new Date(NOW + 5_000).toUTCString();
    assert.strictEqual(Pacing.retryAfter(date, NOW), 5_000);
  });

  it("backs off exponentially with equal jitter, up to a ceiling", () => {
    const b = { baseDelayMs: 500, maxDelayMs: 30_000 };
    assert.deepStrictEqual([1, 2, 3, 10].map((n) => Pacing.backoff(n, b, () => 0)), [250, 500, 1000, 15_000]);
    assert.deepStrictEqual([1, 2, 3, 10].map((n) => Pacing.backoff(n, b, () => 1)), [500, 1000, 2000, 30_000]);
  });
});
