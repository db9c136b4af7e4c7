import { assert, describe, it, layer } from "@effect/vitest";
import type { AnyRecord, OneRosterApiConfig, SyncRun } from "@sis-sync/core";
import { Fixtures, MemoryRosterStore } from "@sis-sync/core/testing";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Stream from "effect/Stream";
import * as OneRosterRestSource from "../../src/rest/OneRosterRestSource";
import { FakeDistrict, FakeOneRosterServer } from "../../src/testing/rest";
import { activeRoster, collect, FAST, newTenant, recordsOf, syncWith } from "./harness";

const small = () => FakeDistrict.generate({ schools: 2, classesPerSchool: 3, students: 30, classesPerStudent: 2 });

const configFor = (server: FakeOneRosterServer.FakeOneRosterServer, extra: Partial<OneRosterApiConfig> = {}): OneRosterApiConfig => ({
  baseUrl: server.baseUrl,
  clientId: server.clientId,
  clientSecret: server.clientSecret,
  ...extra,
});

const sourceFor = (server: FakeOneRosterServer.FakeOneRosterServer, extra: Partial<OneRosterApiConfig> = {}, options: OneRosterRestSource.OneRosterRestOptions = {}) =>
  OneRosterRestSource.make(configFor(server, extra), { ...FAST, pageSize: 10, ...options });

const counts = (run: SyncRun, kind: "schools" | "classes" | "users" | "enrollments") => {
  const s = run.stats![kind];
  return { created: s.created, updated: s.updated, unchanged: s.unchanged, deactivated: s.deactivated, reactivated: s.reactivated, errors: s.errors };
};

const ACTIVE = { schools: 2, classes: 6, users: 36, enrollments: 66 } as const;

const activeCounts = (tenantId: string) =>
  Effect.gen(function* () {
    return {
      schools: (yield* activeRoster(tenantId, "school")).length,
      classes: (yield* activeRoster(tenantId, "class")).length,
      users: (yield* activeRoster(tenantId, "user")).length,
      enrollments: (yield* activeRoster(tenantId, "enrollment")).length,
    };
  });

