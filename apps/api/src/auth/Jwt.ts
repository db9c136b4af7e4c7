/**
 * Bearer JWT authentication (contract, apps/api/README.md): HS256 with `AUTH_JWT_SECRET`, RS256
 * through `AUTH_JWKS_URL`, algorithms pinned to those configured, `exp` required, `iss` / `aud`
 * checked when configured. Claims: `sub`, `role` (`DISTRICT_ADMIN` | `PLATFORM_ADMIN`),
 * `tenantId` (required for district admins).
 *
 * Without configuration, outside production only, a development secret is generated once into
 * `<SIS_DATA_DIR>/auth-secret.dev` (the CLI's `token` command reads the same file).
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey, type JWK } from "jose";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PgDatabase } from "@sis-sync/storage-pg";

export const ROLES = ["DISTRICT_ADMIN", "PLATFORM_ADMIN"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified token. */
export interface Principal {
  readonly sub: string;
  readonly role: Role;
  /** The district admin's tenant; null for platform admins without one. */
  readonly tenantId: string | null;
}

export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  /** `status` 401: no or bad token. 403: a good token whose role may not use this API. */
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string; readonly sub?: string | undefined; readonly role?: string | undefined };

export interface AuthSettings {
  /** HS256 secret (UTF-8 bytes of `AUTH_JWT_SECRET`), or null. */
  readonly secret: Uint8Array | null;
  /** RS256 keys: a JWKS URL (`AUTH_JWKS_URL`) or, for tests, an inline key set. */
  readonly jwks?: { readonly url: string } | { readonly keys: ReadonlyArray<JWK> } | null | undefined;
  readonly issuer?: string | null | undefined;
  readonly audience?: string | null | undefined;
  /** Accepted clock skew in seconds (default 5). */
  readonly clockToleranceSeconds?: number | undefined;
}

export interface Authenticator {
  readonly authenticate: (authorization: string | undefined) => Promise<Authentication>;
  /** "configured" or "development" (generated secret), for the startup log. */
  readonly mode: "configured" | "development";
}

export const DEV_SECRET_FILE = "auth-secret.dev";
export const MIN_SECRET_BYTES = 32;

const fail = (status: 401 | 403, reason: string, extra: { sub?: string; role?: string } = {}): Authentication => ({ ok: false, status, reason, ...extra });

/** The verifier over fixed settings. */
export const makeAuthenticator = (settings: AuthSettings, mode: Authenticator["mode"] = "configured"): Authenticator => {
  const algorithms: Array<string> = [];
  if (settings.secret !== null) algorithms.push("HS256");
  let remote: JWTVerifyGetKey | null = null;
  if (settings.jwks) {
    algorithms.push("RS256");
    remote = "url" in settings.jwks
      ? createRemoteJWKSet(new URL(settings.jwks.url), { cooldownDuration: 30_000, timeoutDuration: 5_000 })
      : createLocalJWKSet({ keys: [...settings.jwks.keys] });
  }
  if (algorithms.length === 0) throw new Error("authentication needs AUTH_JWT_SECRET or AUTH_JWKS_URL");
  const secret = settings.secret;
  // The key follows the pinned algorithm: an HS256 token is never checked against an RSA key or the reverse.
  const getKey: JWTVerifyGetKey = (header, token) => {
    if (header.alg === "HS256" && secret !== null) return secret;
    if (header.alg === "RS256" && remote !== null) return remote(header, token);
    throw new Error("algorithm not accepted");
  };

  const authenticate = async (authorization: string | undefined): Promise<Authentication> => {
    if (authorization === undefined || authorization.trim() === "") return fail(401, "missing bearer token");
    const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization);
    if (!match) return fail(401, "the Authorization header must be 'Bearer <JWT>'");
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(match[1]!, getKey, {
        algorithms,
        requiredClaims: ["exp", "sub"],
        clockTolerance: settings.clockToleranceSeconds ?? 5,
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === "ERR_JWT_EXPIRED") return fail(401, "the token has expired");
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
        const claim = (error as { claim?: unknown }).claim;
        return fail(401, typeof claim === "string" ? `the token's ${claim} claim is missing or not accepted` : "the token's claims are not accepted");
      }
      return fail(401, "the token is not valid (signature, algorithm or format)");
    }
    const sub = payload["sub"];
    if (typeof sub !== "string" || sub.trim() === "") return fail(401, "the token has no subject (sub)");
    const role = payload["role"];
    if (typeof role !== "string" || !(ROLES as ReadonlyArray<string>).includes(role)) {
      return fail(403, `role ${typeof role === "string" ? JSON.stringify(role.slice(0, 40)) : "(none)"} may not use this API`, {
        sub, ...(typeof role === "string" ? { role: role.slice(0, 40) } : {}),
      });
    }
    const tenantId = payload["tenantId"];
    if (tenantId !== undefined && tenantId !== null && (typeof tenantId !== "string" || tenantId === "")) {
      return fail(401, "the token's tenantId claim must be a string");
    }
    if (role === "DISTRICT_ADMIN" && typeof tenantId !== "string") {
      return fail(403, "a DISTRICT_ADMIN token must carry a tenantId", { sub, role });
    }
    return { ok: true, principal: { sub, role: role as Role, tenantId: typeof tenantId === "string" ? tenantId : null } };
  };
  return { authenticate, mode };
};

