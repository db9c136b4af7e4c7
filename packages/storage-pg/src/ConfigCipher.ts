/**
 * Encryption of provider configs at rest: AES-256-GCM with a keyring. The newest key encrypts,
 * every key decrypts, and the key id is stored beside the ciphertext so keys can rotate. A wrong
 * or missing key is an error, never a plaintext fallback.
 *
 * `SIS_ENCRYPTION_KEY` is either one base64 32-byte key or `id1:base64,id2:base64` (last = newest).
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Schema from "effect/Schema";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dataDirFromEnv } from "./PgDatabase";

export class ConfigCipherError extends Schema.TaggedError<ConfigCipherError>()("ConfigCipherError", {
  reason: Schema.Literals(["MissingKey", "InvalidKey", "UnknownKeyId", "DecryptFailed"]),
  message: Schema.String,
}) {}

export interface CipherKey {
  readonly id: string;
  readonly key: Uint8Array;
}

export interface Sealed {
  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  readonly ciphertext: string;
  readonly keyId: string;
}

export interface ConfigCipherShape {
  /** Id of the key that encrypts. */
  readonly currentKeyId: string;
  /** Encrypts a JSON value; `context` (e.g. the provider id) is authenticated and must match on decrypt. */
  readonly encrypt: (value: unknown, context: string) => Sealed;
  /** Decrypts; throws `ConfigCipherError` on an unknown key id, a wrong key or tampered data. */
  readonly decrypt: (sealed: Sealed, context: string) => unknown;
  /** Where the keys came from, for a startup log line (never the keys themselves). */
  readonly source: "env" | "dev-key-file" | "explicit";
}

/** The cipher as a service (repositories take it from the context). */
export class ConfigCipher extends Context.Service<ConfigCipher, ConfigCipherShape>()("@sis-sync/storage-pg/ConfigCipher") {}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const VERSION = "v1";