describe("OneRosterRestSource reads exactly what the server holds", () => {
  const cases: ReadonlyArray<[string, FakeOneRosterServer.FakeServerOptions, Partial<OneRosterApiConfig>, FakeDistrict.Style?]> = [
    ["OAuth 1.0a HMAC-SHA256 (default)", { auth: "oauth1" }, {}],
    ["OAuth 1.0a HMAC-SHA1", { auth: "oauth1", signatureMethods: ["HMAC-SHA1"] }, { signatureMethod: "HMAC-SHA1" }],
    ["OAuth 2.0 client credentials, default token URL", { auth: "oauth2" }, { authMethod: "oauth2" }],
    ["ClassLink value style, no X-Total-Count", { totalCount: false }, {}, FakeDistrict.CLASSLINK_STYLE],
    ["null for absent values, 'school' GUIDRef types", {}, {}, { ...FakeDistrict.SPEC_STYLE, absent: "null", orgRefType: "school" }],
    ["envelope variants: schools, terms, students", { envelopes: { orgs: "schools", academicSessions: "terms", users: "students" } }, {}],
    ["bare arrays without envelopes", { envelopes: { orgs: "bare", academicSessions: "bare", courses: "bare", classes: "bare", users: "bare", enrollments: "bare" } }, {}],
    ["a server that supports no sort", { sortable: false }, {}],
  ];
  for (const [name, serverOptions, config, style] of cases) {
    it.live(name, () =>
      Effect.gen(function* () {
        const d = FakeDistrict.generate({ schools: 2, classesPerSchool: 3, students: 30, classesPerStudent: 2 }, style);
        const server = yield* FakeOneRosterServer.scoped({ ...serverOptions, district: d.district });
        const batches = yield* collect(sourceFor(server, config));
        assert.deepStrictEqual(FakeDistrict.comparable(recordsOf(batches)), FakeDistrict.comparable(d.records));
        assert.deepStrictEqual(batches.flatMap((b) => b.issues), []);
        assert.deepStrictEqual([...new Set(batches.map((b) => b.kind))], ["school", "class", "user", "enrollment"]);
        assert.ok(batches.every((b) => b.mode === "bulk"));
      }));
  }

  it.live("signs every request afresh, pages with limit/offset and a stable sort, and sends nothing it did not sign", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth1", district: d.district });
      yield* collect(sourceFor(server));
      const users = server.requests.filter((r) => r.collection === "users");
      assert.deepStrictEqual(users.map((r) => r.offset), [0, 10, 20, 30]);
      assert.ok(users.every((r) => r.limit === 10 && r.query["sort"] === "sourcedId" && r.query["orderBy"] === "asc"));
      const nonces = server.requests.map((r) => r.nonce);
      assert.strictEqual(new Set(nonces).size, server.requests.length);
      assert.ok(server.requests.every((r) => r.status === 200 && r.signatureMethod === "HMAC-SHA256"));
    }));

  it.live("without X-Total-Count only a short page with no full page before it costs one confirming request", () =>
    Effect.gen(function* () {
      const d = small();
      const plain = yield* FakeOneRosterServer.scoped({ district: d.district, totalCount: false });
      yield* collect(sourceFor(plain));
      const offsets = (server: FakeOneRosterServer.FakeOneRosterServer, collection: string) =>
        server.requests.filter((r) => r.collection === collection).map((r) => r.offset);
      assert.deepStrictEqual(offsets(plain, "users"), [0, 10, 20, 30]);
      assert.deepStrictEqual(offsets(plain, "orgs"), [0, 3], "3 orgs on a first page of 10: confirmed empty after");
      const counted = yield* FakeOneRosterServer.scoped({ district: d.district });
      yield* collect(sourceFor(counted));
      assert.deepStrictEqual(offsets(counted, "orgs"), [0]);
      assert.deepStrictEqual(offsets(counted, "users"), [0, 10, 20, 30]);
    }));

  it.live("an empty collection still yields one (empty) batch of its kind", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeOneRosterServer.scoped({ district: { ...d.district, enrollments: [] } });
      const batches = yield* collect(sourceFor(server));
      const enrollments = batches.filter((b) => b.kind === "enrollment");
      assert.deepStrictEqual(enrollments.map((b) => b.records.length), [0]);
    }));

  it.live("requestsPerMinute spaces the requests evenly", () =>
    Effect.gen(function* () {
      const d = FakeDistrict.generate({ schools: 1, classesPerSchool: 1, students: 3, classesPerStudent: 1 });
      const server = yield* FakeOneRosterServer.scoped({ district: d.district });
      const sent: Array<number> = [];
      const fetch = (url: string, init: RequestInit) => {
        sent.push(performance.now());
        return globalThis.fetch(url, init);
      };
      yield* collect(sourceFor(server, {}, { requestsPerMinute: 1200, pageSize: 100, fetch }));
      assert.strictEqual(sent.length, 6);
      // Slots are 50 ms apart; a send may leave its slot a few ms late, never early.
      assert.isAtLeast(sent[5]! - sent[0]!, 5 * 50 - 10);
      for (let i = 1; i < sent.length; i++) assert.isAtLeast(sent[i]! - sent[i - 1]!, 30, `gap before request ${i}`);
    }));
});

