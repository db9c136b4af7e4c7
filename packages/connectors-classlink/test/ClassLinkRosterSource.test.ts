import { assert, describe, it, layer } from "@effect/vitest";
import { ProviderRepository, RosterSource, RunExecutor, RunRepository, type RosterSourceShape } from "@sis-sync/core";
import { Fixtures, MemoryRosterStore, rosterOf } from "@sis-sync/core/testing";
import { FakeDistrict } from "@sis-sync/connectors-oneroster/testing";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as References from "effect/References";
import * as Stream from "effect/Stream";
import * as ClassLinkRosterSource from "../src/ClassLinkRosterSource";
import { FakeClassLinkServer } from "../src/testing";

const FAST = { timeoutMs: 2_000, retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 } } as const;

let tenants = 0;
const newTenant = () => `cl-${Date.now().toString(36)}-${(tenants++).toString(36)}`;

const syncWith = (tenantId: string, provider: string, source: RosterSourceShape) =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const p = (yield* providers.findByName(tenantId, provider)) ??
      (yield* providers.create({ tenantId, providerType: "CLASSLINK", name: provider, config: { clientId: "a", clientSecret: "b", tenantId: "x-tx" } }));
    const { run } = yield* runs.enqueue({ tenantId, providerId: p.id, isManual: true });
    const started = yield* runs.start(run.id);
    const out = yield* RunExecutor.execute(started, p).pipe(
      Effect.provide(Layer.succeed(RosterSource, source)),
      Effect.provideService(References.MinimumLogLevel, "Error"),
    );
    return out.run;
  });

const small = () => FakeClassLinkServer.generate({ schools: 2, classesPerSchool: 3, students: 30, classesPerStudent: 2 });

describe("ClassLinkRosterSource", () => {
  it.live("reads a ClassLink-style district exactly, signing with HMAC-SHA256 and never following hrefs", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeClassLinkServer.scoped({ district: d.district });
      assert.include(JSON.stringify(server.district.users[0]), '"enabledUser":"true"');
      assert.include(JSON.stringify(server.district.users[0]), "certs-nj-v2.rosterserver.com");
      const urls: Array<string> = [];
      const source = ClassLinkRosterSource.make(FakeClassLinkServer.configFor(server), {
        ...FAST,
        pageSize: 10,
        fetch: (url, init) => {
          urls.push(url);
          return globalThis.fetch(url, init);
        },
      });
      const batches = [...(yield* Stream.runCollect(source.extract))];
      assert.deepStrictEqual(FakeDistrict.comparable(batches.flatMap((b) => b.records)), FakeDistrict.comparable(d.records));
      assert.ok(d.records.some((r) => r.kind === "user" && !r.fields.enabled), "a disabled user (enabledUser \"false\") is in the district");
      assert.ok(urls.every((u) => u.startsWith(server.baseUrl)), "only the configured Roster Server is called");
      assert.ok(server.requests.every((r) => r.auth === "oauth1" && r.signatureMethod === "HMAC-SHA256" && r.status === 200));
    }));

  it.live("uses ClassLink's page size by default and SHA1 when asked", () =>
    Effect.gen(function* () {
      const server = yield* FakeClassLinkServer.scoped({ district: small().district, signatureMethods: ["HMAC-SHA1"] });
      yield* Stream.runDrain(ClassLinkRosterSource.make(FakeClassLinkServer.configFor(server), { ...FAST, signatureMethod: "HMAC-SHA1" }).extract);
      assert.ok(server.requests.every((r) => r.limit === ClassLinkRosterSource.DEFAULT_PAGE_SIZE && r.signatureMethod === "HMAC-SHA1"));
    }));

  it.live("halves the page after a 502, as ClassLink advises for heavy pages", () =>
    Effect.gen(function* () {
      const d = small();
      const server = yield* FakeClassLinkServer.scoped({ district: d.district });
      server.inject({ kind: "status", status: 502, body: "none" }, { collection: "enrollments", offset: 0 });
      const batches = [...(yield* Stream.runCollect(ClassLinkRosterSource.make(FakeClassLinkServer.configFor(server), { ...FAST, pageSize: 40 }).extract))];
      assert.strictEqual(batches.filter((b) => b.kind === "enrollment").flatMap((b) => b.records).length, 66);
      assert.deepStrictEqual(server.requests.filter((r) => r.collection === "enrollments").map((r) => [r.limit, r.status]).slice(0, 2), [[40, 502], [20, 200]]);
    }));

  it.live("testConnection names ClassLink and explains a bad key", () =>
    Effect.gen(function* () {
      const server = yield* FakeClassLinkServer.scoped({ district: small().district });
      const ok = yield* ClassLinkRosterSource.make(FakeClassLinkServer.configFor(server), FAST).testConnection;
      assert.match(ok, /^Connected to 127\.0\.0\.1:\d+ with OAuth 1\.0a HMAC-SHA256: the orgs endpoint answered$/);
      const bad = yield* Effect.flip(ClassLinkRosterSource.make({ ...FakeClassLinkServer.configFor(server), clientSecret: "nope" }, FAST).testConnection);
      assert.strictEqual(bad.reason, "Unauthorized");
      assert.match(bad.message, /^ClassLink GET \/orgs\?limit=1&offset=0: 401 from provider: check client id and secret/);
    }));

  it.live("an unusable config fails with Configuration, naming the fix", () =>
    Effect.gen(function* () {
      const numeric = yield* Effect.flip(ClassLinkRosterSource.make({ clientId: "a", clientSecret: "b", tenantId: "1176" }).testConnection);
      assert.strictEqual(numeric.reason, "Configuration");
      assert.match(numeric.message, /^ClassLink tenantId "1176" is a numeric ClassLink tenant id.*set baseUrl/);
      const missing = yield* Effect.flip(Stream.runDrain(ClassLinkRosterSource.make({ clientId: "a", tenantId: "x-tx" }).extract));
      assert.deepStrictEqual([missing.reason, missing.message], ["Configuration", "ClassLink config is invalid: expected { clientId, clientSecret, tenantId, baseUrl? }"]);
    }));
});

