/**
 * What needs no server: host key fingerprint formats, the config checks that fail a source before it
 * connects, and the remote export ordering (the same rules as the local reader).
 */
import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import { RosterSourceError } from "@sis-sync/core";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OneRosterSftpSource, SftpHostKey } from "../../src/index";
import { newestFirst } from "../../src/csv/NewestExport";
import * as RemoteExport from "../../src/sftp/RemoteExport";
import { scrub } from "../../src/sftp/SftpSession";

// An ed25519 public key blob: string "ssh-ed25519", string <32 key bytes>.
const blob = Buffer.concat([
  Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7),
]);
const digest = createHash("sha256").update(blob).digest();
const openssh = `SHA256:${digest.toString("base64").replace(/=+$/, "")}`;

describe("SftpHostKey", () => {
  it("fingerprints a blob as OpenSSH does and reads its key type", () => {
    assert.strictEqual(SftpHostKey.fingerprintOf(blob), openssh);
    assert.strictEqual(SftpHostKey.keyTypeOf(blob), "ssh-ed25519");
    assert.strictEqual(SftpHostKey.keyTypeOf(Buffer.from([1, 2])), "unknown");
    assert.strictEqual(SftpHostKey.fingerprintOfPublicKeyLine(`ssh-ed25519 ${blob.toString("base64")} me@host`), openssh);
  });

  it("accepts SHA256:base64, bare base64 (padded, unpadded, url-safe) and hex (plain or colon-separated, any case)", () => {
    const hex = digest.toString("hex");
    const forms = [
      openssh,
      ` ${openssh} `,
      `sha256:${digest.toString("base64")}`,
      digest.toString("base64"),
      digest.toString("base64").replace(/=+$/, ""),
      digest.toString("base64url"),
      hex,
      hex.toUpperCase(),
      hex.match(/../g)!.join(":"),
      `SHA256:${hex}`,
    ];
    for (const form of forms) {
      const parsed = SftpHostKey.parseFingerprint(form);
      assert.ok(parsed.ok, form);
      if (parsed.ok) {
        assert.ok(parsed.digest.equals(digest), form);
        assert.ok(SftpHostKey.matches(blob, parsed.digest), form);
      }
    }
    assert.notOk(SftpHostKey.matches(Buffer.from("other"), digest));
  });

  it("refuses MD5 fingerprints and anything that is not 32 bytes, saying what is expected", () => {
    const md5 = SftpHostKey.parseFingerprint("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48");
    assert.deepStrictEqual(md5.ok ? null : md5.problem.split(";")[0], "hostKeySha256 is an MD5 fingerprint");
    for (const bad of ["16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", "SHA256:abc", "", "zz".repeat(32), openssh.slice(0, -1)]) {
      const parsed = SftpHostKey.parseFingerprint(bad);
      assert.notOk(parsed.ok, bad);
      if (!parsed.ok) assert.match(parsed.problem, /expected "SHA256:<base64>" as `ssh-keygen -lf` prints it, bare base64, or 64 hex digits$/);
    }
  });
});

describe("OneRosterSftpSource configuration", () => {
  const sftp = { host: "sftp.example.org", username: "district42", password: "s3cret-pass" };
  const failure = (config: unknown, options: OneRosterSftpSource.OneRosterSftpOptions = {}) =>
    Effect.gen(function* () {
      const source = OneRosterSftpSource.make(config, options);
      const fromExtract = yield* Effect.flip(Stream.runDrain(source.extract));
      const fromTest = yield* Effect.flip(source.testConnection);
      assert.deepStrictEqual(fromTest, fromExtract);
      assert.strictEqual(fromExtract.reason, "Configuration");
      assert.notInclude(fromExtract.message, "s3cret-pass");
      return fromExtract.message;
    });

  it.effect("a config of the wrong shape names the expected shape, never a value", () =>
    Effect.gen(function* () {
      const expected = "OneRoster CSV over SFTP config is invalid: expected { sftp: { host, port?, username, privateKey? | privateKeyPath? | password?, hostKeySha256? }, remotePath }";
      assert.strictEqual(yield* failure({ localPath: "/srv/export" }), expected);
      assert.strictEqual(yield* failure({ sftp: { ...sftp, port: 0 }, remotePath: "/x" }), expected);
      assert.strictEqual(yield* failure({ sftp: { ...sftp, passwrd: "s3cret-pass" }, remotePath: "/x" }), expected);
      assert.strictEqual(yield* failure({ sftp }), expected);
    }));

  it.effect("no credential, two keys, an unusable fingerprint or option: Configuration naming it", () =>
    Effect.gen(function* () {
      const { password: _p, ...noCredential } = sftp;
      assert.strictEqual(yield* failure({ sftp: noCredential, remotePath: "/x" }), "SFTP config needs a credential: privateKey, privateKeyPath or password");
      assert.strictEqual(
        yield* failure({ sftp: { ...noCredential, privateKey: "k", privateKeyPath: "/k" }, remotePath: "/x" }),
        "SFTP config has both privateKey and privateKeyPath: set only one",
      );
      assert.match(yield* failure({ sftp: { ...sftp, hostKeySha256: "MD5:aa" }, remotePath: "/x" }), /^hostKeySha256 is an MD5 fingerprint/);
      assert.match(yield* failure({ sftp: { ...sftp, hostKeySha256: "nope" }, remotePath: "/x" }), /^hostKeySha256 is not a SHA-256 fingerprint/);
      assert.strictEqual(yield* failure({ sftp, remotePath: "/x" }, { batchSize: 0 }), "batchSize must be a positive number, got 0");
      assert.strictEqual(yield* failure({ sftp, remotePath: "/x" }, { operationTimeoutMs: -1 }), "operationTimeoutMs must be a positive number, got -1");
    }));

  it("scrubs any secret that reaches a message", () => {
    assert.strictEqual(scrub("auth failed for hunter22 and hunter22", ["hunter22"]), "auth failed for *** and ***");
    assert.strictEqual(scrub("short x", ["x"]), "short x");
  });
});

