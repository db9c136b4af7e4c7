import { assert, describe, it } from "@effect/vitest";
import * as RateLimiter from "../../src/rest/RateLimiter";
import { RestFailure, parseStatusInfo, statusFailure } from "../../src/rest/RestFailure";
import * as RestHttp from "../../src/rest/RestHttp";

const policy: RestHttp.RetryPolicy = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000, timeoutMs: 1_000 };

/** A transport whose fetch answers from a script, one response per call. */
const scripted = (responses: ReadonlyArray<() => Response>) => {
  const calls: Array<number> = [];
  const transport: RestHttp.Transport = {
    fetch: async () => {
      calls.push(performance.now());
      const next = responses[Math.min(calls.length - 1, responses.length - 1)]!;
      return next();
    },
    policy,
    limiter: RateLimiter.unlimited,
    random: () => 0.5,
  };
  return { transport, calls };
};

const request = (): RestHttp.HttpRequest => ({ method: "GET", url: "http://x.invalid/users", headers: {} });

describe("RestHttp", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    assert.strictEqual(RestHttp.retryAfterMs("3"), 3000);
    assert.strictEqual(RestHttp.retryAfterMs(" 0.5 "), 500);
    assert.strictEqual(RestHttp.retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.strictEqual(RestHttp.retryAfterMs("soon"), null);
    assert.strictEqual(RestHttp.retryAfterMs(null), null);
  });

  it("backs off exponentially with jitter, capped", () => {
    const p = { ...policy, baseDelayMs: 100, maxDelayMs: 1_000 };
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((a) => RestHttp.backoffMs(p, a, () => 0)), [50, 100, 200, 400, 500, 500]);
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((a) => RestHttp.backoffMs(p, a, () => 0.999999)), [100, 200, 400, 800, 1000, 1000]);
  });

  it("waits as long as Retry-After asks before retrying a 429", async () => {
    const { transport, calls } = scripted([
      () => new Response("", { status: 429, headers: { "retry-after": "1" } }),
      () => new Response("{}", { status: 200 }),
    ]);
    const res = await RestHttp.send(transport, request, new AbortController().signal, "GET /users");
    assert.strictEqual(res.status, 200);
    assert.isAtLeast(calls[1]! - calls[0]!, 995);
  });

  it("retries 5xx with backoff, returns other 4xx at once, and names the status when retries run out", async () => {
    const flaky = scripted([() => new Response("", { status: 502 }), () => new Response("", { status: 504 }), () => new Response("[]", { status: 200 })]);
    assert.strictEqual((await RestHttp.send(flaky.transport, request, new AbortController().signal, "GET /users")).status, 200);
    assert.strictEqual(flaky.calls.length, 3);
    const notFound = scripted([() => new Response("", { status: 404 })]);
    assert.strictEqual((await RestHttp.send(notFound.transport, request, new AbortController().signal, "GET /users")).status, 404);
    assert.strictEqual(notFound.calls.length, 1);
    const down = scripted([() => new Response("", { status: 503 })]);
    const error = await RestHttp.send(down.transport, request, new AbortController().signal, "GET /users").catch((e: unknown) => e);
    assert.instanceOf(error, RestFailure);
    assert.strictEqual((error as RestFailure).message, "GET /users: provider kept answering 503 after 4 attempts");
    assert.strictEqual(down.calls.length, 4);
  });

  it("builds every attempt afresh (new signature per attempt) and lets the caller shrink the page on 502", async () => {
    const { transport } = scripted([() => new Response("", { status: 502 }), () => new Response("[]", { status: 200 })]);
    const built: Array<number> = [];
    let limit = 1000;
    await RestHttp.send(transport, (attempt) => {
      built.push(attempt);
      return { ...request(), url: `http://x.invalid/users?limit=${limit}` };
    }, new AbortController().signal, "GET /users", (status) => {
      if (status === 502) limit = limit / 2;
    });
    assert.deepStrictEqual([built, limit], [[0, 1], 500]);
  });

  it("an abort during a backoff wait rejects at once", async () => {
    const { transport } = scripted([() => new Response("", { status: 429, headers: { "retry-after": "4" } })]);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 20);
    const error = await RestHttp.send(transport, request, controller.signal, "GET /users").catch((e: unknown) => e);
    assert.strictEqual((error as Error).name, "AbortError");
    assert.isBelow(performance.now() - started, 1_000);
  });
});

describe("error bodies", () => {
  it("reads the three observed shapes and never lets free text through", () => {
    const nested = { imsx_codeMajor: "failure", imsx_severity: "error", imsx_description: "secret-ish text", imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: "x", imsx_codeMinorFieldValue: "unknownobject" }] } };
    assert.deepStrictEqual(parseStatusInfo(JSON.stringify({ statusInfoSet: [nested] })), { codeMajor: "failure", severity: "error", codeMinor: "unknownobject" });
    assert.deepStrictEqual(parseStatusInfo(JSON.stringify(nested)), { codeMajor: "failure", severity: "error", codeMinor: "unknownobject" });
    assert.deepStrictEqual(parseStatusInfo(JSON.stringify({ imsx_codeMajor: "failure", imsx_severity: "error", imsx_codeMinor: "invalid_filter_field" })), { codeMajor: "failure", severity: "error", codeMinor: "invalid_filter_field" });
    assert.deepStrictEqual(parseStatusInfo(JSON.stringify({ imsx_codeMajor: "failure", imsx_codeMinor: "<script>alert(1)</script>" })), { codeMajor: "failure", severity: null, codeMinor: null });
    assert.strictEqual(parseStatusInfo("<html>Bad Gateway</html>"), null);
    assert.strictEqual(parseStatusInfo(JSON.stringify({ users: [] })), null);
  });

  it("turns statuses into reasons and advice", () => {
    const hint = { unauthorized: "check client id and secret" };
    assert.deepStrictEqual([401, 403, 404, 429, 500, 418].map((s) => statusFailure(s, "GET /x", null, hint).reason), ["Unauthorized", "Forbidden", "NotFound", "RateLimited", "Transport", "BadResponse"]);
    assert.strictEqual(statusFailure(401, "GET /x", null, hint).message, "GET /x: 401 from provider: check client id and secret");
  });
});
