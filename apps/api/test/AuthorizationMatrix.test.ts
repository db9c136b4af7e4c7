/**
 * The authorization matrix, generated from the route table: every `/api/v1` route × every kind of
 * caller → the expected status, and an audit row for every denial. A meta-test fails when the app
 * serves a route the table lacks, or the table has a route without a request recipe here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { routeTable } from "../src/App";
import {
  CALLERS, createProvider, enqueueRun, openTestApp, TENANT, type Caller, type TestApp,
} from "./support";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => {
  await t?.close();
});

interface Request {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** How to call each route successfully (fresh fixtures each time), and the success status. */
const RECIPES: Record<string, { readonly ok: number; readonly tenantScoped: boolean; readonly make: () => Promise<Request> }> = {
  "provider.list": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/tenants/${TENANT}/providers` }) },
  "roster.list": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/tenants/${TENANT}/roster/users?limit=5` }) },
  "provider.create": {
    ok: 201,
    tenantScoped: true,
    make: async () => ({
      method: "POST",
      path: "/api/v1/providers",
      body: { tenantId: TENANT, providerType: "CLEVER", name: `c-${randomUUID()}`, config: { clientId: "id", clientSecret: "s", districtId: "d" } },
    }),
  },
  "provider.get": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/providers/${(await createProvider(t)).id}` }) },
  "provider.update": {
    ok: 200,
    tenantScoped: true,
    make: async () => ({ method: "PATCH", path: `/api/v1/providers/${(await createProvider(t)).id}`, body: { name: `renamed-${randomUUID()}` } }),
  },
  "provider.delete": { ok: 204, tenantScoped: true, make: async () => ({ method: "DELETE", path: `/api/v1/providers/${(await createProvider(t)).id}` }) },
  "provider.test": { ok: 200, tenantScoped: true, make: async () => ({ method: "POST", path: `/api/v1/providers/${(await createProvider(t)).id}/test` }) },
  "sync.trigger": {
    ok: 202,
    tenantScoped: true,
    make: async () => ({ method: "POST", path: `/api/v1/providers/${(await createProvider(t)).id}/sync`, body: { dryRun: true } }),
  },
  "sync.cancel": {
    ok: 202,
    tenantScoped: true,
    make: async () => {
      const provider = await createProvider(t);
      await enqueueRun(t, provider);
      return { method: "POST", path: `/api/v1/providers/${provider.id}/sync/cancel` };
    },
  },
  "sync.status": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/providers/${(await createProvider(t)).id}/sync/status` }) },
  "run.list": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/providers/${(await createProvider(t)).id}/runs?limit=10` }) },
  "run.get": { ok: 200, tenantScoped: true, make: async () => ({ method: "GET", path: `/api/v1/runs/${(await enqueueRun(t, await createProvider(t))).id}` }) },
  "run.issues": {
    ok: 200,
    tenantScoped: true,
    make: async () => ({ method: "GET", path: `/api/v1/runs/${(await enqueueRun(t, await createProvider(t))).id}/issues?severity=error` }),
  },
  "schedulePreset.list": { ok: 200, tenantScoped: false, make: async () => ({ method: "GET", path: "/api/v1/schedule-presets" }) },
};

const expected = (caller: Caller, recipe: (typeof RECIPES)[string]): number => {
  switch (caller) {
    case "platform":
    case "district":
      return recipe.ok;
    case "otherDistrict":
      return recipe.tenantScoped ? 404 : recipe.ok;
    case "unknownRole":
      return 403;
    default:
      return 401;
  }
};

describe("route table", () => {
  it("covers every route the app serves under /api/v1, and every route has a recipe here", () => {
    const served = t.app.routes
      .filter((r) => r.method !== "ALL" && r.path.startsWith("/api/v1"))
      .map((r) => `${r.method} ${r.path}`);
    const table = routeTable().map((r) => `${r.method} ${r.path}`);
    expect(new Set(served)).toEqual(new Set(table));
    expect(served.length).toBe(table.length);
    const missing = routeTable().filter((r) => RECIPES[r.route.operationId] === undefined).map((r) => r.route.operationId);
    expect(missing, "routes missing from the authorization matrix").toEqual([]);
    expect(Object.keys(RECIPES).sort()).toEqual(routeTable().map((r) => r.route.operationId).sort());
  });
});

describe("authorization matrix", () => {
  for (const entry of routeTable()) {
    const recipe = RECIPES[entry.route.operationId];
    for (const caller of CALLERS) {
      it(`${entry.method} ${entry.path} as ${caller}`, async () => {
        if (recipe === undefined) throw new Error(`no recipe for ${entry.route.operationId}`);
        const request = await recipe.make();
        const requestId = `matrix-${randomUUID()}`;
        const reply = await t.call(caller, request.method, request.path, request.body, { "x-request-id": requestId });
        const want = expected(caller, recipe);
        expect(reply.status, reply.text).toBe(want);
        if (want >= 400) {
          expect(reply.headers.get("content-type")).toContain("application/problem+json");
          expect(reply.json.status).toBe(want);
        }
        const rows = await t.query<{ outcome: string; action: string; actor: string | null }>(
          `select outcome, action, actor from sis_audit_log where request_id = '${requestId}'`,
        );
        const denied = want === 401 || want === 403 || (want === 404 && caller === "otherDistrict");
        if (denied) {
          expect(rows.map((r) => r.outcome)).toEqual(["denied"]);
          expect(rows[0]!.action).toBe(entry.route.operationId);
        } else if (entry.method !== "GET") {
          expect(rows.map((r) => r.outcome)).toContain("success");
        } else {
          expect(rows).toEqual([]);
        }
      });
    }
  }
});
