/**
 * SSRF: a corpus of private, loopback, link-local, metadata, IPv6-mapped, NAT64, decimal / hex /
 * octal IP spellings, names that resolve inward, and redirecting URLs (a local redirect server) is
 * refused, by the pure rules, by the API on create / patch / test, and by `guardedFetch`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkHost, checkUrl, classifyAddress, guardedFetch, OutboundRefused, parseIPv4, probeRedirects, type OutboundPolicy,
} from "../../scheduler/src/OutboundUrl";
import { checkLocalPath } from "../src/security/LocalPath";
import { createProvider, openTestApp, TENANT, type TestApp } from "./support";

/** Fake DNS: nothing here reaches a real resolver. */
const DNS: Record<string, ReadonlyArray<string>> = {
  "sis.example.com": ["93.184.216.34"],
  "intranet.example.com": ["10.20.30.40"],
  "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
  "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
  "v6-mapped.example.com": ["::ffff:169.254.169.254"],
  "cgnat.example.com": ["100.64.1.1"],
};
const resolve = async (host: string) => {
  const found = DNS[host];
  if (found === undefined) throw new Error("ENOTFOUND");
  return found;
};
const strict: OutboundPolicy = { allowPrivateNetwork: false, resolve };
const lenient: OutboundPolicy = { allowPrivateNetwork: true, resolve };

/** URLs that must be refused without SIS_ALLOW_PRIVATE_NETWORK. */
const REFUSED_URLS = [
  "https://127.0.0.1/ims/oneroster/v1p1",
  "https://127.8.9.10/",
  "https://localhost/",
  "https://LOCALHOST./",
  "https://api.localhost/",
  "https://[::1]/",
  "https://10.0.0.1/",
  "https://172.16.5.4/",
  "https://172.31.255.255/",
  "https://192.168.1.1/",
  "https://169.254.169.254/latest/meta-data/",
  "https://169.254.10.10/",
  "https://100.64.0.1/",
  "https://100.100.100.200/",
  "https://0.0.0.0/",
  "https://0/",
  "https://224.0.0.1/",
  "https://255.255.255.255/",
  "https://[::]/",
  "https://[fe80::1]/",
  "https://[fc00::1]/",
  "https://[fd12:3456::1]/",
  "https://[fd00:ec2::254]/",
  "https://[ff02::1]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:7f00:1]/",
  "https://[::ffff:10.0.0.1]/",
  "https://[::ffff:169.254.169.254]/",
  "https://[::127.0.0.1]/",
  "https://[64:ff9b::7f00:1]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[2002:7f00:1::1]/",
  "https://[2002:a9fe:a9fe::1]/",
  "https://2130706433/",
  "https://0x7f000001/",
  "https://0x7f.1/",
  "https://0177.0.0.1/",
  "https://017700000001/",
  "https://127.1/",
  "https://0x7f.0x0.0x0.0x1/",
  "https://3232235777/",
  "https://0xa9fea9fe/",
  "https://2852039166/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://intranet.example.com/",
  "https://rebind.example.com/",
  "https://v6-mapped.example.com/",
  "https://cgnat.example.com/",
  "https://unknown-host.example.com/",
  "http://sis.example.com/",
  "ftp://sis.example.com/",
  "file:///etc/passwd",
  "https://user:password@sis.example.com/",
  "not a url",
];

const ALLOWED_URLS = ["https://sis.example.com/ims/oneroster/v1p1", "https://93.184.216.34/", "https://v6.example.com/", "https://[2606:4700::6810:84e5]/"];

