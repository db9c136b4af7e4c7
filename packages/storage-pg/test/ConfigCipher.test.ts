import { assert, describe, it } from "@effect/vitest";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ConfigCipher from "../src/ConfigCipher";

const key = () => randomBytes(32).toString("base64");
const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    assert.ok(error instanceof ConfigCipher.ConfigCipherError, String(error));
    return `${error.reason}: ${error.message}`;
  }
  assert.fail("expected a ConfigCipherError");
};

describe("ConfigCipher", () => {
  const config = { clientId: "id", clientSecret: "s3cr3t-value", nested: { privateKey: "-----BEGIN-----\nabc" } };

  it("round-trips a config; the ciphertext reveals nothing and differs every time", () => {
    const cipher = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: key() });
    const sealed = cipher.encrypt(config, "provider-1");
    assert.notInclude(sealed.ciphertext, "s3cr3t");
    assert.strictEqual(sealed.keyId, cipher.currentKeyId);
    assert.deepStrictEqual(cipher.decrypt(sealed, "provider-1"), config);
    assert.notStrictEqual(cipher.encrypt(config, "provider-1").ciphertext, sealed.ciphertext);
  });

  it("binds the ciphertext to its provider and detects tampering", () => {
    const cipher = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: key() });
    const sealed = cipher.encrypt(config, "provider-1");
    assert.match(reasonOf(() => cipher.decrypt(sealed, "provider-2")), /^DecryptFailed/);
    const parts = sealed.ciphertext.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    const tampered = { ...sealed, ciphertext: [...parts.slice(0, 3), body.toString("base64url")].join(".") };
    assert.match(reasonOf(() => cipher.decrypt(tampered, "provider-1")), /^DecryptFailed: .*wrong key or tampered/);
    assert.match(reasonOf(() => cipher.decrypt({ ...sealed, ciphertext: "garbage" }, "provider-1")), /^DecryptFailed: .*malformed/);
    // A tag cut to its first 4 bytes still matches those bytes: only a fixed tag length refuses it.
    const shortTag = Buffer.from(parts[2]!, "base64url").subarray(0, 4).toString("base64url");
    const truncated = { ...sealed, ciphertext: [parts[0], parts[1], shortTag, parts[3]].join(".") };
    assert.match(reasonOf(() => cipher.decrypt(truncated, "provider-1")), /^DecryptFailed/);
  });

  it("rotates: the newest key encrypts, every key decrypts, and a key first used without an id still decrypts", () => {
    const k1 = key();
    const k2 = key();
    const old = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: k1 });
    const sealedOld = old.encrypt(config, "p");
    assert.match(sealedOld.keyId, /^fp-[0-9a-f]{12}$/);
    const rotated = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `old:${k1}, new:${k2}` });
    assert.strictEqual(rotated.currentKeyId, "new");
    assert.deepStrictEqual(rotated.decrypt(sealedOld, "p"), config, "found by fingerprint");
    const sealedNew = rotated.encrypt(config, "p");
    assert.strictEqual(sealedNew.keyId, "new");
    const withoutNew = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `old:${k1}` });
    assert.match(reasonOf(() => withoutNew.decrypt(sealedNew, "p")), /^UnknownKeyId: .*"new"/);
  });

  it("a wrong key fails clearly, never falling back to anything", () => {
    const sealed = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `k:${key()}` }).encrypt(config, "p");
    const other = ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `k:${key()}` });
    assert.match(reasonOf(() => other.decrypt(sealed, "p")), /^DecryptFailed: cannot decrypt provider config with key "k"/);
  });

  it("rejects malformed keys with a message that never echoes them", () => {
    const short = randomBytes(16).toString("base64");
    const message = reasonOf(() => ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: short }));
    assert.match(message, /^InvalidKey: .*32 bytes \(got 16\)/);
    assert.notInclude(message, short);
    assert.match(reasonOf(() => ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: "not base64!!" })), /^InvalidKey/);
    assert.match(reasonOf(() => ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `${key()},${key()}` })), /needs an id/);
    assert.match(reasonOf(() => ConfigCipher.fromEnv({ SIS_ENCRYPTION_KEY: `a:${key()},a:${key()}` })), /twice/);
  });

  it("without a key: production refuses; development generates one key file (0600) and keeps using it", () => {
    assert.match(reasonOf(() => ConfigCipher.fromEnv({ NODE_ENV: "production" }, { dataDir: "/nonexistent" })), /^MissingKey: SIS_ENCRYPTION_KEY is required in production/);
    const dir = mkdtempSync(join(tmpdir(), "sis-cipher-"));
    try {
      const first = ConfigCipher.fromEnv({ NODE_ENV: "development" }, { dataDir: dir });
      assert.strictEqual(first.source, "dev-key-file");
      const file = join(dir, ConfigCipher.DEV_KEY_FILE);
      assert.strictEqual(statSync(file).mode & 0o777, 0o600);
      assert.strictEqual(Buffer.from(readFileSync(file, "utf8").trim(), "base64").length, 32);
      const sealed = first.encrypt(config, "p");
      const second = ConfigCipher.fromEnv({}, { dataDir: dir });
      assert.deepStrictEqual(second.decrypt(sealed, "p"), config);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