layer(MemoryRosterStore.layer(), { excludeTestServices: true })("OneRosterRestSource through the sync engine", (it) => {
  it.effect("a first run creates the district, a second changes nothing, a change gives exact counts", () =>
    Effect.gen(function* () {
      const tenantId = newTenant();
      const d = small();
      const server = yield* FakeOneRosterServer.scoped({ district: d.district });
      const source = sourceFor(server);
      const first = yield* syncWith(tenantId, source);
      assert.strictEqual(first.status, "SUCCESS", first.errorMessage ?? "");
      assert.deepStrictEqual(
        [first.stats!.schools.created, first.stats!.classes.created, first.stats!.users.created, first.stats!.enrollments.created],
        [2, 6, 36, 66],
      );
      const second = yield* syncWith(tenantId, source);
      assert.strictEqual(second.status, "SUCCESS");
      for (const kind of ["schools", "classes", "users", "enrollments"] as const) {
        assert.deepStrictEqual(counts(second, kind), { created: 0, updated: 0, unchanged: ACTIVE[kind], deactivated: 0, reactivated: 0, errors: 0 }, kind);
      }
      const classes = yield* activeRoster(tenantId, "class");
      assert.ok(classes.every((c) => (c.fields["course"] as { title: string } | null)?.title), "courses are folded into classes");

      // Change the server between runs: one student leaves (with enrollments), one is renamed, one arrives.
      const changed: Array<AnyRecord> = d.records
        .filter((r) => r.externalId !== "stu3" && !(r.kind === "enrollment" && r.fields.userExternalId === "stu3"))
        .map((r) => (r.kind === "user" && r.externalId === "stu4" ? Fixtures.user("stu4", { ...r.fields, familyName: "Renamed" }) : r));
      changed.push(Fixtures.user("stu-new", { email: "new@d.example.org", schoolExternalIds: ["sch0"] }));
      server.district = FakeDistrict.fromRecords(changed);
      const third = yield* syncWith(tenantId, source);
      assert.strictEqual(third.status, "SUCCESS");
      assert.deepStrictEqual(counts(third, "users"), { created: 1, updated: 1, unchanged: 34, deactivated: 1, reactivated: 0, errors: 0 });
      assert.deepStrictEqual(counts(third, "enrollments"), { created: 0, updated: 0, unchanged: 64, deactivated: 2, reactivated: 0, errors: 0 });
      assert.deepStrictEqual(yield* activeCounts(tenantId), { ...ACTIVE, users: 36, enrollments: 64 });
    }));

  const recovers: ReadonlyArray<[string, FakeOneRosterServer.Fault, FakeOneRosterServer.FaultRule]> = [
    ["429 with Retry-After", { kind: "status", status: 429, retryAfter: "0" }, { collection: "users", offset: 10, times: 2 }],
    ["503 Service Unavailable", { kind: "status", status: 503, body: "none" }, { collection: "enrollments", times: 2 }],
    ["500 with an error body", { kind: "status", status: 500, body: "flat" }, { collection: "classes" }],
    ["a slow response past the timeout", { kind: "delay", ms: 1_000 }, { collection: "users", offset: 20 }],
    ["a dropped connection", { kind: "reset" }, { collection: "orgs" }],
  ];
  for (const [name, fault, rule] of recovers) {
    it.effect(`recovers from ${name} with the exact roster`, () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        const server = yield* FakeOneRosterServer.scoped({ district: d.district });
        const source = sourceFor(server, {}, { timeoutMs: 400 });
        assert.strictEqual((yield* syncWith(tenantId, source)).status, "SUCCESS");
        server.inject(fault, rule);
        const run = yield* syncWith(tenantId, source);
        assert.strictEqual(run.status, "SUCCESS", run.errorMessage ?? "");
        assert.ok(server.requests.some((r) => r.fault === fault.kind), "the fault was served");
        for (const kind of ["schools", "classes", "users", "enrollments"] as const) {
          assert.deepStrictEqual(counts(run, kind), { created: 0, updated: 0, unchanged: ACTIVE[kind], deactivated: 0, reactivated: 0, errors: 0 }, kind);
        }
      }));
  }

  const fails: ReadonlyArray<[string, FakeOneRosterServer.FakeServerOptions, FakeOneRosterServer.Fault, FakeOneRosterServer.FaultRule, RegExp]> = [
    ["truncated JSON", {}, { kind: "truncate" }, { collection: "users", offset: 10 }, /GET \/users.*not valid JSON.*truncated/],
    ["a silently capped limit (X-Total-Count present)", {}, { kind: "capLimit", max: 7 }, { collection: "users", times: Infinity }, /caps the page size silently.*page size of 7 or less/],
    ["a silently capped limit (no X-Total-Count)", { totalCount: false }, { kind: "capLimit", max: 7 }, { collection: "enrollments", times: Infinity }, /returned 7 records for limit=10.*caps the page size silently/],
    ["a repeated page (X-Total-Count present)", {}, { kind: "repeatPage" }, { collection: "users", offset: 20 }, /offset 20 repeats the page at offset 0.*page loop/],
    ["a page loop (no X-Total-Count, offset ignored)", { totalCount: false }, { kind: "repeatPage" }, { collection: "enrollments", times: Infinity }, /repeats the page at offset 0.*ignore offset/],
    ["a 200 without the envelope key", {}, { kind: "missingEnvelope" }, { collection: "enrollments", offset: 30 }, /HTTP 200 without the "enrollments" envelope \(it carries a status: failure \/ error \/ server_busy\); refusing/],
    ["an empty 200 body object", {}, { kind: "missingEnvelope", body: {} }, { collection: "orgs" }, /HTTP 200 without the "orgs" envelope; refusing/],
    ["429 that never ends", {}, { kind: "status", status: 429 }, { collection: "users", times: Infinity }, /still 429 Too Many Requests after 4 attempts; lower requestsPerMinute/],
    ["a Retry-After longer than the client waits", {}, { kind: "status", status: 503, retryAfter: "3600" }, { collection: "classes" }, /asked to retry after 3600 s/],
    ["a response that never comes", {}, { kind: "delay", ms: 1_000 }, { collection: "courses", times: Infinity }, /no complete response within 250 ms \(after 4 attempts\)/],
    ["403 (not retried)", {}, { kind: "status", status: 403, body: "imsx" }, { collection: "enrollments", times: Infinity }, /GET \/enrollments.*403 from provider: these credentials may not read.*codeMinor forbidden/],
  ];
  for (const [name, serverOptions, fault, rule, message] of fails) {
    it.effect(`fails on ${name}, naming the cause, and deactivates nothing`, () =>
      Effect.gen(function* () {
        const tenantId = newTenant();
        const d = small();
        const server = yield* FakeOneRosterServer.scoped({ ...serverOptions, district: d.district });
        const source = sourceFor(server, {}, { timeoutMs: 250 });
        assert.strictEqual((yield* syncWith(tenantId, source)).status, "SUCCESS");
        server.inject(fault, rule);
        const run = yield* syncWith(tenantId, source);
        assert.strictEqual(run.status, "FAILURE");
        assert.match(run.errorMessage ?? "", message);
        assert.match(run.errorMessage ?? "", /^OneRoster API /);
        assert.deepStrictEqual(yield* activeCounts(tenantId), ACTIVE);
      }));
  }

  it.effect("a 4xx other than 401/429 is not retried", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ district: small().district });
      server.inject({ kind: "status", status: 403 }, { collection: "users", times: Infinity });
      const run = yield* syncWith(newTenant(), sourceFor(server));
      assert.strictEqual(run.status, "FAILURE");
      assert.strictEqual(server.requests.filter((r) => r.collection === "users").length, 1);
    }));

  it.effect("an upstream error description never reaches the message; a wrong secret explains itself", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth1", district: small().district });
      const run = yield* syncWith(newTenant(), sourceFor(server, { clientSecret: "wrong-secret" }));
      assert.strictEqual(run.status, "FAILURE");
      assert.match(run.errorMessage!, /GET \/orgs\?limit=10&offset=0: 401 from provider: check client id and secret.*\(codeMinor unauthorisedrequest\)$/);
      assert.notInclude(run.errorMessage!, "signature mismatch");
      assert.notInclude(run.errorMessage!, "wrong-secret");
    }));
});

