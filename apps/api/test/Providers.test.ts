/**
 * Providers through the HTTP API: create / read / patch / delete, PATCH merging configs and
 * keeping omitted secrets, validation at the edge (problem+json naming the field), mass
 * assignment, limits (body size, page size, manual-sync rate limit), syncs and runs with the
 * executor, audit rows, and the service endpoints (health, OpenAPI, docs).
 */
import { ProviderRepository, RunRepository } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeTable } from "../src/App";
import { createProvider, enqueueRun, executeNext, MAPLEWOOD, openTestApp, OTHER_TENANT, TENANT, type TestApp } from "./support";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp({ manualSyncLimit: { max: 3, windowMs: 60_000 } });
});
afterAll(async () => {
  await t?.close();
});

const storedConfig = (id: string) =>
  t.run(Effect.gen(function* () {
    return (yield* (yield* ProviderRepository).get(id))!.config as Record<string, unknown>;
  }));

const oneRosterApi = (name: string, extra: Record<string, unknown> = {}) => ({
  tenantId: TENANT,
  providerType: "ONEROSTER_API",
  name,
  config: { baseUrl: "https://93.184.216.34/ims/oneroster/v1p1", clientId: "client-1", clientSecret: "the-secret-1", ...extra },
  syncSchedule: "weekdays",
  timezone: "America/Chicago",
  options: { safeguardPercent: 15 },
});

