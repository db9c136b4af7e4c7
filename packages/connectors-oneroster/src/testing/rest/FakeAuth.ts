/**
 * The fake server's side of authentication. The OAuth 1.0a verifier is written independently of
 * the client's signer (different encoder, its own header parser), so a shared misreading of
 * RFC 5849 cannot make both sides agree on a wrong signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** RFC 3986 encoding built on `encodeURIComponent`, which leaves `! ' ( ) *` alone. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const parseOAuthHeader = (header: string): Map<string, string> | null => {
  const m = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!m) return null;
  const params = new Map<string, string>();
  for (const part of m[1]!.split(",")) {
    const kv = /^\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) return null;
    try {
      params.set(decodeURIComponent(kv[1]!), decodeURIComponent(kv[2]!));
    } catch {
      return null;
    }
  }
  return params;
};

export type OAuth1Verdict =
  | { readonly ok: true; readonly nonce: string; readonly signatureMethod: string }
  | { readonly ok: false; readonly why: string };

export interface OAuth1Verifier {
  readonly verify: (method: string, url: string, authorization: string | undefined) => OAuth1Verdict;
}

/** Checks consumer key, method, timestamp window, nonce reuse and the signature of the URL as received. */
export const oauth1Verifier = (opts: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly signatureMethods: ReadonlyArray<string>;
  readonly clockSkewSeconds?: number;
}): OAuth1Verifier => {
  const seen = new Set<string>();
  return {
    verify: (method, url, authorization) => {
      if (authorization === undefined) return { ok: false, why: "no Authorization header" };
      const p = parseOAuthHeader(authorization);
      if (p === null) return { ok: false, why: "not an OAuth header" };
      if (p.get("oauth_consumer_key") !== opts.clientId) return { ok: false, why: "unknown consumer key" };
      const signatureMethod = p.get("oauth_signature_method") ?? "";
      if (!opts.signatureMethods.includes(signatureMethod)) return { ok: false, why: `signature method ${signatureMethod} not accepted` };
      if (p.has("oauth_token")) return { ok: false, why: "one-legged requests carry no token" };
      const version = p.get("oauth_version");
      if (version !== undefined && version !== "1.0") return { ok: false, why: "bad oauth_version" };
      const timestamp = Number(p.get("oauth_timestamp"));
      const skew = opts.clockSkewSeconds ?? 600;
      if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > skew) return { ok: false, why: "timestamp outside the window" };
      const nonce = p.get("oauth_nonce") ?? "";
      if (nonce === "") return { ok: false, why: "no nonce" };
      if (seen.has(`${timestamp}:${nonce}`)) return { ok: false, why: "nonce reused" };
      const u = new URL(url);
      const params: Array<[string, string]> = [...u.searchParams.entries()];
      for (const [k, v] of p) if (k !== "oauth_signature" && k !== "realm") params.push([k, v]);
      // Sorted by encoded name, then value (RFC 5849 §3.4.1.3.2), not as joined "k=v" strings.
      const normalized = params
        .map(([k, v]) => [enc(k), enc(v)] as const)
        .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join("&");
      const base = `${method.toUpperCase()}&${enc(`${u.protocol}//${u.host}${u.pathname}`)}&${enc(normalized)}`;
      const algorithm = signatureMethod === "HMAC-SHA1" ? "sha1" : "sha256";
      const expected = createHmac(algorithm, `${enc(opts.clientSecret)}&`).update(base).digest();
      const given = Buffer.from(p.get("oauth_signature") ?? "", "base64");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: "signature mismatch" };
      seen.add(`${timestamp}:${nonce}`);
      return { ok: true, nonce, signatureMethod };
    },
  };
};

/** Bearer tokens issued by the fake `/token` endpoint; `revokeAll` simulates expiry or rotation. */
export const tokenStore = (ttlSeconds: number) => {
  const tokens = new Map<string, number>();
  return {
    issue: () => {
      const token = randomBytes(18).toString("base64url");
      tokens.set(token, Date.now() + ttlSeconds * 1000);
      return { token, expiresIn: ttlSeconds };
    },
    check: (token: string) => {
      const until = tokens.get(token);
      return until !== undefined && Date.now() < until;
    },
    revokeAll: () => tokens.clear(),
    get issued() {
      return tokens.size;
    },
  };
};