layer(MemoryRosterStore.layer(), { excludeTestServices: true })("ClassLinkRosterSource through the sync engine", (it) => {
  it.effect("syncs a district, then an unchanged second run changes nothing", () =>
    Effect.gen(function* () {
      const tenantId = newTenant();
      const server = yield* FakeClassLinkServer.scoped({ district: small().district });
      const source = ClassLinkRosterSource.make(FakeClassLinkServer.configFor(server), { ...FAST, pageSize: 25 });
      const first = yield* syncWith(tenantId, "classlink", source);
      assert.strictEqual(first.status, "SUCCESS", first.errorMessage ?? "");
      assert.deepStrictEqual([first.stats!.schools.created, first.stats!.classes.created, first.stats!.users.created, first.stats!.enrollments.created], [2, 6, 36, 66]);
      const second = yield* syncWith(tenantId, "classlink", source);
      assert.deepStrictEqual([second.stats!.users.unchanged, second.stats!.enrollments.unchanged, second.stats!.users.updated], [36, 66, 0]);
    }));

  it.effect("two ClassLink tenants with the same sourcedIds stay apart: ids are namespaced by provider", () =>
    Effect.gen(function* () {
      const tenantId = newTenant();
      const north = yield* FakeClassLinkServer.scoped({ district: FakeDistrict.fromRecords([Fixtures.user("7", { email: "ann@north.example.org" })], FakeDistrict.CLASSLINK_STYLE) });
      const south = yield* FakeClassLinkServer.scoped({ district: FakeDistrict.fromRecords([Fixtures.user("7", { email: "bob@south.example.org" })], FakeDistrict.CLASSLINK_STYLE) });
      const a = yield* syncWith(tenantId, "north", ClassLinkRosterSource.make(FakeClassLinkServer.configFor(north, "north-tx"), FAST));
      const b = yield* syncWith(tenantId, "south", ClassLinkRosterSource.make(FakeClassLinkServer.configFor(south, "south-tx"), FAST));
      assert.deepStrictEqual([a.status, b.status], ["SUCCESS", "SUCCESS"]);
      assert.deepStrictEqual([a.stats!.users.created, b.stats!.users.created], [1, 1]);
      const users = yield* rosterOf(tenantId, "user");
      assert.deepStrictEqual(users.map((u) => u.fields["email"]).sort(), ["ann@north.example.org", "bob@south.example.org"]);
      assert.ok(users.every((u) => u.links.length === 1 && u.links[0]!.externalId === "7"));
    }));
});
