/**
 * OAuth 1.0a request signing (RFC 5849 §3.4) as OneRoster 1.1 providers and ClassLink expect it:
 * one-legged (no token), HMAC-SHA256 by default, HMAC-SHA1 on request, query parameters signed.
 * Every request gets a fresh nonce and timestamp; the caller sends exactly the URL it signed.
 */
import { createHmac, randomBytes } from "node:crypto";

export type SignatureMethod = "HMAC-SHA256" | "HMAC-SHA1";

export type Param = readonly [name: string, value: string];

const isUnreserved = (b: number) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;

/**
 * RFC 5849 §3.6 / RFC 3986 §2.3: only `A-Z a-z 0-9 - . _ ~` stay; every other UTF-8 byte becomes
 * `%XX` (upper case). Unlike `encodeURIComponent` this also encodes `! ' ( ) *`, which is exactly
 * where signatures break against real servers (spec §7.9).
 */
export const percentEncode = (value: string): string => {
  let out = "";
  for (const b of Buffer.from(value, "utf8")) {
    out += isUnreserved(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
};

/** RFC 5849 §3.4.1.2: lower-case scheme and host, default port dropped, no query or fragment. */
export const baseStringUri = (url: string): string => {
  const u = new URL(url);
  const port = u.port === "" ? "" : `:${u.port}`;
  return `${u.protocol.toLowerCase()}//${u.hostname.toLowerCase()}${port}${u.pathname || "/"}`;
};

/** The query of `url` as decoded pairs, as RFC 5849 §3.4.1.3.1 parses it (form decoding). */
export const queryParams = (url: string): Array<Param> => [...new URL(url).searchParams.entries()];

/** RFC 5849 §3.4.1.3.2: encode names and values, sort by name then value, join. */
export const normalizeParams = (params: ReadonlyArray<Param>): string =>
  params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");

/**
 * RFC 5849 §3.4.1: `METHOD&enc(base URI)&enc(normalized params)`. `params` holds the OAuth
 * protocol parameters (without `oauth_signature` and `realm`) plus any form-body parameters; the
 * query parameters are taken from `url`.
 */
export const signatureBaseString = (method: string, url: string, params: ReadonlyArray<Param>): string =>
  [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParams([...queryParams(url), ...params]))].join("&");

/** RFC 5849 §3.4.2: Base64(HMAC(enc(client secret) & enc(token secret), base string)). */
export const sign = (baseString: string, method: SignatureMethod, consumerSecret: string, tokenSecret = ""): string =>
  createHmac(method === "HMAC-SHA1" ? "sha1" : "sha256", `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`)
    .update(baseString)
    .digest("base64");

export interface SignRequest {
  readonly method: string;
  /** The exact URL that will be sent, query included. */
  readonly url: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly signatureMethod?: SignatureMethod;
  /** Fixed only by tests; fresh per request otherwise. */
  readonly nonce?: string;
  readonly timestamp?: string;
  /** Three-legged token, only for the RFC vectors: OneRoster signing is one-legged. */
  readonly token?: string;
  readonly tokenSecret?: string;
  /** `oauth_version`; `null` leaves it out (RFC 5849 makes it optional, ClassLink accepts both). */
  readonly version?: string | null;
  readonly realm?: string;
  /** Form-body parameters of a POST, signed with the rest. */
  readonly bodyParams?: ReadonlyArray<Param>;
}

export interface SignedRequest {
  readonly authorization: string;
  readonly baseString: string;
  readonly signature: string;
  readonly oauthParams: ReadonlyArray<Param>;
}

export const newNonce = (): string => randomBytes(16).toString("hex");
export const newTimestamp = (): string => Math.floor(Date.now() / 1000).toString();

/** Signs one request and renders the `Authorization: OAuth …` header (RFC 5849 §3.5.1). */
export const signRequest = (req: SignRequest): SignedRequest => {
  const signatureMethod = req.signatureMethod ?? "HMAC-SHA256";
  const version = req.version === undefined ? "1.0" : req.version;
  const oauthParams: Array<Param> = [
    ["oauth_consumer_key", req.consumerKey],
    ["oauth_nonce", req.nonce ?? newNonce()],
    ["oauth_signature_method", signatureMethod],
    ["oauth_timestamp", req.timestamp ?? newTimestamp()],
  ];
  if (req.token !== undefined) oauthParams.push(["oauth_token", req.token]);
  if (version !== null) oauthParams.push(["oauth_version", version]);
  const baseString = signatureBaseString(req.method, req.url, [...oauthParams, ...(req.bodyParams ?? [])]);
  const signature = sign(baseString, signatureMethod, req.consumerSecret, req.tokenSecret ?? "");
  const fields = [...oauthParams, ["oauth_signature", signature] as const]
    .map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`);
  if (req.realm !== undefined) fields.unshift(`realm="${req.realm.replace(/["\\]/g, "")}"`);
  return { authorization: `OAuth ${fields.join(", ")}`, baseString, signature, oauthParams };
};