describe("address rules", () => {
  it("reads IPv4 in every inet_aton spelling", () => {
    expect(parseIPv4("127.0.0.1")).toBe(0x7f000001);
    expect(parseIPv4("2130706433")).toBe(0x7f000001);
    expect(parseIPv4("0x7f000001")).toBe(0x7f000001);
    expect(parseIPv4("0177.0.0.01")).toBe(0x7f000001);
    expect(parseIPv4("127.1")).toBe(0x7f000001);
    expect(parseIPv4("0x7f.0.1")).toBe(0x7f000001);
    expect(parseIPv4("256.1.1.1")).toBeNull();
    expect(parseIPv4("1.2.3.4.5")).toBeNull();
    expect(parseIPv4("example.com")).toBeNull();
  });

  it("classifies special-purpose addresses, including embedded IPv4", () => {
    expect(classifyAddress("127.0.0.1")).toBe("loopback");
    expect(classifyAddress("169.254.169.254")).toBe("metadata");
    expect(classifyAddress("::ffff:169.254.169.254")).toBe("metadata");
    expect(classifyAddress("64:ff9b::a9fe:a9fe")).toBe("metadata");
    expect(classifyAddress("::ffff:10.1.1.1")).toBe("private");
    expect(classifyAddress("2002:c0a8:0101::1")).toBe("private");
    expect(classifyAddress("100.64.0.1")).toBe("cgnat");
    expect(classifyAddress("fe80::1%eth0")).toBeNull();
    expect(classifyAddress("8.8.8.8")).toBe("public");
    expect(classifyAddress("2606:4700::1")).toBe("public");
  });

  it.each(REFUSED_URLS)("refuses %s", async (url) => {
    const verdict = await checkUrl(url, strict);
    expect(verdict.ok).toBe(false);
  });

  it.each(ALLOWED_URLS)("allows %s", async (url) => {
    const verdict = await checkUrl(url, strict);
    expect(verdict).toMatchObject({ ok: true });
  });

  it("SIS_ALLOW_PRIVATE_NETWORK unlocks private networks and plain http to them, never metadata or multicast", async () => {
    expect((await checkUrl("https://10.0.0.1/", lenient)).ok).toBe(true);
    expect((await checkUrl("http://127.0.0.1:8080/", lenient)).ok).toBe(true);
    expect((await checkUrl("http://intranet.example.com/", lenient)).ok).toBe(true);
    expect((await checkUrl("http://sis.example.com/", lenient)).ok).toBe(false);
    expect((await checkUrl("https://169.254.169.254/", lenient)).ok).toBe(false);
    expect((await checkUrl("https://[fd00:ec2::254]/", lenient)).ok).toBe(false);
    expect((await checkUrl("https://224.0.0.1/", lenient)).ok).toBe(false);
    expect((await checkUrl("https://0.0.0.0/", lenient)).ok).toBe(false);
  });

  it.each(["127.0.0.1", "0x7f.1", "2130706433", "localhost", "::1", "[::1]", "169.254.169.254", "intranet.example.com", "10.1.1.1", "bad host/x"])(
    "refuses SFTP host %s",
    async (host) => {
      expect((await checkHost(host, strict)).ok).toBe(false);
    },
  );

  it("allows a public SFTP host", async () => {
    expect(await checkHost("sis.example.com", strict)).toMatchObject({ ok: true, addresses: ["93.184.216.34"] });
  });
});

describe("local paths", () => {
  const root = mkdtempSync(join(tmpdir(), "api-root-"));
  const outside = mkdtempSync(join(tmpdir(), "api-outside-"));
  mkdirSync(join(root, "tenant-a", "district"), { recursive: true });
  mkdirSync(join(root, "tenant-b", "exports"), { recursive: true });
  symlinkSync(outside, join(root, "tenant-a", "escape"));
  symlinkSync(join(root, "tenant-b"), join(root, "tenant-a", "neighbour"));
  const policy = { root, production: true };
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("must resolve inside the tenant's folder of SIS_LOCAL_IMPORT_ROOT, symbolic links included", () => {
    expect(checkLocalPath("district", policy, "tenant-a")).toEqual({ ok: true, path: join(root, "tenant-a", "district") });
    expect(checkLocalPath(join(root, "tenant-a", "district", "later.zip"), policy, "tenant-a")).toMatchObject({ ok: true });
    for (const path of ["../etc", "/etc/passwd", "escape/export", "../tenant-b/exports", join(root, "tenant-b", "exports"), "neighbour/exports", root]) {
      expect(checkLocalPath(path, policy, "tenant-a")).toEqual({ ok: false, reason: "must be inside the tenant's folder SIS_LOCAL_IMPORT_ROOT/tenant-a" });
    }
    expect(checkLocalPath("exports", policy, "tenant-b")).toMatchObject({ ok: true });
  });

  it("refuses every path for a tenant id that cannot name a folder", () => {
    for (const tenant of ["..", ".", "", "a/../../b", "a\\b"]) {
      expect(checkLocalPath("x", policy, tenant)).toEqual({ ok: false, reason: "local imports need a tenant id that can name a folder of SIS_LOCAL_IMPORT_ROOT" });
    }
  });

  it("without a root: refused in production, allowed elsewhere", () => {
    expect(checkLocalPath("/srv/exports", { root: null, production: true }, "tenant-a").ok).toBe(false);
    expect(checkLocalPath("/srv/exports", { root: null, production: false }, "tenant-a")).toEqual({ ok: true, path: "/srv/exports" });
  });
});

