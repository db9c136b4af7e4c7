/**
 * Bearer JWT rules (algorithm pinning, exp, iss/aud, claims, RS256 through a JWKS), the
 * environment contract (production refuses to start without auth; development uses a generated
 * secret), and the CLI's `token` command minting tokens this API accepts.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authFromEnv, AuthConfigError, DEV_SECRET_FILE, makeAuthenticator, mintToken } from "../src/auth/Jwt";
import { authorization, ROOT } from "./support";

const SECRET = "unit-test-secret-that-is-at-least-32-bytes-long";
const hs = makeAuthenticator({ secret: new TextEncoder().encode(SECRET) });
const bearer = (token: string) => `Bearer ${token}`;

describe("bearer tokens", () => {
  it("accepts a valid token and reads the claims", async () => {
    const token = await mintToken({ secret: SECRET, sub: "u1", role: "DISTRICT_ADMIN", tenantId: "t1" });
    expect(await hs.authenticate(bearer(token))).toEqual({ ok: true, principal: { sub: "u1", role: "DISTRICT_ADMIN", tenantId: "t1" } });
  });

  it("refuses missing, malformed, expired, exp-less, alg none and wrongly signed tokens with 401", async () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /missing/],
      ["Basic dXNlcjpwYXNz", /Bearer/],
      ["Bearer not-a-jwt", /Bearer/],
      [bearer(await mintToken({ secret: SECRET, sub: "u", role: "PLATFORM_ADMIN", ttlSeconds: 10, now: Date.now() - 60_000 })), /expired/],
      [bearer(await mintToken({ secret: SECRET, sub: "u", role: "PLATFORM_ADMIN", ttlSeconds: null })), /exp/],
      [bearer(await mintToken({ secret: "x".repeat(40), sub: "u", role: "PLATFORM_ADMIN" })), /not valid/],
    ];
    for (const caller of ["algNone", "wrongSignature", "expired", "noExp"] as const) {
      const header = await authorization(caller);
      cases.push([header!, /./]);
    }
    for (const [header, reason] of cases) {
      const result = await hs.authenticate(header);
      expect(result.ok, header).toBe(false);
      if (!result.ok) {
        expect(result.status).toBe(401);
        expect(result.reason).toMatch(reason);
      }
    }
  });

  it("pins the algorithm: an HS384/HS512 token signed with the right secret is refused", async () => {
    for (const alg of ["HS384", "HS512"]) {
      const token = await new SignJWT({ role: "PLATFORM_ADMIN" }).setProtectedHeader({ alg }).setSubject("u").setExpirationTime("5m")
        .sign(new TextEncoder().encode(SECRET));
      expect(await hs.authenticate(bearer(token))).toMatchObject({ ok: false, status: 401 });
    }
  });

  it("refuses a token without sub (401), an unknown role (403) and a district admin without tenant (403)", async () => {
    const noSub = await new SignJWT({ role: "PLATFORM_ADMIN" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(SECRET));
    expect(await hs.authenticate(bearer(noSub))).toMatchObject({ ok: false, status: 401 });
    expect(await hs.authenticate(bearer(await mintToken({ secret: SECRET, sub: "u", role: "STUDENT" })))).toMatchObject({ ok: false, status: 403, sub: "u" });
    expect(await hs.authenticate(bearer(await mintToken({ secret: SECRET, sub: "u", role: "" })))).toMatchObject({ ok: false, status: 403 });
    expect(await hs.authenticate(bearer(await mintToken({ secret: SECRET, sub: "u", role: "DISTRICT_ADMIN" })))).toMatchObject({ ok: false, status: 403 });
  });

  it("checks iss and aud when configured", async () => {
    const strict = makeAuthenticator({ secret: new TextEncoder().encode(SECRET), issuer: "https://idp.example", audience: "sis-sync" });
    const good = await mintToken({ secret: SECRET, sub: "u", role: "PLATFORM_ADMIN", issuer: "https://idp.example", audience: "sis-sync" });
    expect(await strict.authenticate(bearer(good))).toMatchObject({ ok: true });
    const wrongIss = await mintToken({ secret: SECRET, sub: "u", role: "PLATFORM_ADMIN", issuer: "https://evil.example", audience: "sis-sync" });
    expect(await strict.authenticate(bearer(wrongIss))).toMatchObject({ ok: false, status: 401 });
    const noAud = await mintToken({ secret: SECRET, sub: "u", role: "PLATFORM_ADMIN", issuer: "https://idp.example" });
    expect(await strict.authenticate(bearer(noAud))).toMatchObject({ ok: false, status: 401 });
  });

  it("verifies RS256 through a JWKS and refuses an HS256 token signed with the public key", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const rs = makeAuthenticator({ secret: null, jwks: { keys: [jwk] } });
    const token = await new SignJWT({ role: "PLATFORM_ADMIN" }).setProtectedHeader({ alg: "RS256", kid: "k1" }).setSubject("u").setExpirationTime("5m").sign(privateKey);
    expect(await rs.authenticate(bearer(token))).toMatchObject({ ok: true, principal: { role: "PLATFORM_ADMIN" } });
    const confused = await new SignJWT({ role: "PLATFORM_ADMIN" }).setProtectedHeader({ alg: "HS256", kid: "k1" }).setSubject("u").setExpirationTime("5m")
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect(await rs.authenticate(bearer(confused))).toMatchObject({ ok: false, status: 401 });
  });
});

describe("auth from the environment", () => {
  it("refuses to start in production without auth, or with a short secret", () => {
    expect(() => authFromEnv({ NODE_ENV: "production" })).toThrow(AuthConfigError);
    expect(() => authFromEnv({ NODE_ENV: "production", AUTH_JWT_SECRET: "short" })).toThrow(/at least 32 bytes/);
    expect(authFromEnv({ NODE_ENV: "production", AUTH_JWT_SECRET: SECRET }).authenticator.mode).toBe("configured");
  });

  it("outside production, generates a development secret once and says how to mint a token", () => {
    const dir = mkdtempSync(join(tmpdir(), "api-auth-"));
    try {
      const first = authFromEnv({ SIS_DATA_DIR: dir });
      expect(first.authenticator.mode).toBe("development");
      expect(first.notices.join("\n")).toContain("pnpm sis-sync token --role PLATFORM_ADMIN");
      const file = join(dir, DEV_SECRET_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const secret = readFileSync(file, "utf8");
      authFromEnv({ SIS_DATA_DIR: dir });
      expect(readFileSync(file, "utf8")).toBe(secret);
      expect(first.notices.join("\n")).not.toContain(secret.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sis-sync token", () => {
  const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
    spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "apps/cli/src/main.ts"), "token", ...args], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      encoding: "utf8",
    });

  it("mints a token the API accepts, with AUTH_JWT_SECRET and with the development secret", async () => {
    const withSecret = cli(["--role", "DISTRICT_ADMIN", "--tenant", "t9", "--sub", "ops", "--ttl", "10m"], {
      AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: "iss", AUTH_JWT_AUDIENCE: "aud",
    });
    expect(withSecret.status, withSecret.stderr).toBe(0);
    const api = authFromEnv({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: "iss", AUTH_JWT_AUDIENCE: "aud" }).authenticator;
    expect(await api.authenticate(bearer(withSecret.stdout.trim()))).toEqual({ ok: true, principal: { sub: "ops", role: "DISTRICT_ADMIN", tenantId: "t9" } });

    const dir = mkdtempSync(join(tmpdir(), "api-cli-"));
    try {
      const dev = cli(["--role", "PLATFORM_ADMIN"], { SIS_DATA_DIR: dir });
      expect(dev.status, dev.stderr).toBe(0);
      expect(await authFromEnv({ SIS_DATA_DIR: dir }).authenticator.authenticate(bearer(dev.stdout.trim()))).toMatchObject({ ok: true });
      expect(cli(["--role", "PLATFORM_ADMIN"], { SIS_DATA_DIR: dir, NODE_ENV: "production" }).status).toBe(1);
      expect(cli(["--role", "DISTRICT_ADMIN"], { SIS_DATA_DIR: dir }).status).toBe(2);
      expect(cli(["--role", "TEACHER"], { SIS_DATA_DIR: dir }).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