describe("providers", () => {
  it("creates, lists, reads, patches and deletes a provider; secrets are always redacted", async () => {
    const created = await t.call("district", "POST", "/api/v1/providers", oneRosterApi("api-1"));
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/providers/${created.json.id}`);
    expect(created.json).toMatchObject({
      tenantId: TENANT, providerType: "ONEROSTER_API", name: "api-1", enabled: true, syncSchedule: "weekdays", timezone: "America/Chicago",
      options: { safeguardPercent: 15 }, lastSyncAt: null,
      config: { baseUrl: "https://93.184.216.34/ims/oneroster/v1p1", clientId: "client-1", clientSecret: "***" },
    });
    const id = created.json.id as string;

    const list = await t.call("district", "GET", `/api/v1/tenants/${TENANT}/providers`);
    expect(list.status).toBe(200);
    expect(list.json.items.map((p: { id: string }) => p.id)).toContain(id);
    expect(list.text).not.toContain("the-secret-1");

    const got = await t.call("district", "GET", `/api/v1/providers/${id}`);
    expect(got.json.config.clientSecret).toBe("***");

    // PATCH merges: only clientId changes, the secret is kept (omitted, or sent back redacted).
    const patched = await t.call("district", "PATCH", `/api/v1/providers/${id}`, { config: { clientId: "client-2" }, enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ enabled: false, config: { clientId: "client-2", clientSecret: "***" } });
    expect(await storedConfig(id)).toEqual({ baseUrl: "https://93.184.216.34/ims/oneroster/v1p1", clientId: "client-2", clientSecret: "the-secret-1" });
    const roundTrip = await t.call("district", "PATCH", `/api/v1/providers/${id}`, { config: got.json.config });
    expect(roundTrip.status).toBe(200);
    expect((await storedConfig(id))["clientSecret"]).toBe("the-secret-1");

    // A new secret replaces the old; null removes an optional field.
    await t.call("district", "PATCH", `/api/v1/providers/${id}`, { config: { clientSecret: "the-secret-2", authMethod: "oauth2" } });
    expect(await storedConfig(id)).toMatchObject({ clientSecret: "the-secret-2", authMethod: "oauth2" });
    await t.call("district", "PATCH", `/api/v1/providers/${id}`, { config: { authMethod: null } });
    expect(await storedConfig(id)).not.toHaveProperty("authMethod");

    const removed = await t.call("district", "DELETE", `/api/v1/providers/${id}`);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe("");
    expect((await t.call("district", "GET", `/api/v1/providers/${id}`)).status).toBe(404);
    expect((await t.call("district", "DELETE", `/api/v1/providers/${id}`)).status).toBe(404);
  });

  it("a stored secret never follows a new target: moving a URL or SFTP host needs the secrets again", async () => {
    const api = (await t.call("district", "POST", "/api/v1/providers", oneRosterApi("api-move"))).json.id as string;
    const before = await storedConfig(api);
    for (const config of [
      { tokenUrl: "https://93.184.216.35/token", authMethod: "oauth2" },
      { baseUrl: "https://93.184.216.35/ims/oneroster/v1p1", clientSecret: "***" },
    ]) {
      const refused = await t.call("district", "PATCH", `/api/v1/providers/${api}`, { config });
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([{ path: "config.clientSecret", message: expect.stringMatching(/must be sent again because config\.(tokenUrl|baseUrl) changed/) }]);
      expect(await storedConfig(api)).toEqual(before);
    }
    const moved = await t.call("district", "PATCH", `/api/v1/providers/${api}`, {
      config: { tokenUrl: "https://93.184.216.35/token", authMethod: "oauth2", clientSecret: "the-secret-3" },
    });
    expect(moved.status).toBe(200);
    expect(await storedConfig(api)).toMatchObject({ tokenUrl: "https://93.184.216.35/token", clientSecret: "the-secret-3" });
    // Fields that do not say where the secret goes keep it, as before.
    expect((await t.call("district", "PATCH", `/api/v1/providers/${api}`, { config: { clientId: "client-9", authMethod: "oauth1" } })).status).toBe(200);

    const sftp = { host: "93.184.216.34", username: "roster", password: "sftp-secret" };
    const csv = (await t.call("district", "POST", "/api/v1/providers", {
      tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "csv-move", config: { sftp, remotePath: "/exports" },
    })).json.id as string;
    for (const change of [{ host: "93.184.216.35" }, { port: 2222 }]) {
      const refused = await t.call("district", "PATCH", `/api/v1/providers/${csv}`, { config: { sftp: change } });
      expect(refused.status).toBe(400);
      expect(refused.json.errors.map((e: { path: string }) => e.path)).toEqual(["config.sftp.password"]);
    }
    expect((await t.call("district", "PATCH", `/api/v1/providers/${csv}`, { config: { sftp: { username: "other" } } })).status).toBe(200);
    expect((await t.call("district", "PATCH", `/api/v1/providers/${csv}`, { config: { sftp: { host: "93.184.216.35", password: "new" } } })).status).toBe(200);
    expect(await storedConfig(csv)).toMatchObject({ sftp: { host: "93.184.216.35", username: "other", password: "new" } });
  });

  it("a provider of another tenant is a 404, exactly like a missing one", async () => {
    const foreign = await createProvider(t, { tenantId: "someone-else" });
    const asOther = await t.call("district", "GET", `/api/v1/providers/${foreign.id}`);
    const missing = await t.call("district", "GET", "/api/v1/providers/00000000-0000-4000-8000-000000000000");
    expect(asOther.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(asOther.json.detail).toBe(missing.json.detail);
    expect((await t.call("district", "GET", "/api/v1/tenants/someone-else/roster/users")).status).toBe(404);
    expect((await t.call("platform", "GET", `/api/v1/providers/${foreign.id}`)).status).toBe(200);
  });

  it("refuses a duplicate name with 409", async () => {
    expect((await t.call("platform", "POST", "/api/v1/providers", oneRosterApi("dup"))).status).toBe(201);
    const again = await t.call("platform", "POST", "/api/v1/providers", oneRosterApi("dup"));
    expect(again.status).toBe(409);
    expect(again.json.type).toBe("urn:sis-sync:problem:conflict");
  });

  it("answers 409 when a running sync blocks the delete, and cancels a queued one", async () => {
    const provider = await createProvider(t);
    const run = await enqueueRun(t, provider);
    expect((await t.call("platform", "DELETE", `/api/v1/providers/${provider.id}`)).status).toBe(204);
    const audit = await t.query<{ action: string; outcome: string }>(`select action, outcome from sis_audit_log where target_id = '${run.id}'`);
    expect(audit).toEqual([{ action: "run.cancelled", outcome: "CANCELLED" }]);
  });
});

describe("validation at the edge", () => {
  const expectProblem = (reply: { status: number; headers: Headers; json: { type: string; errors?: Array<{ path: string }> } }, status: number, paths: ReadonlyArray<string>) => {
    expect(reply.status).toBe(status);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    if (paths.length > 0) expect(reply.json.errors!.map((e) => e.path)).toEqual(expect.arrayContaining([...paths]));
  };

  it("names unknown fields, wrong types, invalid cron and time zone, and a config that does not fit its type", async () => {
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v1"), colour: "red" }), 400, ["colour"]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v2"), enabled: "yes" }), 400, ["enabled"]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v3"), syncSchedule: "0 25 * * *" }), 400, ["syncSchedule"]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v3b"), syncSchedule: "every tuesday" }), 400, ["syncSchedule"]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v4"), timezone: "Mars/Olympus" }), 400, ["timezone"]);
    expectProblem(
      await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v5"), config: { clientId: "a", clientSecret: "b", districtId: "c" } }),
      400,
      ["config.baseUrl", "config.districtId"],
    );
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v6"), providerType: "POWERSCHOOL" }), 400, ["providerType"]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", { ...oneRosterApi("v7"), options: { safeguardPercent: 120 } }), 400, ["options.safeguardPercent"]);
    const provider = await createProvider(t);
    expectProblem(await t.call("platform", "PATCH", `/api/v1/providers/${provider.id}`, { config: { sftp: { host: "x" } } }), 400, ["config.sftp.username"]);
    expectProblem(await t.call("platform", "PATCH", `/api/v1/providers/${provider.id}`, { syncSchedule: "* * * * * *" }), 400, ["syncSchedule"]);
  });

  it("refuses bad JSON, a missing body, the wrong media type, and unknown query parameters", async () => {
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", "{not json"), 400, [""]);
    expectProblem(await t.call("platform", "POST", "/api/v1/providers"), 400, [""]);
    const wrongType = await t.call("platform", "POST", "/api/v1/providers", JSON.stringify(oneRosterApi("m")), { "content-type": "text/plain" });
    expectProblem(wrongType, 415, []);
    expectProblem(await t.call("platform", "GET", `/api/v1/tenants/${TENANT}/roster/users?limt=5`), 400, ["limt"]);
    expectProblem(await t.call("platform", "GET", `/api/v1/tenants/${TENANT}/roster/people`), 400, ["kind"]);
  });

  it("caps page size at 100 and body size", async () => {
    const provider = await createProvider(t);
    expectProblem(await t.call("platform", "GET", `/api/v1/providers/${provider.id}/runs?limit=101`), 400, ["limit"]);
    expectProblem(await t.call("platform", "GET", `/api/v1/providers/${provider.id}/runs?limit=abc`), 400, ["limit"]);
    expectProblem(await t.call("platform", "GET", `/api/v1/providers/${provider.id}/runs?offset=-1`), 400, ["offset"]);
    expect((await t.call("platform", "GET", `/api/v1/providers/${provider.id}/runs?limit=100`)).status).toBe(200);
    const huge = { ...oneRosterApi("huge"), name: "x".repeat(100_000) };
    expectProblem(await t.call("platform", "POST", "/api/v1/providers", huge), 413, []);
  });
});

describe("mass assignment", () => {
  it("refuses protected and unknown fields on POST and PATCH, and changes nothing", async () => {
    const post = await t.call("platform", "POST", "/api/v1/providers", {
      ...oneRosterApi("mass"), id: "11111111-1111-4111-8111-111111111111", status: "SUCCESS", createdAt: "2020-01-01T00:00:00Z",
      updatedAt: "2020-01-01T00:00:00Z", lastSyncAt: "2020-01-01T00:00:00Z", configKeyId: "k",
    });
    expect(post.status).toBe(400);
    const paths = post.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["id", "status", "createdAt", "updatedAt", "lastSyncAt", "configKeyId"]));
    expect(post.json.errors.find((e: { path: string }) => e.path === "id").message).toMatch(/read-only/);
    expect((await t.call("platform", "GET", `/api/v1/tenants/${TENANT}/providers`)).json.items.map((p: { name: string }) => p.name)).not.toContain("mass");

    const provider = await createProvider(t, { name: "fixed" });
    for (const field of [
      { tenantId: "someone-else" }, { providerType: "CLEVER" }, { id: "11111111-1111-4111-8111-111111111111" }, { status: "SUCCESS" },
      { createdAt: "2020-01-01T00:00:00Z" }, { lastSyncAt: "2020-01-01T00:00:00Z" }, { name: "ok", isAdmin: true },
    ]) {
      const reply = await t.call("platform", "PATCH", `/api/v1/providers/${provider.id}`, field);
      expect(reply.status, JSON.stringify(field)).toBe(400);
    }
    const after = await t.call("platform", "GET", `/api/v1/providers/${provider.id}`);
    expect(after.json).toMatchObject({ id: provider.id, tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "fixed", lastSyncAt: null });
    expect(after.json.createdAt).toBe(provider.createdAt.toISOString());

    const sync = await t.call("platform", "POST", `/api/v1/providers/${provider.id}/sync`, { dryRun: true, status: "SUCCESS" });
    expect(sync.status).toBe(400);
    expect(sync.json.errors).toEqual([{ path: "status", message: "is read-only and cannot be set by a client" }]);
  });

  it("a district admin cannot create a provider in another tenant", async () => {
    const reply = await t.call("district", "POST", "/api/v1/providers", { ...oneRosterApi("elsewhere"), tenantId: "someone-else" });
    expect(reply.status).toBe(404);
  });
});

describe("syncs and runs", () => {
  it("status: a run's finish is its provider's last sync at once, unless it was a dry run", async () => {
    const provider = await createProvider(t);
    const base = `/api/v1/providers/${provider.id}`;
    // Nothing but the finish itself: a poller that sees the run finished must see its last sync too.
    const finishOnly = (dryRun: boolean) => t.run(Effect.gen(function* () {
      const runs = yield* RunRepository;
      const { run } = yield* runs.enqueue({ tenantId: TENANT, providerId: provider.id, isManual: true, dryRun });
      yield* runs.start(run.id);
      return yield* runs.finish(run.id, { status: "SUCCESS", stats: null, errorMessage: null });
    }));
    const dry = await finishOnly(true);
    expect((await t.call("district", "GET", `${base}/sync/status`)).json).toEqual({ isRunning: false, lastSync: null, lastStatus: dry.status });
    const real = await finishOnly(false);
    const status = await t.call("district", "GET", `${base}/sync/status`);
    expect(status.json).toEqual({ isRunning: false, lastSync: real.completedAt!.toISOString(), lastStatus: "SUCCESS" });
  });

  it("queues a run (202), refuses a second (409), executes, reports status, history, run and issues", async () => {
    const provider = await createProvider(t);
    const base = `/api/v1/providers/${provider.id}`;
    const before = await t.call("district", "GET", `${base}/sync/status`);
    expect(before.json).toEqual({ isRunning: false, lastSync: null, lastStatus: null });

    const accepted = await t.call("district", "POST", `${base}/sync`);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ runId: expect.any(String), status: "PENDING" });
    const again = await t.call("district", "POST", `${base}/sync`, { dryRun: true });
    expect(again.status).toBe(409);
    expect(again.json.runId).toBe(accepted.json.runId);
    const pending = await t.call("district", "GET", `${base}/sync/status`);
    expect(pending.json).toMatchObject({ isRunning: true, currentRun: { id: accepted.json.runId, status: "PENDING" } });

    const finished = await executeNext(t);
    expect(finished?.id).toBe(accepted.json.runId);
    const status = await t.call("district", "GET", `${base}/sync/status`);
    expect(status.json).toMatchObject({ isRunning: false, lastStatus: finished!.status });
    expect(status.json.lastSync).toEqual(expect.any(String));
    expect(status.json.currentRun).toBeUndefined();

    const history = await t.call("district", "GET", `${base}/runs?limit=1`);
    expect(history.json).toMatchObject({ limit: 1, offset: 0, hasMore: false });
    expect(history.json.items[0]).toMatchObject({ id: accepted.json.runId, isManual: true, dryRun: false });
    expect(history.json.items[0].stats.users.created).toBeGreaterThan(0);

    const run = await t.call("district", "GET", `/api/v1/runs/${accepted.json.runId}`);
    expect(run.json.stats).toEqual(history.json.items[0].stats);
    const issues = await t.call("district", "GET", `/api/v1/runs/${accepted.json.runId}/issues?limit=100`);
    expect(issues.status).toBe(200);
    expect(issues.json.items.length).toBe(run.json.issueCount);
    const warnings = await t.call("district", "GET", `/api/v1/runs/${accepted.json.runId}/issues?severity=warning&kind=user`);
    for (const issue of warnings.json.items) expect(issue).toMatchObject({ severity: "warning", kind: "user" });

    const roster = await t.call("district", "GET", `/api/v1/tenants/${TENANT}/roster/users?limit=2`);
    expect(roster.json.items).toHaveLength(2);
    expect(roster.json.total).toBeGreaterThan(2);
    expect(roster.json.hasMore).toBe(true);
    const email = roster.json.items.find((u: { fields: { email: string | null } }) => u.fields.email)?.fields.email as string;
    const byEmail = await t.call("district", "GET", `/api/v1/tenants/${TENANT}/roster/users?email=${encodeURIComponent(email.toUpperCase())}`);
    expect(byEmail.json.items.map((u: { fields: { email: string } }) => u.fields.email)).toEqual([email]);
    const externalId = roster.json.items[0].links[0].externalId as string;
    const byExternalId = await t.call("district", "GET", `/api/v1/tenants/${TENANT}/roster/users?externalId=${encodeURIComponent(externalId)}`);
    expect(byExternalId.json.total).toBe(1);
    expect((await t.call("district", "GET", `/api/v1/tenants/${TENANT}/roster/schools?active=false`)).json.total).toBe(0);
  });

  it("cancels a pending run (202), answers 409 when nothing runs, and 409 for a disabled provider", async () => {
    const provider = await createProvider(t);
    const base = `/api/v1/providers/${provider.id}`;
    expect((await t.call("platform", "POST", `${base}/sync/cancel`)).status).toBe(409);
    const accepted = await t.call("platform", "POST", `${base}/sync`, { dryRun: true });
    const cancelled = await t.call("platform", "POST", `${base}/sync/cancel`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.json).toEqual({ runId: accepted.json.runId, status: "CANCELLED" });
    expect((await t.call("platform", "POST", `${base}/sync/cancel`)).status).toBe(409);
    const audit = await t.query<{ action: string; outcome: string }>(
      `select action, outcome from sis_audit_log where target_id = '${accepted.json.runId}' order by id`,
    );
    expect(audit).toEqual([{ action: "run.enqueued", outcome: "PENDING" }, { action: "run.cancelled", outcome: "CANCELLED" }]);

    await t.call("platform", "PATCH", base, { enabled: false });
    const disabled = await t.call("platform", "POST", `${base}/sync`);
    expect(disabled.status).toBe(409);
    expect(disabled.json.detail).toBe("Provider disabled");
  });

  it("rate-limits manual syncs per provider with 429 and Retry-After", async () => {
    const provider = await createProvider(t);
    const base = `/api/v1/providers/${provider.id}`;
    for (let i = 0; i < 3; i++) {
      expect((await t.call("platform", "POST", `${base}/sync`, { dryRun: true })).status).toBe(202);
      expect((await t.call("platform", "POST", `${base}/sync/cancel`)).status).toBe(202);
    }
    const limited = await t.call("platform", "POST", `${base}/sync`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.json.type).toBe("urn:sis-sync:problem:rate-limited");
    const other = await createProvider(t);
    expect((await t.call("platform", "POST", `/api/v1/providers/${other.id}/sync`, { dryRun: true })).status).toBe(202);
  });

  it("tests a connection with { success, message }", async () => {
    const good = await createProvider(t);
    const ok = await t.call("platform", "POST", `/api/v1/providers/${good.id}/test`);
    expect(ok.json).toEqual({ success: true, message: expect.any(String) });
    const missing = await createProvider(t, { config: { localPath: join(MAPLEWOOD, "no-such-export") } });
    const failed = await t.call("platform", "POST", `/api/v1/providers/${missing.id}/test`);
    expect(failed.status).toBe(200);
    expect(failed.json).toEqual({ success: false, message: expect.any(String) });
  });
});

describe("local imports through the API", () => {
  it("keeps localPath inside the tenant's folder of SIS_LOCAL_IMPORT_ROOT, and refuses it in production without a root", async () => {
    const root = mkdtempSync(join(tmpdir(), "api-imports-"));
    const rooted = await openTestApp({ db: t.db, localImportRoot: root, production: true });
    const bare = await openTestApp({ db: t.db, production: true });
    try {
      const body = (localPath: string, name: string) => ({ tenantId: TENANT, providerType: "ONEROSTER_CSV", name, config: { localPath } });
      const inside = await rooted.call("platform", "POST", "/api/v1/providers", body("district-a", "inside"));
      expect(inside.status).toBe(201);
      expect(inside.json.config.localPath).toBe(join(root, TENANT, "district-a"));
      for (const [path, name] of [["../../etc", "outside"], [`../${OTHER_TENANT}/exports`, "neighbour"], [join(root, OTHER_TENANT), "absolute"]]) {
        const outside = await rooted.call("platform", "POST", "/api/v1/providers", body(path!, name!));
        expect(outside.status).toBe(400);
        expect(outside.json.errors).toEqual([{ path: "config.localPath", message: `must be inside the tenant's folder SIS_LOCAL_IMPORT_ROOT/${TENANT}` }]);
      }
      const refused = await bare.call("platform", "POST", "/api/v1/providers", body(MAPLEWOOD, "prod"));
      expect(refused.status).toBe(400);
      expect(refused.json.errors[0].path).toBe("config.localPath");
      const keyFile = await rooted.call("platform", "POST", "/api/v1/providers", {
        tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "key", config: { sftp: { host: "93.184.216.34", username: "u", privateKeyPath: "/etc/shadow" }, remotePath: "/x" },
      });
      expect(keyFile.json.errors).toEqual([expect.objectContaining({ path: "config.sftp.privateKeyPath" })]);

      // A path an operator set with the CLI (outside the root) is not re-judged unless it changes.
      const operator = await createProvider(rooted, { config: { localPath: MAPLEWOOD } });
      expect((await rooted.call("platform", "POST", `/api/v1/providers/${operator.id}/test`)).json.success).toBe(true);
      expect((await rooted.call("platform", "PATCH", `/api/v1/providers/${operator.id}`, { config: { localPath: MAPLEWOOD } })).status).toBe(200);
      const moved = await rooted.call("platform", "PATCH", `/api/v1/providers/${operator.id}`, { config: { localPath: "/etc" } });
      expect(moved.status).toBe(400);
    } finally {
      await rooted.close();
      await bare.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("service endpoints", () => {
  it("healthz and readyz; the bare address leads to the admin page", async () => {
    const root = await t.app.request("/");
    expect([root.status, root.headers.get("location")]).toEqual([302, "/integrations/sis"]);
    expect((await t.app.request("/healthz")).status).toBe(200);
    const ready = await t.app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });
  });

  it("readyz answers 503 when the database is gone", async () => {
    const lonely = await openTestApp();
    await lonely.db.close();
    const res = await lonely.app.request("/readyz");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    await lonely.runtime.dispose();
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await t.app.request("/openapi.json");
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const entry of routeTable()) {
      const path = entry.path.replace(/:([A-Za-z]+)/g, "{$1}");
      expect(doc.paths[path]?.[entry.method.toLowerCase()]?.operationId, path).toBe(entry.route.operationId);
    }
    const patch = doc.paths["/api/v1/providers/{providerId}"]!["patch"]!.requestBody!.content["application/json"]!.schema;
    const resolved = doc.components.schemas[String(patch["$ref"]).split("/").pop()!]!;
    expect(resolved["additionalProperties"]).toBe(false);
    expect(Object.keys(resolved["properties"] as object)).not.toContain("tenantId");
    expect(JSON.stringify(doc)).not.toContain("$defs");
    for (const ref of JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? []) {
      expect(doc.components.schemas, ref).toHaveProperty(ref.split("/").pop()!);
    }
  });

  it("serves a self-contained documentation page", async () => {
    const res = await t.app.request("/docs");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    for (const entry of routeTable()) expect(html).toContain(entry.path.replace(/:([A-Za-z]+)/g, "{$1}"));
    expect(html).not.toMatch(/<script|<link|src=|@import|https?:\/\/(?!json-schema)/);
  });

  it("answers unknown paths with problem+json", async () => {
    const res = await t.app.request("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
