import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Result from "effect/Result";
import * as Stream from "effect/Stream";
import * as CleverClient from "../src/CleverClient";
import * as FakeCleverServer from "../src/testing/FakeCleverServer";
import { eventually, failureOf, fastOptions, quiet, sourceFor } from "./support";

const clientFor = (fake: FakeCleverServer.FakeCleverServer, extra: CleverClient.CleverClientOptions = {}, config: unknown = fake.config) =>
  CleverClient.make(Result.getOrThrow(CleverClient.resolveSettings(config, fastOptions(fake, extra))));

const listIds = (client: CleverClient.CleverClient, resource: string, params: Record<string, string> = {}) =>
  client.list(resource, params).pipe(
    Stream.runCollect,
    Effect.map((pages) => ({ pages: pages.length, ids: pages.flat().map((r) => (r as { id: string }).id) })),
  );

const apiRequests = (fake: FakeCleverServer.FakeCleverServer, prefix: string) => fake.log.filter((r) => r.path.startsWith(prefix));

describe("CleverClient", () => {
  it.live("follows next links page by page with a small limit", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ district: { studentsPerSchool: 12 } });
      const students = fake.district.idsWithRole("student");
      const { pages, ids } = yield* listIds(clientFor(fake, { pageSize: 5 }), "users", { role: "student" });
      assert.deepStrictEqual(ids, students);
      assert.strictEqual(pages, 5);
      const requests = apiRequests(fake, "/v3.0/users");
      assert.strictEqual(requests.length, 5, "the last page has no next link, so no extra request");
      assert.ok(requests.every((r) => r.path.includes("limit=5") && r.path.includes("role=student")));
      assert.deepStrictEqual(requests.slice(1).map((r) => new URLSearchParams(r.path.split("?")[1]).get("starting_after")), [4, 9, 14, 19].map((i) => students[i] ?? null));
    }).pipe(quiet));

  it.live("an empty last page behind a next link ends the list", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "emptyPageWithNext", path: "/v3.0/users" }] });
      const students = fake.district.idsWithRole("student");
      assert.strictEqual(students.length % 6, 0);
      const { pages, ids } = yield* listIds(clientFor(fake, { pageSize: 6 }), "users", { role: "student" });
      assert.deepStrictEqual(ids, students);
      assert.strictEqual(pages, students.length / 6);
      // Every full page pointed on, and the empty page did too: we stopped there all the same.
      assert.strictEqual(apiRequests(fake, "/v3.0/users").length, students.length / 6 + 1);
    }).pipe(quiet));

  it.live("a next link that points back at a page already read fails instead of looping", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "loopingNext", path: "/v3.0/schools" }] });
      const error = yield* failureOf(listIds(clientFor(fake, { pageSize: 1 }), "schools"));
      assert.strictEqual(error.reason, "BadResponse");
      assert.match(error.message, /points back to a page already read/);
      assert.strictEqual(apiRequests(fake, "/v3.0/schools").length, 1);
    }).pipe(quiet));

  it.live("an unexpected envelope is an error, never an empty list", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "badEnvelope", path: "/v3.0/sections" }] });
      const error = yield* failureOf(listIds(clientFor(fake), "sections"));
      assert.strictEqual(error.reason, "BadResponse");
      assert.match(error.message, /unexpected body: not the \{"data": \[\.\.\.\]\} list envelope/);
    }).pipe(quiet));

  it.live("an HTML 404 is reported as such, without retrying", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "html404", path: "/v3.0/schools" }] });
      const error = yield* failureOf(listIds(clientFor(fake), "schools"));
      assert.strictEqual(error.reason, "NotFound");
      assert.match(error.message, /HTTP 404 and an HTML page: the token is probably not a district-app token/);
      assert.strictEqual(apiRequests(fake, "/v3.0/schools").length, 1);
    }).pipe(quiet));

  it.live("the token is the district's entry of the app's token list, never another district's", () =>
    Effect.gen(function* () {
      // The fake returns every connected district's token here, as Clever does without `district=`.
      const fake = yield* FakeCleverServer.scoped({ ignoreDistrictFilter: true });
      const { ids } = yield* listIds(clientFor(fake), "schools");
      assert.strictEqual(ids.length, 2);
      const tokenCalls = apiRequests(fake, "/oauth/tokens");
      assert.strictEqual(tokenCalls.length, 1, "looked up once, then reused");
      assert.match(tokenCalls[0]!.path, new RegExp(`owner_type=district&district=${fake.district.id}`));
    }).pipe(quiet));

  it.live("a rotated token is looked up again once after a 401", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const client = clientFor(fake);
      yield* listIds(client, "schools");
      fake.rotateToken();
      const { ids } = yield* listIds(client, "schools");
      assert.strictEqual(ids.length, 2);
      assert.strictEqual(apiRequests(fake, "/oauth/tokens").length, 2);
      assert.deepStrictEqual(apiRequests(fake, "/v3.0/schools").map((r) => r.status), [200, 401, 200]);
    }).pipe(quiet));

  it.live("a rejected configured token fails Unauthorized at once, asking to re-authorize", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const error = yield* failureOf(listIds(clientFor(fake, {}, { ...fake.config, accessToken: "not-the-token" }), "schools"));
      assert.strictEqual(error.reason, "Unauthorized");
      assert.strictEqual(error.message, "Clever rejected the token: re-authorize the district");
      assert.strictEqual(apiRequests(fake, "/v3.0").length, 1, "a 401 is not retried");
      assert.strictEqual(apiRequests(fake, "/oauth").length, 0);
      assert.notInclude(error.message, "not-the-token");
    }).pipe(quiet));

  it.live("bad client credentials and a district without a token are clear errors", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({});
      const badSecret = yield* failureOf(listIds(clientFor(fake, {}, { ...fake.config, clientSecret: "wrong-secret" }), "schools"));
      assert.strictEqual(badSecret.reason, "Unauthorized");
      assert.match(badSecret.message, /client credentials/);
      assert.notInclude(badSecret.message, "wrong-secret");
      const otherDistrict = yield* failureOf(listIds(clientFor(fake, {}, { ...fake.config, districtId: "5f00000000000000000000ff" }), "schools"));
      assert.strictEqual(otherDistrict.reason, "Forbidden");
      assert.match(otherDistrict.message, /no token for district 5f00000000000000000000ff/);
    }).pipe(quiet));

  it.live("5xx answers are retried with backoff", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "serverError", path: "/v3.0/terms", times: 2, status: 502 }] });
      const { ids } = yield* listIds(clientFor(fake), "terms");
      assert.strictEqual(ids.length, 3);
      assert.deepStrictEqual(apiRequests(fake, "/v3.0/terms").map((r) => r.status), [502, 502, 200]);
    }).pipe(quiet));

  it.live("a slow answer times out per request and is aborted, then retried", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "slow", path: "/v3.0/terms", delayMs: 5_000 }] });
      const started = Date.now();
      const error = yield* failureOf(listIds(clientFor(fake, { requestTimeoutMs: 150, maxRetries: 1 }), "terms"));
      assert.strictEqual(error.reason, "Timeout");
      assert.match(error.message, /did not answer GET \/v3\.0\/terms\?limit=5 within 150 ms \(after 2 attempts\)/);
      assert.isBelow(Date.now() - started, 2_000);
      yield* eventually(() => fake.stats.aborted === 2);
    }).pipe(quiet));

  it.live("interrupting the extraction aborts the request in flight", () =>
    Effect.gen(function* () {
      const fake = yield* FakeCleverServer.scoped({ faults: [{ kind: "slow", path: "/v3.0/schools", delayMs: 10_000 }] });
      const fiber = yield* Effect.forkChild(Stream.runCollect(sourceFor(fake, { requestTimeoutMs: 30_000 }).extract));
      yield* eventually(() => fake.stats.received === 1);
      yield* Effect.sleep(50);
      assert.strictEqual(apiRequests(fake, "/v3.0/schools").length, 0, "still waiting for the answer");
      const started = Date.now();
      yield* Fiber.interrupt(fiber);
      assert.isBelow(Date.now() - started, 1_000);
      yield* eventually(() => fake.stats.aborted === 1);
    }).pipe(quiet));

  it("settings: defaults, environment, and limits", () => {
    const config = { clientId: "id", clientSecret: "secret", districtId: "d1" };
    const defaults = Result.getOrThrow(CleverClient.resolveSettings(config, { env: {} }));
    assert.deepStrictEqual([defaults.apiUrl, defaults.oauthUrl, defaults.apiVersion, defaults.pageSize], ["https://api.clever.com", "https://clever.com", "v3.0", 1000]);
    const fromEnv = Result.getOrThrow(CleverClient.resolveSettings(config, { env: { CLEVER_API_URL: "http://127.0.0.1:9/proxy/", CLEVER_OAUTH_URL: "http://127.0.0.1:8" } }));
    assert.deepStrictEqual([fromEnv.apiUrl, fromEnv.oauthUrl], ["http://127.0.0.1:9/proxy", "http://127.0.0.1:8"]);
    const tooBig = CleverClient.resolveSettings(config, { pageSize: 20_000 });
    assert.ok(Result.isFailure(tooBig) && tooBig.failure.reason === "Configuration" && /1 to 10000/.test(tooBig.failure.message));
    const missing = CleverClient.resolveSettings({ clientId: "id", clientSecret: "s3cr3t-value", districtId: "" });
    assert.ok(Result.isFailure(missing) && /districtId/.test(missing.failure.message) && !missing.failure.message.includes("s3cr3t"));
  });
});
