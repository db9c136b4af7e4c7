/**
 * Secrets never leak: a recognisable secret is planted in the config of every provider type,
 * every route is exercised (generated from the route table) including connection tests and
 * failing syncs against an upstream that echoes credentials back, and the secret must appear in
 * no response body, no log line, no audit row and no database column (the whole database is
 * scanned as text). A wrong encryption key fails clearly and never falls back to plaintext.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeTable } from "../src/App";
import { executeNext, newKey, openTestApp, TENANT, type TestApp } from "./support";

const SECRET = `PLANTED-${randomBytes(8).toString("hex")}`;
const TOKEN_SECRET = `PLANTEDTOKEN-${randomBytes(8).toString("hex")}`;
/** Every form in which a leak would still be a leak. */
const FORMS = [SECRET, TOKEN_SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString("base64"), Buffer.from(`client:${SECRET}`).toString("base64")];

const leaks = (text: string) => FORMS.filter((form) => text.includes(form));

let upstream: Server;
let upstreamUrl = "";
const received: Array<string> = [];

/** A hostile provider: answers everything 401 and echoes the request (credentials included) in its body. */
const startUpstream = async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const echo = `${req.method} ${req.url} auth=${req.headers.authorization ?? ""} body=${body} secret=${SECRET}`;
      received.push(echo);
      if ((req.url ?? "").includes("token")) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_client", error_description: echo, access_token: SECRET }));
        return;
      }
      res.writeHead(401, { "content-type": "application/json", "x-echo": encodeURIComponent(echo).slice(0, 200) });
      res.end(JSON.stringify({ imsx_codeMajor: "failure", imsx_severity: "error", imsx_description: echo, message: echo }));
    });
  });
  await new Promise<void>((ok) => upstream.listen(0, "127.0.0.1", ok));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
};

let t: TestApp;
beforeAll(async () => {
  await startUpstream();
  t = await openTestApp({
    allowPrivateNetwork: true,
    probeRedirects: true,
    connectorEnv: { CLEVER_API_URL: upstreamUrl, CLEVER_OAUTH_URL: upstreamUrl },
  });
});
afterAll(async () => {
  await t?.close();
  upstream.closeAllConnections();
  await new Promise((ok) => upstream.close(ok));
});

const configs = () => ({
  ONEROSTER_API: { baseUrl: `${upstreamUrl}/ims/oneroster/v1p1`, clientId: "client", clientSecret: SECRET },
  ONEROSTER_API_OAUTH2: { baseUrl: `${upstreamUrl}/ims/oneroster/v1p1`, clientId: "client", clientSecret: SECRET, authMethod: "oauth2", tokenUrl: `${upstreamUrl}/token` },
  CLASSLINK: { clientId: "client", clientSecret: SECRET, tenantId: "district-tx", baseUrl: `${upstreamUrl}/ims/oneroster/v1p1` },
  CLEVER: { clientId: "client", clientSecret: SECRET, districtId: "d1", accessToken: TOKEN_SECRET },
  ONEROSTER_CSV: { sftp: { host: "127.0.0.1", port: 2222, username: "u", password: SECRET, privateKey: TOKEN_SECRET }, remotePath: "/exports" },
});

