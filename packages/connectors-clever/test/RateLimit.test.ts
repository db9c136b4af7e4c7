import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as FakeCleverServer from "../src/testing/FakeCleverServer";
import { countByKind, extractAll, failureOf, quiet } from "./support";

const WINDOW_MS = 250;
const apiLog = (fake: FakeCleverServer.FakeCleverServer) => fake.log.filter((r) => r.path.startsWith("/v3.0"));

describe("rate limits", () => {
  it.live("a full sync that needs several windows is paced without a single 429", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ rateLimit: { limit: 5, windowMs: WINDOW_MS } });
      const batches = yield* extractAll(fake, { pageSize: 4 });
      assert.deepStrictEqual(countByKind(batches), fake.district.expected());
      const requests = apiLog(fake);
      assert.strictEqual(fake.stats.throttled, 0, "never over the limit");
      assert.ok(requests.every((r) => r.status === 200));
      const windows = new Set(requests.map((r) => Math.floor(r.at / WINDOW_MS)));
      assert.isAtLeast(requests.length, 15);
      assert.isAtLeast(windows.size, Math.ceil(requests.length / 5), "spread over as many windows as the budget requires");
    }).pipe(quiet));

  it.live("without pacing the same fake would have throttled: the limit is real", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ rateLimit: { limit: 5, windowMs: 60_000 } });
      // A one-minute window cannot be waited out in a test: the client gives up, and says why.
      const error = yield* failureOf(extractAll(fake, { pageSize: 4, maxThrottleRetries: 0, rateLimit: { maxWaitMs: 0, marginMs: 0, jitterMs: 0 } }));
      assert.strictEqual(error.reason, "RateLimited");
      assert.match(error.message, /kept answering GET .* with HTTP 429/);
      assert.strictEqual(fake.stats.throttled, 1);
    }).pipe(quiet));

  it.live("an injected 429 is waited out until its reset, and the run succeeds", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "throttle", path: "/v3.0/sections", times: 1, resetInMs: 400 }] });
      const batches = yield* extractAll(fake);
      assert.deepStrictEqual(countByKind(batches), fake.district.expected());
      const sections = apiLog(fake).filter((r) => r.path.startsWith("/v3.0/sections"));
      assert.deepStrictEqual(sections.slice(0, 2).map((r) => [r.status, r.path]), [[429, sections[0]!.path], [200, sections[0]!.path]]);
      assert.isAtLeast(sections[1]!.at - sections[0]!.at, 380);
    }).pipe(quiet));

  it.live("Retry-After wins over the reset when Clever sends it", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "throttle", path: "/v3.0/schools", times: 1, resetInMs: 30_000, retryAfterSeconds: 0.2 }] });
      const started = Date.now();
      const batches = yield* extractAll(fake);
      assert.strictEqual(countByKind(batches).schools, 2);
      assert.isBelow(Date.now() - started, 5_000);
      const schools = apiLog(fake).filter((r) => r.path.startsWith("/v3.0/schools"));
      assert.isAtLeast(schools[1]!.at - schools[0]!.at, 190);
    }).pipe(quiet));
});