describe("provider quirks", () => {
  for (const shape of ["statusInfoSet", "imsx", "flat"] as const) {
    it.live(`reads the codeMinor of a ${shape} error body`, () =>
      Effect.gen(function* () {
        const server = yield* FakeOneRosterServer.scoped({ district: small().district });
        server.inject({ kind: "status", status: 401, body: shape }, { collection: "orgs" });
        const error = yield* Effect.flip(sourceFor(server).testConnection);
        assert.strictEqual(error.reason, "Unauthorized");
        assert.match(error.message, /401 from provider: check client id and secret.*\(codeMinor unauthorisedrequest\)$/);
      }));
  }

  it.live("a total announced but never delivered is an error, not a smaller roster", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ district: small().district });
      const fetch = async (url: string, init: RequestInit) => {
        const res = await globalThis.fetch(url, init);
        if (!url.includes("/users?")) return res;
        const headers = new Headers(res.headers);
        headers.set("x-total-count", "40");
        return new Response(await res.text(), { status: res.status, headers });
      };
      const error = yield* Effect.flip(collect(sourceFor(server, {}, { fetch })));
      assert.match((error as Error).message, /GET \/users: the provider announced 40 records \(X-Total-Count\) but its pages ended after 36/);
    }));

  for (const [label, count] of [
    ["the page's own count", (page: number) => page],
    ["a stale count one page behind", () => 10],
  ] as const) {
    it.live(`an X-Total-Count that is too low (${label}) does not end the read while pages come back full`, () =>
      Effect.gen(function* () {
        const d = small();
        const server = yield* FakeOneRosterServer.scoped({ district: d.district });
        const fetch = async (url: string, init: RequestInit) => {
          const res = await globalThis.fetch(url, init);
          const text = await res.text();
          const headers = new Headers(res.headers);
          if (url.includes("/users?") && res.status === 200) headers.set("x-total-count", String(count(JSON.parse(text).users.length)));
          return new Response(text, { status: res.status, headers });
        };
        const batches = yield* collect(sourceFor(server, {}, { fetch }));
        assert.deepStrictEqual(FakeDistrict.comparable(recordsOf(batches)), FakeDistrict.comparable(d.records));
        assert.deepStrictEqual(server.requests.filter((r) => r.collection === "users").map((r) => r.offset), [0, 10, 20, 30]);
      }));
  }

  for (const [label, past] of [
    ["answers 400", (_last: string) => new Response(JSON.stringify({ imsx_codeMajor: "failure" }), { status: 400 })],
    ["sends its last page again", (text: string) => new Response(text, { status: 200, headers: { "content-type": "application/json", "x-total-count": "36" } })],
  ] as const) {
    it.live(`a count that is a whole number of pages costs one request past it, and a server that ${label} there has ended`, () =>
      Effect.gen(function* () {
        const d = small();
        const server = yield* FakeOneRosterServer.scoped({ district: d.district });
        let last = "";
        const fetch = async (url: string, init: RequestInit) => {
          const res = await globalThis.fetch(url, init);
          if (!url.includes("/users?")) return res;
          const text = await res.text();
          if (new URL(url).searchParams.get("offset") === "36") return past(last);
          last = text;
          return new Response(text, { status: res.status, headers: res.headers });
        };
        const batches = yield* collect(sourceFor(server, {}, { fetch, pageSize: 12 }));
        assert.deepStrictEqual(FakeDistrict.comparable(recordsOf(batches)), FakeDistrict.comparable(d.records));
        assert.deepStrictEqual(server.requests.filter((r) => r.collection === "users").map((r) => r.offset), [0, 12, 24, 36]);
      }));
  }

  it.live("with shrinkOn502, a page that answers 502 is retried with half the limit and read to the end", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeOneRosterServer.scoped({ district: d.district, totalCount: false });
      server.inject({ kind: "status", status: 502, body: "none" }, { collection: "users", offset: 20 });
      const batches = yield* collect(sourceFor(server, {}, { pageSize: 20, shrinkOn502: true }));
      assert.deepStrictEqual(FakeDistrict.comparable(recordsOf(batches)), FakeDistrict.comparable(d.records));
      assert.deepStrictEqual(server.requests.filter((r) => r.collection === "users").map((r) => [r.offset, r.limit, r.status]), [
        [0, 20, 200], [20, 20, 502], [20, 10, 200], [30, 10, 200],
      ]);
    }));
});