describe("secrets never leak", () => {
  it("through any route, connection test, failing sync, log line, audit row or database column", async () => {
    const ids: Record<string, string> = {};
    for (const [label, config] of Object.entries(configs())) {
      const providerType = label === "ONEROSTER_API_OAUTH2" ? "ONEROSTER_API" : label;
      const created = await t.call("platform", "POST", "/api/v1/providers", { tenantId: TENANT, providerType, name: label, config });
      expect(created.status, created.text).toBe(201);
      ids[label] = created.json.id;
    }
    const exercised = new Set<string>();
    const call = async (operationId: string, method: string, path: string, body?: unknown) => {
      exercised.add(operationId);
      return t.call("platform", method, path, body);
    };

    for (const [label, id] of Object.entries(ids)) {
      await call("provider.get", "GET", `/api/v1/providers/${id}`);
      // PATCH without the secret (kept), and with the redacted placeholder (kept).
      await call("provider.update", "PATCH", `/api/v1/providers/${id}`, { name: `${label}-renamed` });
      const current = await t.call("platform", "GET", `/api/v1/providers/${id}`);
      const patched = await call("provider.update", "PATCH", `/api/v1/providers/${id}`, { config: current.json.config });
      expect(patched.status, patched.text).toBe(200);
      const tested = await call("provider.test", "POST", `/api/v1/providers/${id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.json.success, `${label}: ${tested.json.message}`).toBe(false);

      const accepted = await call("sync.trigger", "POST", `/api/v1/providers/${id}/sync`);
      expect(accepted.status).toBe(202);
      await call("sync.status", "GET", `/api/v1/providers/${id}/sync/status`);
      const finished = await executeNext(t, { env: { CLEVER_API_URL: upstreamUrl, CLEVER_OAUTH_URL: upstreamUrl } });
      expect(finished?.status, `${label}: ${finished?.errorMessage}`).toBe("FAILURE");
      expect(finished?.errorMessage).toBeTruthy();
      await call("run.list", "GET", `/api/v1/providers/${id}/runs`);
      await call("run.get", "GET", `/api/v1/runs/${accepted.json.runId}`);
      await call("run.issues", "GET", `/api/v1/runs/${accepted.json.runId}/issues`);
      await call("sync.trigger", "POST", `/api/v1/providers/${id}/sync`, { dryRun: true });
      await call("sync.cancel", "POST", `/api/v1/providers/${id}/sync/cancel`);
    }
    await call("provider.list", "GET", `/api/v1/tenants/${TENANT}/providers`);
    await call("roster.list", "GET", `/api/v1/tenants/${TENANT}/roster/users`);
    await call("schedulePreset.list", "GET", "/api/v1/schedule-presets");
    await call("provider.create", "POST", "/api/v1/providers", { tenantId: TENANT, providerType: "CLEVER", name: "bad", config: { clientSecret: SECRET } });
    await call("provider.delete", "DELETE", `/api/v1/providers/${ids["CLASSLINK"]}`);
    expect([...exercised].sort()).toEqual(routeTable().map((r) => r.route.operationId).sort());

    // The secrets really were stored and used: the upstream saw them.
    expect(received.some((r) => r.includes(SECRET) || r.includes(Buffer.from(`client:${SECRET}`).toString("base64")))).toBe(true);

    expect(t.bodies.flatMap(leaks), "response bodies").toEqual([]);
    expect(t.logs.some((line) => line.includes("run finished")), "the executor's log lines are captured").toBe(true);
    expect(t.logs.flatMap(leaks), "log lines").toEqual([]);
    const audit = await t.query("select * from sis_audit_log");
    expect(audit.length).toBeGreaterThan(20);
    expect(leaks(JSON.stringify(audit)), "audit rows").toEqual([]);
    const tables = await t.query<{ schema: string; name: string }>(
      "select table_schema as schema, table_name as name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'",
    );
    expect(tables.map((x) => x.name)).toContain("sis_providers");
    let scanned = "";
    for (const { schema, name } of tables) {
      const rows = await t.query<{ row: string }>(`select t::text as row from "${schema}"."${name}" t`);
      scanned += rows.map((r) => r.row).join("\n");
    }
    expect(scanned).toContain("v1."); // ciphertexts are there…
    expect(leaks(scanned), "database text").toEqual([]); // …and no plaintext secret
  });

  it("a wrong or missing key fails with a clear message and never falls back to plaintext", async () => {
    const created = await t.call("platform", "POST", "/api/v1/providers", {
      tenantId: TENANT, providerType: "CLEVER", name: "keyed", config: { clientId: "c", clientSecret: SECRET, districtId: "d" },
    });
    expect(created.status).toBe(201);
    const other = await openTestApp({ db: t.db, key: newKey() });
    try {
      for (const [method, path] of [["GET", `/api/v1/providers/${created.json.id}`], ["POST", `/api/v1/providers/${created.json.id}/sync`]] as const) {
        const reply = await other.call("platform", method, path);
        expect(reply.status).toBe(500);
        expect(reply.json.type).toBe("urn:sis-sync:problem:config-unreadable");
        expect(reply.json.detail).toMatch(/SIS_ENCRYPTION_KEY/);
        expect(leaks(reply.text)).toEqual([]);
      }
      expect(other.logs.flatMap(leaks)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
