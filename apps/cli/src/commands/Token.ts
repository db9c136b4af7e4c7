/**
 * `sis-sync token`: mints an HS256 bearer token for the API, signed with `AUTH_JWT_SECRET` or,
 * outside production when it is unset, with the development secret the API uses
 * (`<SIS_DATA_DIR>/auth-secret.dev`, created on first use). Prints only the token on stdout.
 */
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PgDatabase } from "@sis-sync/storage-pg";
import { parse, UsageError } from "../Usage";

const ROLES = ["DISTRICT_ADMIN", "PLATFORM_ADMIN"] as const;
const DEV_SECRET_FILE = "auth-secret.dev";

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** `3600`, `90s`, `15m`, `12h`, `7d` → seconds. */
export const parseTtl = (text: string): number => {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--ttl must be a number of seconds or like 15m, 12h, 7d (got "${text}")`);
  const seconds = Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86_400 } as const)[m[2] as "" | "s" | "m" | "h" | "d"];
  if (seconds < 1 || seconds > 30 * 86_400) throw new UsageError("--ttl must be between 1 second and 30 days");
  return seconds;
};

/** The same development secret file the API reads (mode 0600, created once). */
const devSecret = (dataDir: string): string => {
  const dir = resolve(dataDir);
  const file = join(dir, DEV_SECRET_FILE);
  mkdirSync(dir, { recursive: true });
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    const fresh = randomBytes(32).toString("base64url");
    try {
      writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
      return fresh;
    } catch {
      return readFileSync(file, "utf8").trim();
    }
  }
};

const signingSecret = (env: Readonly<Record<string, string | undefined>>): string => {
  const configured = env["AUTH_JWT_SECRET"]?.trim();
  if (configured) return configured;
  if (env["AUTH_JWKS_URL"]?.trim()) {
    throw new Error("the API verifies RS256 tokens from AUTH_JWKS_URL; this command mints HS256 tokens only (set AUTH_JWT_SECRET)");
  }
  if (env["NODE_ENV"] === "production") throw new Error("AUTH_JWT_SECRET is not set; development tokens are not available in production");
  const dataDir = PgDatabase.dataDirFromEnv(env);
  if (dataDir.startsWith("memory:")) throw new Error("SIS_DATA_DIR is memory://: the development secret is not on disk; set AUTH_JWT_SECRET");
  return devSecret(dataDir);
};

/** Mints the token (exported for tests). */
export const mint = (
  claims: { readonly sub: string; readonly role: string; readonly tenantId?: string | undefined; readonly ttlSeconds: number },
  env: Readonly<Record<string, string | undefined>> = process.env,
  now = Date.now(),
): string => {
  const iat = Math.floor(now / 1000);
  const payload: Record<string, unknown> = { sub: claims.sub, role: claims.role, iat, exp: iat + claims.ttlSeconds };
  if (claims.tenantId) payload["tenantId"] = claims.tenantId;
  const issuer = env["AUTH_JWT_ISSUER"]?.trim();
  const audience = env["AUTH_JWT_AUDIENCE"]?.trim();
  if (issuer) payload["iss"] = issuer;
  if (audience) payload["aud"] = audience;
  const signingInput = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(payload))}`;
  const signature = createHmac("sha256", Buffer.from(signingSecret(env), "utf8")).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
};

export const token = async (args: ReadonlyArray<string>): Promise<number> => {
  const values = parse(args, {
    role: { type: "string" },
    tenant: { type: "string" },
    sub: { type: "string" },
    ttl: { type: "string" },
  });
  const role = (values.role ?? "").toUpperCase();
  if (!(ROLES as ReadonlyArray<string>).includes(role)) throw new UsageError(`--role must be ${ROLES.join(" or ")}`);
  const tenantId = values.tenant?.trim();
  if (role === "DISTRICT_ADMIN" && !tenantId) throw new UsageError("--tenant is required for DISTRICT_ADMIN");
  const ttlSeconds = parseTtl(values.ttl ?? "1h");
  const sub = values.sub?.trim() || "dev-admin";
  process.stdout.write(`${mint({ sub, role, tenantId, ttlSeconds })}\n`);
  return 0;
};