describe("OAuth 2.0 client credentials", () => {
  it.live("fetches one token per connection and reuses it for every page", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth2", district: small().district });
      const source = sourceFor(server, { authMethod: "oauth2" });
      yield* collect(source);
      yield* collect(source);
      assert.strictEqual(server.tokensIssued(), 1);
      assert.strictEqual(server.requests.filter((r) => r.collection === "token").length, 1);
      assert.ok(server.requests.filter((r) => r.collection !== "token").every((r) => r.auth === "oauth2" && r.status === 200));
    }));

  it.live("reuses a short-lived token (expires_in 20 s, under the 30 s refresh margin) instead of fetching one per request", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth2", district: small().district, tokenTtlSeconds: 20 });
      yield* collect(sourceFor(server, { authMethod: "oauth2" }));
      assert.strictEqual(server.tokensIssued(), 1);
    }));

  it.live("refreshes the token once when the API refuses it, then carries on", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth2", district: d.district });
      const source = sourceFor(server, { authMethod: "oauth2", tokenUrl: server.tokenUrl }, { oauth2: { clientAuth: "body", scope: null } });
      yield* collect(source);
      server.revokeTokens();
      const batches = yield* collect(source);
      assert.deepStrictEqual(FakeDistrict.comparable(recordsOf(batches)), FakeDistrict.comparable(d.records));
      assert.strictEqual(server.requests.filter((r) => r.collection === "token").length, 2);
      assert.strictEqual(server.requests.filter((r) => r.status === 401).length, 1);
    }));

  it.live("explains a refused client, an unknown token endpoint and a token the API keeps refusing", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth2", district: small().district });
      const bad = yield* Effect.flip(sourceFor(server, { authMethod: "oauth2", clientSecret: "nope" }).testConnection);
      assert.strictEqual(bad.reason, "Unauthorized");
      assert.match(bad.message, /POST http:\/\/127\.0\.0\.1:\d+\/token: token request rejected \(401 invalid_client\): check client id and secret/);
      const lost = yield* Effect.flip(sourceFor(server, { authMethod: "oauth2", tokenUrl: `${server.origin}/oauth/token` }).testConnection);
      assert.strictEqual(lost.reason, "Configuration");
      assert.match(lost.message, /no token endpoint there \(HTTP 404\); set tokenUrl/);
      const oauth1Only = yield* FakeOneRosterServer.scoped({ auth: "oauth1" });
      const mixed = yield* Effect.flip(OneRosterRestSource.make({ ...configFor(oauth1Only), authMethod: "oauth2", tokenUrl: server.tokenUrl }, FAST).testConnection);
      assert.strictEqual(mixed.reason, "Unauthorized");
      assert.match(mixed.message, /401 from provider: check client id and secret \(a fresh access token was refused too\)/);
      assert.strictEqual(oauth1Only.requests.length, 2, "one retry with a fresh token, no more");
    }));
});