describe("redirects", () => {
  let server: Server;
  let base = "";
  const hits: Array<string> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      const to: Record<string, string> = {
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-public-http": "http://93.184.216.34/",
        "/to-loopback-name": "https://localhost/",
        "/loop": "/loop",
        "/to-ok": "/ok",
      };
      const location = to[req.url ?? ""];
      if (location !== undefined) {
        res.writeHead(302, { location });
        res.end("moved");
      } else {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("no");
      }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  it("checks every hop instead of following blindly", async () => {
    expect(await probeRedirects(`${base}/to-metadata`, lenient)).toMatch(/redirect target/);
    expect(await probeRedirects(`${base}/to-public-http`, lenient)).toMatch(/redirect target must use https/);
    expect(await probeRedirects(`${base}/loop`, lenient)).toMatch(/more than 3 redirects/);
    expect(await probeRedirects(`${base}/to-ok`, lenient)).toBeNull();
    expect(hits).not.toContain("/latest/meta-data/");
  });

  it("refuses the redirecting server itself when private networks are not allowed", async () => {
    await expect(guardedFetch(strict)(`${base}/to-ok`)).rejects.toBeInstanceOf(OutboundRefused);
  });

  it("the API's connection test refuses a base URL that redirects inward", async () => {
    const t = await openTestApp({ allowPrivateNetwork: true, probeRedirects: true, resolve });
    try {
      const provider = await createProvider(t, {
        providerType: "ONEROSTER_API",
        config: { baseUrl: `${base}/to-metadata`, clientId: "id", clientSecret: "secret" },
      });
      const reply = await t.call("platform", "POST", `/api/v1/providers/${provider.id}/test`);
      expect(reply.status).toBe(200);
      expect(reply.json.success).toBe(false);
      expect(reply.json.message).toMatch(/config\.baseUrl: redirect target/);
    } finally {
      await t.close();
    }
  });
});

describe("redirects to another origin", () => {
  // Two loopback servers on different ports are two origins; `other` records what reaches it.
  let origin: Server;
  let other: Server;
  let originBase = "";
  let otherBase = "";
  const seen: Array<{ url: string; authorization: string | null; cookie: string | null; body: string }> = [];
  const listen = async (server: Server) => {
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const recording = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null, body });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  };
  beforeAll(async () => {
    other = createServer(recording);
    otherBase = await listen(other);
    origin = createServer((req, res) => {
      const [path, status] = (req.url ?? "").split("?s=");
      if (path === "/away") res.writeHead(Number(status), { location: `${otherBase}/landed` });
      else if (path === "/here") res.writeHead(Number(status), { location: "/same" });
      else return recording(req, res);
      res.end();
    });
    originBase = await listen(origin);
  });
  afterAll(async () => {
    for (const server of [origin, other]) {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });
  const send = (path: string, init: RequestInit = {}) =>
    guardedFetch(lenient)(`${originBase}${path}`, { headers: { authorization: "Bearer s3cret", cookie: "sid=s3cret" }, ...init });

  it("drops the credential headers on a hop to another origin", async () => {
    seen.length = 0;
    for (const status of [301, 302, 303, 307, 308]) expect((await send(`/away?s=${status}`)).status).toBe(200);
    expect(seen.map((s) => s.url)).toEqual(Array(5).fill("/landed"));
    expect(seen.every((s) => s.authorization === null && s.cookie === null)).toBe(true);
  });

  it("refuses to resend a body to another origin (307 / 308), and never sends it there", async () => {
    seen.length = 0;
    for (const status of [307, 308]) {
      await expect(send(`/away?s=${status}`, { method: "POST", body: "client_secret=s3cret" })).rejects.toThrow(
        /another origin would resend the request body/,
      );
    }
    expect(seen).toEqual([]);
    // A 302 turns the POST into a GET without the body: it may go, without credentials.
    expect((await send("/away?s=302", { method: "POST", body: "client_secret=s3cret" })).status).toBe(200);
    expect(seen).toEqual([{ url: "/landed", authorization: null, cookie: null, body: "" }]);
  });

  it("keeps credentials and body on the same origin", async () => {
    seen.length = 0;
    expect((await send("/here?s=307", { method: "POST", body: "grant_type=client_credentials" })).status).toBe(200);
    expect(seen).toEqual([{ url: "/same", authorization: "Bearer s3cret", cookie: "sid=s3cret", body: "grant_type=client_credentials" }]);
  });
});