/** A short, stable, non-secret fingerprint: the id of keys given without one. */
export const fingerprint = (key: Uint8Array): string => `fp-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;

const decodeKey = (value: string, label: string): Uint8Array => {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new ConfigCipherError({ reason: "InvalidKey", message: `${label} is not base64` });
  }
  const bytes = Buffer.from(trimmed, "base64");
  if (bytes.length !== 32) {
    throw new ConfigCipherError({
      reason: "InvalidKey",
      message: `${label} must decode to 32 bytes (got ${bytes.length}); generate one with: openssl rand -base64 32`,
    });
  }
  return new Uint8Array(bytes);
};

/** Parses `SIS_ENCRYPTION_KEY`: one base64 key, or `id:base64` entries separated by commas (last = newest). */
export const parseKeyring = (value: string): ReadonlyArray<CipherKey> => {
  const entries = value.split(",").map((e) => e.trim()).filter((e) => e.length > 0);
  if (entries.length === 0) throw new ConfigCipherError({ reason: "MissingKey", message: "SIS_ENCRYPTION_KEY is empty" });
  const keys = entries.map((entry, i): CipherKey => {
    const colon = entry.indexOf(":");
    if (colon < 0) {
      if (entries.length > 1) {
        throw new ConfigCipherError({ reason: "InvalidKey", message: `SIS_ENCRYPTION_KEY entry ${i + 1} needs an id (id:base64) when several keys are given` });
      }
      const key = decodeKey(entry, "SIS_ENCRYPTION_KEY");
      return { id: fingerprint(key), key };
    }
    const id = entry.slice(0, colon).trim();
    if (!KEY_ID.test(id)) {
      throw new ConfigCipherError({ reason: "InvalidKey", message: `SIS_ENCRYPTION_KEY entry ${i + 1}: key id must match ${KEY_ID.source}` });
    }
    return { id, key: decodeKey(entry.slice(colon + 1), `SIS_ENCRYPTION_KEY key "${id}"`) };
  });
  const ids = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) throw new ConfigCipherError({ reason: "InvalidKey", message: `SIS_ENCRYPTION_KEY has key id "${k.id}" twice` });
    ids.add(k.id);
  }
  return keys;
};

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** A cipher over a keyring (the last key encrypts). */
export const make = (keys: ReadonlyArray<CipherKey>, source: ConfigCipherShape["source"] = "explicit"): ConfigCipherShape => {
  const current = keys[keys.length - 1];
  if (!current) throw new ConfigCipherError({ reason: "MissingKey", message: "no encryption key configured" });
  for (const k of keys) {
    if (k.key.length !== 32) throw new ConfigCipherError({ reason: "InvalidKey", message: `key "${k.id}" must be 32 bytes` });
  }
  // Keys are found by their id, and also by fingerprint (ids of keys first configured without one).
  const byId = new Map<string, Uint8Array>();
  for (const k of keys) byId.set(fingerprint(k.key), k.key);
  for (const k of keys) byId.set(k.id, k.key);

  const encrypt = (value: unknown, context: string): Sealed => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", current.key, iv);
    cipher.setAAD(Buffer.from(`${current.id}\u0000${context}`, "utf8"));
    const body = Buffer.concat([cipher.update(JSON.stringify(value ?? null), "utf8"), cipher.final()]);
    return { ciphertext: `${VERSION}.${b64(iv)}.${b64(cipher.getAuthTag())}.${b64(body)}`, keyId: current.id };
  };

  const decrypt = (sealed: Sealed, context: string): unknown => {
    const key = byId.get(sealed.keyId);
    if (!key) {
      throw new ConfigCipherError({
        reason: "UnknownKeyId",
        message: `provider config was encrypted with key "${sealed.keyId}", which is not in SIS_ENCRYPTION_KEY`,
      });
    }
    const parts = sealed.ciphertext.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new ConfigCipherError({ reason: "DecryptFailed", message: "provider config ciphertext is malformed" });
    }
    try {
      // A fixed tag length: without it, GCM accepts tags cut down to 4 bytes, which are forgeable.
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(parts[1]!, "base64url"), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(`${sealed.keyId}\u0000${context}`, "utf8"));
      decipher.setAuthTag(Buffer.from(parts[2]!, "base64url"));
      const plain = Buffer.concat([decipher.update(Buffer.from(parts[3]!, "base64url")), decipher.final()]);
      return JSON.parse(plain.toString("utf8"));
    } catch {
      throw new ConfigCipherError({
        reason: "DecryptFailed",
        message: `cannot decrypt provider config with key "${sealed.keyId}": wrong key or tampered data`,
      });
    }
  };

  return { currentKeyId: current.id, encrypt, decrypt, source };
};

export interface FromEnvOptions {
  /** Where the development key file lives (`SIS_DATA_DIR`, default `./.data`). */
  readonly dataDir?: string | undefined;
}

export const DEV_KEY_FILE = "encryption-key.dev";

/**
 * Keys from `SIS_ENCRYPTION_KEY`. Without it: in production a clear error; elsewhere a
 * development key generated once into `<dataDir>/encryption-key.dev` (mode 0600) and reused.
 */
export const fromEnv = (env: Readonly<Record<string, string | undefined>> = process.env, options: FromEnvOptions = {}): ConfigCipherShape => {
  const configured = env["SIS_ENCRYPTION_KEY"]?.trim();
  if (configured) return make(parseKeyring(configured), "env");
  if (env["NODE_ENV"] === "production") {
    throw new ConfigCipherError({
      reason: "MissingKey",
      message: "SIS_ENCRYPTION_KEY is required in production: a base64 32-byte key (openssl rand -base64 32), " +
        "or id:base64 entries separated by commas for rotation (last = newest)",
    });
  }
  const folder = options.dataDir ?? dataDirFromEnv(env);
  if (folder.startsWith("memory:")) return make([devKey(randomBytes(32))], "dev-key-file");
  const dataDir = resolve(folder);
  const file = join(dataDir, DEV_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  let encoded: string;
  try {
    encoded = readFileSync(file, "utf8");
  } catch {
    const fresh = randomBytes(32).toString("base64");
    try {
      writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: "wx" });
      encoded = fresh;
    } catch {
      encoded = readFileSync(file, "utf8"); // another process created it first
    }
  }
  try {
    chmodSync(file, 0o600);
  } catch {
    // best effort on file systems without modes
  }
  return make([devKey(decodeKey(encoded, `development key file ${file}`))], "dev-key-file");
};

const devKey = (key: Uint8Array): CipherKey => ({ id: `dev-${fingerprint(key).slice(3)}`, key });

/** A cipher from explicit keys. */
export const layer = (keys: ReadonlyArray<CipherKey>): Layer.Layer<ConfigCipher> => Layer.succeed(ConfigCipher, make(keys));

/**
 * The cipher from the environment; fails with `ConfigCipherError` when no usable key is configured.
 * @example
 * const CipherLive = ConfigCipher.layerFromEnv(process.env, { dataDir: process.env.SIS_DATA_DIR })
 */
export const layerFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env, options: FromEnvOptions = {}) =>
  Layer.effect(
    ConfigCipher,
    Effect.try({
      try: () => fromEnv(env, options),
      catch: (cause) =>
        cause instanceof ConfigCipherError ? cause : new ConfigCipherError({ reason: "InvalidKey", message: String(cause) }),
    }),
  );

/** A cipher with a fresh random key, for tests. */
export const layerTest = (): Layer.Layer<ConfigCipher> => Layer.succeed(ConfigCipher, make([{ id: "test", key: new Uint8Array(randomBytes(32)) }]));