describe("testConnection", () => {
  it.live("makes one cheap authenticated call and summarises it", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth1", district: small().district });
      const message = yield* sourceFor(server).testConnection;
      assert.match(message, /^Connected to 127\.0\.0\.1:\d+ with OAuth 1\.0a HMAC-SHA256: 3 orgs$/);
      assert.deepStrictEqual(server.requests.map((r) => [r.collection, r.limit]), [["orgs", 1]]);
    }));

  it.live("explains the usual failures", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ auth: "oauth1" });
      const unauthorized = yield* Effect.flip(sourceFor(server, { clientId: "other" }).testConnection);
      assert.strictEqual(unauthorized.reason, "Unauthorized");
      assert.match(unauthorized.message, /401 from provider: check client id and secret/);
      const notFound = yield* Effect.flip(sourceFor(server, { baseUrl: `${server.origin}/oneroster` }).testConnection);
      assert.strictEqual(notFound.reason, "NotFound");
      assert.match(notFound.message, /404 from provider: check the base URL/);
      const closed = yield* FakeOneRosterServer.scoped();
      yield* Effect.promise(() => closed.close());
      const refused = yield* Effect.flip(sourceFor(closed).testConnection);
      assert.strictEqual(refused.reason, "Transport");
      assert.match(refused.message, /could not reach the provider \(ECONNREFUSED\) \(after 4 attempts\)/);
      const invalid = yield* Effect.flip(OneRosterRestSource.make({ baseUrl: "not a url", clientId: "a", clientSecret: "b" }).testConnection);
      assert.deepStrictEqual([invalid.reason, invalid.message], ["Configuration", "OneRoster API baseUrl is not a valid URL"]);
      const misfit = yield* Effect.flip(OneRosterRestSource.make({ baseUrl: server.baseUrl, clientId: "a", clientSecret: "b", authMethod: "saml" }).testConnection);
      assert.strictEqual(misfit.reason, "Configuration");
      assert.match(misfit.message, /^OneRoster API config is invalid: expected \{ baseUrl, clientId, clientSecret/);
    }));
});