describe("remote export ordering (the local reader's rules)", () => {
  const entry = (name: string, type: "file" | "folder", mtimeMs = 0) => ({ name, type, size: 1, mtimeMs });

  it("keeps visible folders and zips, newest name first, the newer mtime breaking a tie", () => {
    const entries = [
      entry("2026-11-20.zip", "file"),
      entry("2026-11-24", "folder", 1),
      entry("2026-11-24.ZIP", "file", 2),
      entry("2026-11-01", "folder"),
      entry(".2026-12-31.zip", "file"),
      entry("2026-12-30.zip.part", "file"),
      entry("notes.txt", "file"),
    ];
    const ordered = RemoteExport.candidatesOf(entries).sort(newestFirst).map((e) => e.name);
    assert.deepStrictEqual(ordered, ["2026-11-24.ZIP", "2026-11-24", "2026-11-20.zip", "2026-11-01"]);
  });
});

describe("remote export names from a hostile server", () => {
  // A session that lists what the test says and "downloads" by writing the remote path into the local file.
  const fakeSession = (listing: Record<string, ReadonlyArray<{ name: string; type: "file" | "folder" }>>) => ({
    where: "evil.example:22",
    hostKey: { type: "ssh-ed25519", fingerprint: "SHA256:x" },
    stat: async (path: string) =>
      path in listing ? { name: path, type: "folder" as const, size: 0, mtimeMs: 0 } : null,
    list: async (path: string) => (listing[path] ?? []).map((e) => ({ ...e, size: 5, mtimeMs: 0 })),
    download: async (remote: string, local: string) => writeFile(local, remote.slice(0, 5).padEnd(5)),
    close: async () => {},
  });

  it.each([
    ["a zip named with ../", { "/drop": [{ name: "x/../../../escaped.zip", type: "file" }] }],
    ["a CSV named with ../", { "/drop": [{ name: "manifest.csv", type: "file" }, { name: "x/../../escaped.csv", type: "file" }] }],
    ["a folder named x/../..", { "/drop": [{ name: "x/../..", type: "folder" }], "/drop/x/../..": [{ name: "manifest.csv", type: "file" }] }],
    ["a CSV named with a backslash", { "/drop": [{ name: "manifest.csv", type: "file" }, { name: "x\\..\\escaped.csv", type: "file" }] }],
  ] as const)("refuses %s and writes nothing outside its folder", async (_label, listing) => {
    const root = await mkdtemp(join(tmpdir(), "sis-sftp-names-"));
    const dir = join(root, "a", "b");
    await mkdir(dir, { recursive: true });
    try {
      const session = fakeSession(listing);
      const error = await RemoteExport.locate(session, "/drop")
        .then((located) => RemoteExport.download(session, located, dir))
        .then(() => null, (e: unknown) => e);
      assert.instanceOf(error, RosterSourceError);
      assert.strictEqual((error as RosterSourceError).reason, "BadInput");
      assert.match((error as RosterSourceError).message, /evil\.example:22 listed an entry named .* not a plain file name/);
      // Only the download folder (and, for a folder export, its own sub-folder) may exist under the root.
      const written = (await readdir(root, { recursive: true })).map(String).sort();
      assert.isTrue(written.every((p) => p === "a" || p.startsWith(join("a", "b"))), written.join(", "));
      assert.isFalse(written.some((p) => p.includes("escaped")), written.join(", "));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
