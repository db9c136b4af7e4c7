/**
 * End to end over HTTP against a real PostgreSQL (a throwaway database on TEST_DATABASE_URL): the
 * app on a real port, the scheduler's background worker in the same process over the same
 * database. Create a OneRoster CSV provider (local path inside the tenant's SIS_LOCAL_IMPORT_ROOT folder), trigger a
 * sync, poll until done, read history, stats, issues and roster, cancel a running sync, delete.
 */
import { serve, type ServerType } from "@hono/node-server";
import { RosterSource, type Provider } from "@sis-sync/core";
import { BackgroundConfig, Connectors, startBackground } from "@sis-sync/scheduler";
import { pgServer } from "@sis-sync/storage-pg/testing";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorization, eventually, MAPLEWOOD, openTestApp, TENANT, type TestApp } from "./support";

const { url: server, reason } = await pgServer();
if (server === null) console.warn(`[api e2e] skipped: ${reason}`);

/** The "slow" provider's batches take a while, so a test can cancel its run while it is running. */
const sourceLayer = (provider: Provider): Layer.Layer<RosterSource> =>
  provider.name !== "slow"
    ? Connectors.layerFor(provider)
    : Layer.effect(RosterSource, Effect.gen(function* () {
      const inner = yield* Connectors.sourceFor(provider).pipe(Effect.orDie);
      return { ...inner, extract: inner.extract.pipe(Stream.tap(() => Effect.sleep("700 millis"))) };
    }));

describe.skipIf(server === null)("end to end over HTTP", () => {
  let t: TestApp;
  let http: ServerType;
  let background: Awaited<ReturnType<typeof startBackground>>;
  let base = "";
  let root = "";

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "api-e2e-"));
    cpSync(MAPLEWOOD, join(root, TENANT, "maplewood"), { recursive: true });
    t = await openTestApp({ localImportRoot: root, production: true });
    expect(t.db.label).not.toBe("pglite");
    background = await startBackground({
      runtime: t.runtime,
      config: { worker: BackgroundConfig.workerConfig({ pollIntervalMs: 50, leaseMs: 60_000, shutdownGraceMs: 0, cancelWindowMs: 2_000 }), scheduler: null },
      worker: { sourceLayer },
    });
    http = await new Promise<ServerType>((ok) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, () => ok(s));
    });
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    (http as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
    await new Promise((ok) => http?.close(ok));
    await background?.stop();
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: (await authorization("district"))!, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text === "" ? undefined : JSON.parse(text)) as any };
  };

  const settle = (providerId: string) =>
    eventually(async () => {
      const status = await api("GET", `/providers/${providerId}/sync/status`);
      return status.json.isRunning ? null : status.json;
    }, 60_000, 100);

  it("creates, syncs, reports, reads the roster, cancels a running sync and deletes", async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const created = await api("POST", "/providers", {
      tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "maplewood", config: { localPath: "maplewood" }, syncSchedule: "daily",
    });
    expect(created.status).toBe(201);
    expect(created.json.config.localPath).toBe(join(root, TENANT, "maplewood"));
    const id = created.json.id as string;

    const accepted = await api("POST", `/providers/${id}/sync`);
    expect(accepted.status).toBe(202);
    const status = await settle(id);
    expect(["SUCCESS", "PARTIAL"]).toContain(status.lastStatus);
    expect(status.lastSync).toEqual(expect.any(String));

    const history = await api("GET", `/providers/${id}/runs?limit=10`);
    expect(history.json.items).toHaveLength(1);
    const run = history.json.items[0];
    expect(run).toMatchObject({ id: accepted.json.runId, status: status.lastStatus, isManual: true });
    expect(run.stats.users.created).toBeGreaterThan(0);
    expect(run.stats.schools.created).toBeGreaterThan(0);
    expect(run.stats.enrollments.created).toBeGreaterThan(0);
    const one = await api("GET", `/runs/${run.id}`);
    expect(one.json.stats).toEqual(run.stats);
    const issues = await api("GET", `/runs/${run.id}/issues?limit=100`);
    expect(issues.status).toBe(200);
    expect(issues.json.items.length).toBe(Math.min(100, run.issueCount));

    const users = await api("GET", `/tenants/${TENANT}/roster/users?limit=3&active=true`);
    expect(users.json.items).toHaveLength(3);
    expect(users.json.total).toBe(run.stats.users.created);
    expect(users.json.items[0].links[0]).toMatchObject({ providerId: id, providerName: "maplewood" });
    const schools = await api("GET", `/tenants/${TENANT}/roster/schools`);
    expect(schools.json.total).toBe(run.stats.schools.created);

    // A second sync of the unchanged export changes nothing.
    await api("POST", `/providers/${id}/sync`);
    await settle(id);
    const second = (await api("GET", `/providers/${id}/runs?limit=1`)).json.items[0];
    expect(second.stats.users.created).toBe(0);
    expect(second.stats.users.unchanged).toBe(run.stats.users.created);

    // Cancel a running sync.
    const slow = await api("POST", "/providers", { tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "slow", config: { localPath: "maplewood" } });
    const slowRun = await api("POST", `/providers/${slow.json.id}/sync`);
    expect(slowRun.status).toBe(202);
    await eventually(async () => (await api("GET", `/providers/${slow.json.id}/sync/status`)).json.currentRun?.status === "IN_PROGRESS", 20_000, 50);
    const cancel = await api("POST", `/providers/${slow.json.id}/sync/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.json).toEqual({ runId: slowRun.json.runId, status: "IN_PROGRESS" });
    expect((await api("POST", `/providers/${slow.json.id}/sync`)).status).toBe(409);
    const cancelled = await settle(slow.json.id);
    expect(cancelled.lastStatus).toBe("CANCELLED");
    expect((await api("GET", `/runs/${slowRun.json.runId}`)).json.cancelRequestedAt).toEqual(expect.any(String));
    expect((await api("POST", `/providers/${slow.json.id}/sync/cancel`)).status).toBe(409);

    // Delete.
    expect((await api("DELETE", `/providers/${id}`)).status).toBe(204);
    expect((await api("GET", `/providers/${id}`)).status).toBe(404);
    expect((await api("GET", `/runs/${run.id}`)).status).toBe(404);
    const listed = await api("GET", `/tenants/${TENANT}/providers`);
    expect(listed.json.items.map((p: { name: string }) => p.name)).toEqual(["slow"]);

    const audit = await t.query<{ action: string; outcome: string }>("select action, outcome from sis_audit_log order by id");
    expect(audit).toEqual(expect.arrayContaining([
      { action: "provider.create", outcome: "success" },
      { action: "sync.trigger", outcome: "success" },
      { action: "run.enqueued", outcome: "PENDING" },
      { action: "run.cancel-requested", outcome: "IN_PROGRESS" },
      { action: "sync.cancel", outcome: "success" },
      { action: "provider.delete", outcome: "success" },
    ]));
  });
});