describe("DNS rebinding", () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("inside");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });
  /** Private networks allowed, metadata never: a name that answers loopback to some lookups and metadata to the others. */
  const answering = (...answers: Array<string>) => {
    let calls = 0;
    return { allowPrivateNetwork: true, resolve: async () => [answers[Math.min(calls++, answers.length - 1)]!] } satisfies OutboundPolicy;
  };

  it("connects to the address its own lookup checked", async () => {
    hits = 0;
    const res = await guardedFetch(answering("127.0.0.1"))(`http://sis.rebind.test:${port}/ping`);
    expect([res.status, await res.text(), hits]).toEqual([200, "inside", 1]);
  });

  it("refuses a name that passes the URL check and answers inward to the connection's lookup", async () => {
    hits = 0;
    const error = await guardedFetch(answering("127.0.0.1", "169.254.169.254"))(`http://sis.rebind.test:${port}/ping`).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefused);
    expect((error as Error).message).toMatch(/^connection to host sis\.rebind\.test resolves to /);
    expect(hits).toBe(0);
  });
});

describe("the API refuses inward targets", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp({ resolve });
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (providerType: string, config: unknown) =>
    t.call("platform", "POST", "/api/v1/providers", { tenantId: TENANT, providerType, name: `p-${Math.random()}`, config });

  it.each(REFUSED_URLS.filter((u) => u !== "not a url"))("ONEROSTER_API baseUrl %s → 400", async (url) => {
    const reply = await create("ONEROSTER_API", { baseUrl: url, clientId: "id", clientSecret: "secret" });
    expect(reply.status).toBe(400);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    expect(reply.json.errors.map((e: { path: string }) => e.path)).toContain("config.baseUrl");
  });

  it("checks tokenUrl, ClassLink URLs (explicit or derived from tenantId) and SFTP hosts", async () => {
    const token = await create("ONEROSTER_API", { baseUrl: "https://sis.example.com/", clientId: "i", clientSecret: "s", authMethod: "oauth2", tokenUrl: "https://[::ffff:7f00:1]/token" });
    expect(token.json.errors).toEqual([expect.objectContaining({ path: "config.tokenUrl" })]);
    const classlink = await create("CLASSLINK", { clientId: "i", clientSecret: "s", tenantId: "x", baseUrl: "https://0x7f000001/" });
    expect(classlink.json.errors).toEqual([expect.objectContaining({ path: "config.baseUrl" })]);
    const derived = await create("CLASSLINK", { clientId: "i", clientSecret: "s", tenantId: "169.254.169.254" });
    expect(derived.status).toBe(400);
    expect(derived.json.errors).toEqual([expect.objectContaining({ path: "config.tenantId" })]);
    const sftp = await create("ONEROSTER_CSV", { sftp: { host: "2130706433", username: "u", password: "p" }, remotePath: "/exports" });
    expect(sftp.json.errors).toEqual([expect.objectContaining({ path: "config.sftp.host" })]);
    const ok = await create("ONEROSTER_API", { baseUrl: "https://sis.example.com/ims/oneroster/v1p1", clientId: "i", clientSecret: "s" });
    expect(ok.status).toBe(201);
  });

  it("checks PATCHed URLs and refuses the connection test of a stored inward URL", async () => {
    const provider = await createProvider(t, {
      providerType: "ONEROSTER_API",
      config: { baseUrl: "https://sis.example.com/", clientId: "id", clientSecret: "secret" },
    });
    const patched = await t.call("platform", "PATCH", `/api/v1/providers/${provider.id}`, { config: { baseUrl: "https://0177.0.0.1/", clientSecret: "secret" } });
    expect(patched.status).toBe(400);
    expect(patched.json.errors).toEqual([expect.objectContaining({ path: "config.baseUrl" })]);
    const stored = await createProvider(t, {
      providerType: "ONEROSTER_API",
      config: { baseUrl: "https://intranet.example.com/", clientId: "id", clientSecret: "secret" },
    });
    const test = await t.call("platform", "POST", `/api/v1/providers/${stored.id}/test`);
    expect(test.json).toEqual({ success: false, message: expect.stringMatching(/^config\.baseUrl host intranet\.example\.com resolves to a private network address/) });
  });
});