// ---------------------------------------------------------------------------------------------
// Configuration from the environment

export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
}

/** Reads (or creates, mode 0600) the development secret in the data directory. */
export const devSecret = (dataDir: string): { readonly secret: string; readonly file: string } => {
  const dir = resolve(dataDir);
  const file = join(dir, DEV_SECRET_FILE);
  mkdirSync(dir, { recursive: true });
  let secret: string;
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch {
    const fresh = randomBytes(32).toString("base64url");
    try {
      writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: "wx" });
      secret = fresh;
    } catch {
      secret = readFileSync(file, "utf8").trim(); // another process created it first
    }
  }
  try {
    chmodSync(file, 0o600);
  } catch {
    // best effort
  }
  return { secret, file };
};

export interface AuthFromEnv {
  readonly authenticator: Authenticator;
  /** Set in development mode: where the generated secret lives (for the startup hint). */
  readonly devSecretFile: string | null;
  /** Lines to print at startup (never a secret). */
  readonly notices: ReadonlyArray<string>;
}

/**
 * Auth from `AUTH_JWT_SECRET` / `AUTH_JWKS_URL` / `AUTH_JWT_ISSUER` / `AUTH_JWT_AUDIENCE`. In
 * production without either, or with a short secret, it throws `AuthConfigError`; elsewhere it
 * falls back to the development secret and says how to mint a token.
 */
export const authFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): AuthFromEnv => {
  const production = env["NODE_ENV"] === "production";
  const secretText = env["AUTH_JWT_SECRET"]?.trim() || null;
  const jwksUrl = env["AUTH_JWKS_URL"]?.trim() || null;
  const issuer = env["AUTH_JWT_ISSUER"]?.trim() || null;
  const audience = env["AUTH_JWT_AUDIENCE"]?.trim() || null;
  const notices: Array<string> = [];
  if (jwksUrl !== null) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new AuthConfigError("AUTH_JWKS_URL is not a URL");
    }
    if (production && url.protocol !== "https:") throw new AuthConfigError("AUTH_JWKS_URL must be https in production");
  }
  if (secretText !== null && Buffer.byteLength(secretText, "utf8") < MIN_SECRET_BYTES) {
    const message = `AUTH_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes for HS256 (e.g. openssl rand -base64 48)`;
    if (production) throw new AuthConfigError(message);
    notices.push(`warning: ${message}`);
  }
  if (secretText !== null || jwksUrl !== null) {
    return {
      authenticator: makeAuthenticator({
        secret: secretText === null ? null : new TextEncoder().encode(secretText),
        jwks: jwksUrl === null ? null : { url: jwksUrl },
        issuer,
        audience,
      }),
      devSecretFile: null,
      notices,
    };
  }
  if (production) {
    throw new AuthConfigError("authentication is not configured: set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256); NODE_ENV=production refuses to start without it");
  }
  const dataDir = PgDatabase.dataDirFromEnv(env);
  const dev = dataDir.startsWith("memory:")
    ? { secret: randomBytes(32).toString("base64url"), file: null }
    : devSecret(dataDir);
  notices.push(
    "auth: AUTH_JWT_SECRET is not set; using a development secret (never in production).",
    dev.file === null
      ? "auth: the development secret lives in memory only (SIS_DATA_DIR is memory://); set AUTH_JWT_SECRET to mint tokens."
      : `auth: mint a token with: pnpm sis-sync token --role PLATFORM_ADMIN   (it reads ${dev.file}; set SIS_DATA_DIR=${resolve(dataDir)} when running it from another folder)`,
  );
  return {
    authenticator: makeAuthenticator({ secret: new TextEncoder().encode(dev.secret), issuer, audience }, "development"),
    devSecretFile: dev.file,
    notices,
  };
};

// ---------------------------------------------------------------------------------------------
// Minting (tests, tools)

export interface MintOptions {
  readonly secret: string | Uint8Array;
  readonly sub: string;
  readonly role: string;
  readonly tenantId?: string | null | undefined;
  /** Seconds until expiry (default 3600); `null` leaves `exp` out (for tests of the refusal). */
  readonly ttlSeconds?: number | null | undefined;
  readonly issuer?: string | null | undefined;
  readonly audience?: string | null | undefined;
  readonly now?: number | undefined;
}

/** An HS256 token. */
export const mintToken = async (options: MintOptions): Promise<string> => {
  const claims: Record<string, unknown> = { role: options.role };
  if (options.tenantId) claims["tenantId"] = options.tenantId;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(options.sub).setIssuedAt(now);
  const ttl = options.ttlSeconds === undefined ? 3600 : options.ttlSeconds;
  if (ttl !== null) jwt = jwt.setExpirationTime(now + ttl);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  const key = typeof options.secret === "string" ? new TextEncoder().encode(options.secret) : options.secret;
  return jwt.sign(key);
};
