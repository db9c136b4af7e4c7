/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) as OneRoster providers run it: one token per
 * connection, cached until shortly before it expires, fetched again when the API refuses it.
 * Concurrent callers share one token request.
 */
import { percentEncode } from "./OAuth1";
import { RestFailure, statusFailure } from "./RestFailure";
import * as RestHttp from "./RestHttp";

/** The v1p1 rostering scopes; some providers need both to read `/enrollments` (spec §3.2, §7.12). */
export const DEFAULT_SCOPE = [
  "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly",
  "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly",
].join(" ");

export interface ClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes; `null` sends no scope (some servers reject any scope). */
  readonly scope: string | null;
  /** `basic`: HTTP Basic (RFC 6749 §2.3.1, the default); `body`: client_id/client_secret form fields. */
  readonly clientAuth: "basic" | "body";
  /** Tokens are renewed this long before `expires_in` runs out. */
  readonly refreshMarginMs: number;
}

export interface TokenSource {
  readonly token: (signal: AbortSignal) => Promise<string>;
  /** Drops `token` from the cache (after the API refused it) so the next call fetches a new one. */
  readonly invalidate: (token: string) => void;
}

/** application/x-www-form-urlencoded, which RFC 6749 also asks for inside the Basic credentials. */
const formEncode = (value: string) => percentEncode(value).replace(/%20/g, "+");
const form = (pairs: ReadonlyArray<readonly [string, string]>) => pairs.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join("&");

const oauthError = (text: string): string | null => {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" && /^[a-z_]{1,40}$/.test(body.error) ? body.error : null;
  } catch {
    return null;
  }
};

const where = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

const tokenFailure = (status: number, text: string, tokenUrl: string): RestFailure => {
  const what = `POST ${where(tokenUrl)}`;
  const error = oauthError(text);
  if (status === 404 || status === 405) {
    return new RestFailure("Configuration", `${what}: no token endpoint there (HTTP ${status}); set tokenUrl in the provider config`);
  }
  if (error === "invalid_client" || (status === 401 && error === null)) {
    return new RestFailure("Unauthorized", `${what}: token request rejected (${status}${error ? ` ${error}` : ""}): check client id and secret`);
  }
  if (error === "invalid_scope" || error === "unauthorized_client") {
    return new RestFailure("Forbidden", `${what}: token request rejected (${status} ${error}): the provider does not grant these credentials the requested scopes`);
  }
  if (error !== null) return new RestFailure("BadResponse", `${what}: token request rejected (${status} ${error})`);
  return statusFailure(status, what, null, { unauthorized: "check client id and secret" });
};

interface Cached {
  readonly token: string;
  readonly expiresAt: number;
  /** The token's lifetime in ms (infinite when the server gave none). */
  readonly lifetimeMs: number;
}

const readToken = (text: string, tokenUrl: string): Cached => {
  const what = `POST ${where(tokenUrl)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new RestFailure("BadResponse", `${what}: the token response is not JSON`);
  }
  const token = body?.["access_token"];
  if (typeof token !== "string" || token === "") throw new RestFailure("BadResponse", `${what}: the token response has no access_token`);
  const type = body["token_type"];
  if (typeof type === "string" && type.toLowerCase() !== "bearer") {
    throw new RestFailure("BadResponse", `${what}: unsupported token_type (only bearer tokens are supported)`);
  }
  const expiresIn = Number(body["expires_in"]);
  // Without expires_in the token is kept until the API refuses it (then refreshed once).
  const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : Number.POSITIVE_INFINITY;
  return { token, expiresAt: Date.now() + lifetimeMs, lifetimeMs };
};

export const makeTokenSource = (c: ClientCredentials, transport: RestHttp.Transport): TokenSource => {
  let cached: Cached | null = null;
  let pending: Promise<Cached> | null = null;

  const request = async (signal: AbortSignal): Promise<Cached> => {
    const fields: Array<readonly [string, string]> = [["grant_type", "client_credentials"]];
    if (c.scope !== null && c.scope.trim() !== "") fields.push(["scope", c.scope.trim()]);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (c.clientAuth === "basic") {
      headers["authorization"] = `Basic ${Buffer.from(`${formEncode(c.clientId)}:${formEncode(c.clientSecret)}`).toString("base64")}`;
    } else {
      fields.push(["client_id", c.clientId], ["client_secret", c.clientSecret]);
    }
    const res = await RestHttp.send(transport, () => ({ method: "POST", url: c.tokenUrl, headers, body: form(fields) }), signal, `POST ${where(c.tokenUrl)}`);
    if (res.status < 200 || res.status > 299) throw tokenFailure(res.status, res.text, c.tokenUrl);
    return readToken(res.text, c.tokenUrl);
  };

  return {
    token: async (signal) => {
      // The margin never exceeds half the lifetime: a 30 s token under a 30 s margin would be
      // fetched anew before every request.
      if (cached !== null && Date.now() < cached.expiresAt - Math.min(c.refreshMarginMs, cached.lifetimeMs / 2)) return cached.token;
      pending ??= request(signal).finally(() => {
        pending = null;
      });
      cached = await pending;
      return cached.token;
    },
    invalidate: (token) => {
      if (cached?.token === token) cached = null;
    },
  };
};