describe("cancellation", () => {
  it.live("interrupting the stream aborts the request in flight at once", () =>
    Effect.gen(function* () {
      const server = yield* FakeOneRosterServer.scoped({ district: small().district });
      server.inject({ kind: "delay", ms: 10_000 }, { collection: "users" });
      const signals: Array<AbortSignal> = [];
      const source = sourceFor(server, {}, {
        timeoutMs: 30_000,
        fetch: (url, init) => {
          signals.push(init.signal!);
          return globalThis.fetch(url, init);
        },
      });
      const fiber = yield* Effect.forkChild(Stream.runDrain(source.extract));
      while (!server.requests.some((r) => r.collection === "users")) yield* Effect.sleep("10 millis");
      const started = Date.now();
      yield* Fiber.interrupt(fiber);
      assert.isBelow(Date.now() - started, 1_000);
      assert.ok(signals.at(-1)!.aborted, "the in-flight fetch was aborted");
    }));
});

describe("configuration", () => {
  it("normalises base URLs and derives the default token URL", () => {
    assert.strictEqual(OneRosterRestSource.normalizeBaseUrl("https://sis.example.org/"), "https://sis.example.org/ims/oneroster/v1p1");
    assert.strictEqual(OneRosterRestSource.normalizeBaseUrl(" https://sis.example.org/ims/oneroster/v1p1/ "), "https://sis.example.org/ims/oneroster/v1p1");
    assert.strictEqual(OneRosterRestSource.normalizeBaseUrl("https://proxy.example/proxy/v1p0/abc%3D/ims/oneroster/v1p1"), "https://proxy.example/proxy/v1p0/abc%3D/ims/oneroster/v1p1");
    assert.throws(() => OneRosterRestSource.normalizeBaseUrl("ftp://x"));
    assert.throws(() => OneRosterRestSource.normalizeBaseUrl("https://user:pw@x/"));
    assert.strictEqual(OneRosterRestSource.defaultTokenUrl("https://sis.example.org:8443/ims/oneroster/v1p1"), "https://sis.example.org:8443/token");
  });
});
