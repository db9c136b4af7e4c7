/**
 * SSH host key fingerprints: the SHA-256 of the raw public key blob, as `ssh-keygen -lf` prints it
 * (`SHA256:` + unpadded base64). A configured fingerprint may be written that way, as bare base64
 * (padded or not) or as hex (colons allowed); all three decode to the same 32 bytes.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The 32 digest bytes of a configured fingerprint, or why it cannot be one. */
export type ParsedFingerprint =
  | { readonly ok: true; readonly digest: Buffer }
  | { readonly ok: false; readonly problem: string };

const EXPECTED = 'expected "SHA256:<base64>" as `ssh-keygen -lf` prints it, bare base64, or 64 hex digits';

/** Decodes a configured `hostKeySha256`. */
export const parseFingerprint = (text: string): ParsedFingerprint => {
  const trimmed = text.trim();
  if (/^md5:/i.test(trimmed) || /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(trimmed)) {
    return { ok: false, problem: `hostKeySha256 is an MD5 fingerprint; ${EXPECTED}` };
  }
  const body = trimmed.replace(/^sha256:/i, "");
  const hex = body.replaceAll(":", "");
  if (/^[0-9a-f]{64}$/i.test(hex)) return { ok: true, digest: Buffer.from(hex, "hex") };
  // base64 or base64url, with or without padding: 43 characters carry 32 bytes.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(body)) {
    const digest = Buffer.from(body.replaceAll("-", "+").replaceAll("_", "/").replace(/=$/, ""), "base64");
    if (digest.length === 32) return { ok: true, digest };
  }
  return { ok: false, problem: `hostKeySha256 is not a SHA-256 fingerprint; ${EXPECTED}` };
};

/** `SHA256:<unpadded base64>` of a digest, as OpenSSH writes it. */
export const formatDigest = (digest: Uint8Array): string =>
  `SHA256:${Buffer.from(digest).toString("base64").replace(/=+$/, "")}`;

/** The SHA-256 fingerprint of a raw host key blob (the bytes ssh2 hands to `hostVerifier`). */
export const fingerprintOf = (blob: Uint8Array): string => formatDigest(createHash("sha256").update(blob).digest());

/** Whether a host key blob has the configured digest (constant-time comparison). */
export const matches = (blob: Uint8Array, digest: Buffer): boolean => {
  const actual = createHash("sha256").update(blob).digest();
  return actual.length === digest.length && timingSafeEqual(actual, digest);
};

/** The key type named at the start of a blob (`ssh-ed25519`, `ssh-rsa`, …), or `"unknown"`. */
export const keyTypeOf = (blob: Uint8Array): string => {
  const bytes = Buffer.from(blob);
  if (bytes.length < 4) return "unknown";
  const length = bytes.readUInt32BE(0);
  if (length === 0 || length > 64 || bytes.length < 4 + length) return "unknown";
  const name = bytes.subarray(4, 4 + length).toString("latin1");
  return /^[\x21-\x7e]+$/.test(name) ? name : "unknown";
};

/** The fingerprint of a public key line (`ssh-ed25519 AAAA… comment`), as `ssh-keygen -lf` prints it. */
export const fingerprintOfPublicKeyLine = (line: string): string => {
  const blob = line.trim().split(/\s+/)[1];
  if (blob === undefined) throw new Error("not an OpenSSH public key line");
  return fingerprintOf(Buffer.from(blob, "base64"));
};
