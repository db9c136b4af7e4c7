/**
 * OneRosterSftpSource against a real OpenSSH sshd on 127.0.0.1 (one per file): exports as zips and
 * folders, newest-of-several, keys and host key pinning, distinct failures, and the private
 * download folder removed after success, failure and interruption.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest";
import type { RosterSourceError, SftpSettings } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Stream from "effect/Stream";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { OneRosterSftpSource, SftpHostKey } from "../../src/index";
import { writeOneRosterCsv, writeZip } from "../../src/testing/index";
import { FakeDistrict } from "../../src/testing/rest";
import { TcpProxy, TestSshd } from "../../src/testing/sftp";
import { collect, district, downloadsParent, exportFiles, extractError, leftIn, recordsOf, removeAll, until } from "./helpers";

const skip = TestSshd.unavailableReason();
if (skip !== null) console.warn(`[OneRosterSftpSource] suite skipped: ${skip}`);

let sshd: TestSshd.TestSshd;
let parent: string;
let counter = 0;

/** A fresh folder under the served root. */
const remoteFolder = async (name = `case-${counter++}`): Promise<string> => {
  const path = join(sshd.root, name);
  await mkdir(path, { recursive: true });
  return path;
};

const FAST = { readyTimeoutMs: 5_000, operationTimeoutMs: 5_000 } as const;

const source = (remotePath: string, sftp: Partial<SftpSettings> = {}, options: OneRosterSftpSource.OneRosterSftpOptions = {}) =>
  OneRosterSftpSource.make({ sftp: sshd.settings(sftp), remotePath }, { tempDir: parent, ...FAST, ...options });

/** Settings with a password and no key. */
const withPassword = (password: string): SftpSettings => {
  const { privateKey: _key, ...rest } = sshd.settings();
  return { ...rest, password };
};

const assertClean = Effect.fnUntraced(function* () {
  assert.deepStrictEqual(yield* Effect.promise(() => leftIn(parent)), [], "the download folder is removed");
});

const sameRecords = (batches: ReadonlyArray<{ readonly records: ReadonlyArray<unknown> }>, generated: FakeDistrict.Generated) =>
  assert.deepStrictEqual(
    FakeDistrict.comparable(recordsOf(batches as never)),
    FakeDistrict.comparable(generated.records),
  );

describe.skipIf(skip !== null)("OneRosterSftpSource over a real sshd", () => {
  beforeAll(async () => {
    sshd = await TestSshd.start();
    parent = await downloadsParent();
  });
  afterAll(async () => {
    await sshd?.stop();
    await removeAll(parent);
  });

  describe("reads exports", () => {
    it.live("a zip named by remotePath, every record as generated, download removed", () =>
      Effect.gen(function* () {
        const d = district();
        const folder = yield* Effect.promise(() => remoteFolder());
        const zip = yield* Effect.promise(() => writeZip(join(folder, "2026-11-24.zip"), exportFiles(d)));
        const batches = yield* collect(source(zip));
        sameRecords(batches, d);
        assert.deepStrictEqual([...new Set(batches.map((b) => b.kind))], ["school", "class", "user", "enrollment"]);
        assert.deepStrictEqual(batches.flatMap((b) => b.issues), []);
        yield* assertClean();
      }));

    for (const parallelDownloads of [true, false]) {
      it.live(`a folder holding manifest.csv (${parallelDownloads ? "parallel reads" : "one stream per file"})`, () =>
        Effect.gen(function* () {
          const d = district();
          const folder = yield* Effect.promise(() => remoteFolder());
          yield* Effect.promise(() => writeOneRosterCsv(folder, { ...exportFiles(d), "README.txt": "not part of the export" }));
          const batches = yield* collect(source(folder, {}, { parallelDownloads }));
          sameRecords(batches, d);
          yield* assertClean();
        }));
    }

    it.live("the newest of several exports: by name (zip or folder), hidden entries and other files skipped", () =>
      Effect.gen(function* () {
        const drop = yield* Effect.promise(() => remoteFolder());
        const newest = district("new-", 31);
        yield* Effect.promise(async () => {
          await writeZip(join(drop, "2026-11-20.zip"), exportFiles(district("old-")));
          await writeOneRosterCsv(join(drop, "2026-11-22"), exportFiles(district("mid-")));
          await writeZip(join(drop, "2026-11-24.zip"), exportFiles(newest));
          await writeFile(join(drop, ".2026-12-01.zip.partial"), "not a zip");
          await writeFile(join(drop, ".2026-12-02.zip"), "hidden: still uploading");
          await writeFile(join(drop, "2026-12-03.zip.part"), "not a .zip name");
          await writeOneRosterCsv(drop, { "notes.txt": "a stray file" });
        });
        const batches = yield* collect(source(drop));
        sameRecords(batches, newest);
        const summary = yield* source(drop).testConnection;
        assert.strictEqual(summary, `SFTP 127.0.0.1:${sshd.port} ${drop}: 3 exports, newest 2026-11-24.zip`);
        yield* assertClean();
      }));

    it.live("two exports with the same date: the newer modification time wins (folder over zip here)", () =>
      Effect.gen(function* () {
        const drop = yield* Effect.promise(() => remoteFolder());
        const winner = district("later-");
        yield* Effect.promise(async () => {
          await writeZip(join(drop, "2026-11-25.zip"), exportFiles(district("earlier-")));
          await writeOneRosterCsv(join(drop, "2026-11-25"), exportFiles(winner));
          await utimes(join(drop, "2026-11-25.zip"), new Date("2026-11-25T06:00:00Z"), new Date("2026-11-25T06:00:00Z"));
          await utimes(join(drop, "2026-11-25"), new Date("2026-11-25T07:00:00Z"), new Date("2026-11-25T07:00:00Z"));
        });
        sameRecords(yield* collect(source(drop)), winner);
        yield* assertClean();
      }));

    it.live("an RSA PEM key read from privateKeyPath", () =>
      Effect.gen(function* () {
        const d = district();
        const folder = yield* Effect.promise(() => remoteFolder());
        const zip = yield* Effect.promise(() => writeZip(join(folder, "export.zip"), exportFiles(d)));
        const { privateKey: _key, ...rest } = sshd.settings();
        const batches = yield* collect(OneRosterSftpSource.make(
          { sftp: { ...rest, privateKeyPath: sshd.keys.rsa.path }, remotePath: zip },
          { tempDir: parent, ...FAST },
        ));
        sameRecords(batches, d);
        yield* assertClean();
      }));

    it.live("a key pasted with literal \\n sequences (as JSON fields often carry it)", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(() => writeOneRosterCsv(folder, exportFiles(district())));
        const escaped = sshd.keys.ed25519.privateKey.replaceAll("\n", "\\n");
        const summary = yield* source(folder, { privateKey: escaped }).testConnection;
        assert.match(summary, /export folder with manifest\.csv and 6 other CSV files$/);
      }));

    it.live("a second read of the same source downloads afresh (one source serves every run)", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(() => writeZip(join(folder, "2026-01-01.zip"), exportFiles(district("a-"))));
        const s = source(folder);
        sameRecords(yield* collect(s), district("a-"));
        const next = district("b-");
        yield* Effect.promise(() => writeZip(join(folder, "2026-01-02.zip"), exportFiles(next)));
        sameRecords(yield* collect(s), next);
        yield* assertClean();
      }));
  });

  describe("testConnection lists the path", () => {
    it.live("a zip, a folder export and a folder of exports; an unpinned host key is reported with its fingerprint", () =>
      Effect.gen(function* () {
        const drop = yield* Effect.promise(() => remoteFolder());
        const zip = yield* Effect.promise(() => writeZip(join(drop, "2026-11-24.zip"), exportFiles(district())));
        const prefix = `SFTP 127.0.0.1:${sshd.port}`;
        assert.match(yield* source(zip).testConnection, new RegExp(`^${prefix} ${zip}: zip export, \\d+\\.\\d kB, modified \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`));
        assert.strictEqual(yield* source(drop).testConnection, `${prefix} ${drop}: 1 export, newest 2026-11-24.zip`);
        const { hostKeySha256: _pin, ...unpinned } = sshd.settings();
        const open = yield* OneRosterSftpSource.make({ sftp: unpinned, remotePath: drop }, FAST).testConnection;
        assert.strictEqual(open, `${prefix} ${drop}: 1 export, newest 2026-11-24.zip; host key ssh-ed25519 ${sshd.hostKeySha256} is not pinned (set hostKeySha256 to verify it)`);
      }));
  });

  describe("host key pinning", () => {
    it.live("our fingerprint is the one ssh-keygen -lf prints", () =>
      Effect.gen(function* () {
        const { stdout } = yield* Effect.promise(() => promisify(execFile)("ssh-keygen", ["-lf", `${sshd.hostKey.path}.pub`]));
        assert.strictEqual(stdout.split(" ")[1], sshd.hostKeySha256);
      }));

    it.live("SHA256:base64, bare base64 (padded or not), hex and colon-separated hex all verify", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(() => writeOneRosterCsv(folder, exportFiles(district())));
        const digest = (SftpHostKey.parseFingerprint(sshd.hostKeySha256) as { digest: Buffer }).digest;
        const hex = digest.toString("hex");
        const forms = [
          sshd.hostKeySha256,
          sshd.hostKeySha256.slice("SHA256:".length),
          digest.toString("base64"),
          hex,
          hex.toUpperCase().match(/../g)!.join(":"),
        ];
        for (const hostKeySha256 of forms) {
          assert.match(yield* source(folder, { hostKeySha256 }).testConnection, /export folder/, hostKeySha256);
        }
      }));

    it.live("a different fingerprint: Forbidden naming both keys, no credential is tried, nothing downloaded", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(() => writeOneRosterCsv(folder, exportFiles(district())));
        const wrong = SftpHostKey.fingerprintOfPublicKeyLine(sshd.keys.stranger.publicKey);
        const logBefore = yield* Effect.promise(() => sshd.log());
        const error = yield* extractError(source(folder, { hostKeySha256: wrong }));
        assert.strictEqual(error.reason, "Forbidden");
        assert.strictEqual(
          error.message,
          `SFTP host key mismatch for 127.0.0.1:${sshd.port}: the server presented ssh-ed25519 ${sshd.hostKeySha256}, but hostKeySha256 is ${wrong}. Not connecting: if the server's key was changed on purpose, update hostKeySha256`,
        );
        const logAfter = (yield* Effect.promise(() => sshd.log())).slice(logBefore.length);
        assert.notMatch(logAfter, /publickey|Accepted|Failed/, "no authentication was attempted");
        const tested = yield* Effect.flip(source(folder, { hostKeySha256: wrong }).testConnection);
        assert.strictEqual(tested.reason, "Forbidden");
        yield* assertClean();
      }));
  });

  describe("distinct, clear failures", () => {
    it.live("a key the server does not know: Unauthorized naming the user, never the key", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        const error = yield* extractError(source(folder, { privateKey: sshd.keys.stranger.privateKey }));
        assert.strictEqual(error.reason, "Unauthorized");
        assert.strictEqual(error.message, `SFTP server 127.0.0.1:${sshd.port} rejected the credentials for user ${sshd.username} (tried private key)`);
        yield* assertClean();
      }));

    it.live("a password the server refuses: Unauthorized, and the password appears nowhere", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        const password = "correct-horse-battery-staple";
        const error = yield* extractError(OneRosterSftpSource.make({ sftp: withPassword(password), remotePath: folder }, { tempDir: parent, ...FAST }));
        assert.strictEqual(error.reason, "Unauthorized");
        assert.strictEqual(error.message, `SFTP server 127.0.0.1:${sshd.port} rejected the credentials for user ${sshd.username} (tried password)`);
        assert.notInclude(JSON.stringify(error), password);
        yield* assertClean();
      }));

    it.live("a missing remote path: NotFound, from extract and from testConnection", () =>
      Effect.gen(function* () {
        const missing = join(sshd.root, "no-such-folder");
        const error = yield* extractError(source(missing));
        assert.strictEqual(error.reason, "NotFound");
        assert.strictEqual(error.message, `SFTP path ${missing} does not exist on 127.0.0.1:${sshd.port}`);
        assert.strictEqual((yield* Effect.flip(source(missing).testConnection)).reason, "NotFound");
        yield* assertClean();
      }));

    it.live("a folder without any export, and a newest export without manifest.csv: BadInput", () =>
      Effect.gen(function* () {
        const empty = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(() => writeOneRosterCsv(empty, { "notes.txt": "nothing here" }));
        const none = yield* extractError(source(empty));
        assert.strictEqual(none.reason, "BadInput");
        assert.match(none.message, /^SFTP folder .* holds no export: no manifest\.csv, no \.zip and no dated sub-folder/);

        const drop = yield* Effect.promise(() => remoteFolder());
        yield* Effect.promise(async () => {
          await writeZip(join(drop, "2026-11-20.zip"), exportFiles(district()));
          await writeOneRosterCsv(join(drop, "2026-11-24"), { "users.csv": "sourcedId\n" });
        });
        const noManifest = yield* extractError(source(drop));
        assert.strictEqual(noManifest.reason, "BadInput");
        assert.match(noManifest.message, /^2026-11-24 \(newest of 2 exports in .*\) has no manifest\.csv/);
        yield* assertClean();
      }));

    it.live("a downloaded zip that is broken fails BadInput from the reader, and the download is removed", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        const { "manifest.csv": _m, ...withoutManifest } = exportFiles(district());
        const zip = yield* Effect.promise(() => writeZip(join(folder, "2026-11-24.zip"), withoutManifest));
        const error = yield* extractError(source(zip));
        assert.strictEqual(error.reason, "BadInput");
        assert.match(error.message, /^2026-11-24\.zip has no manifest\.csv/);
        yield* assertClean();
      }));

    it.live("nothing listening on the port: Transport", () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(() => TestSshd.freePort());
        const error = yield* extractError(source(sshd.root, { port }));
        assert.strictEqual(error.reason, "Transport");
        assert.strictEqual(error.message, `SFTP connection to 127.0.0.1:${port} was refused: no server is listening there`);
        yield* assertClean();
      }));

    it.live("a server that never completes the handshake: Timeout after readyTimeoutMs", () =>
      Effect.gen(function* () {
        const mute = yield* Effect.acquireRelease(Effect.promise(() => TcpProxy.silent()), (s) => Effect.promise(() => s.close()));
        const started = Date.now();
        const error = yield* extractError(source(sshd.root, { port: mute.port }, { readyTimeoutMs: 300 }));
        assert.strictEqual(error.reason, "Timeout");
        assert.strictEqual(error.message, `SFTP server 127.0.0.1:${mute.port} did not complete the SSH handshake within 0.3 s`);
        assert.isBelow(Date.now() - started, 3_000);
        yield* assertClean();
      }));

    it.live("a key that is not a key: Configuration, without quoting it", () =>
      Effect.gen(function* () {
        const junk = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n";
        const error = yield* extractError(source(sshd.root, { privateKey: junk }));
        assert.strictEqual(error.reason, "Configuration");
        assert.match(error.message, /^the SFTP private key for user .* could not be used/);
        assert.notInclude(error.message, "bm90IGEga2V5");
        const unreadable = yield* Effect.flip(OneRosterSftpSource.make({
          sftp: { host: "127.0.0.1", port: sshd.port, username: sshd.username, privateKeyPath: join(parent, "nope.key") },
          remotePath: "/x",
        }).testConnection);
        assert.strictEqual(unreadable.reason, "Configuration");
        assert.match(unreadable.message, /privateKeyPath .*nope\.key could not be read \(ENOENT\)$/);
      }));
  });

  describe("the private download folder", () => {
    /** A zip big enough (24 MB, stored) that a stall can be caught mid-transfer. */
    const bigExport = async (): Promise<{ readonly zip: string; readonly size: number }> => {
      const folder = await remoteFolder();
      const zip = await writeZip(join(folder, "2026-11-24.zip"), { ...exportFiles(district()), "padding.bin": randomBytes(24 * 1024 * 1024) }, { compress: false });
      return { zip, size: (await stat(zip)).size };
    };

    /** The first download folder under `parent` and the file being written in it, once one exists. */
    const downloading = async (): Promise<{ readonly dir: string; readonly file: string }> => {
      let found: { dir: string; file: string } | undefined;
      await until(async () => {
        const [dir] = await readdir(parent);
        if (dir === undefined) return false;
        const [file] = await readdir(join(parent, dir)).catch(() => []);
        if (file !== undefined) found = { dir: join(parent, dir), file: join(parent, dir, file) };
        return found !== undefined;
      });
      return found!;
    };

    const viaProxy = Effect.acquireRelease(
      Effect.promise(() => TcpProxy.start({ host: sshd.host, port: sshd.port })),
      (proxy) => Effect.promise(() => proxy.close()),
    );

    it.live("is private (0700) while the export downloads, and is removed when the stream is interrupted mid-download", () =>
      Effect.gen(function* () {
        const { zip, size } = yield* Effect.promise(bigExport);
        const proxy = yield* viaProxy;
        const fiber = yield* Effect.forkChild(Stream.runDrain(source(zip, { port: proxy.port }, { operationTimeoutMs: 60_000 }).extract));
        const { dir, file } = yield* Effect.promise(downloading);
        proxy.pause();
        assert.strictEqual((yield* Effect.promise(() => stat(dir))).mode & 0o777, 0o700);
        const partial = yield* Effect.promise(() => stat(file));
        assert.isBelow(partial.size, size, "the transfer was caught half-way");
        assert.strictEqual(partial.mode & 0o777, 0o600);
        const started = Date.now();
        yield* Fiber.interrupt(fiber);
        assert.isBelow(Date.now() - started, 2_500, "interruption does not wait for the stalled server");
        yield* assertClean();
      }));

    it.live("a transfer that stalls fails Timeout after operationTimeoutMs, and the partial download is removed", () =>
      Effect.gen(function* () {
        const { zip } = yield* Effect.promise(bigExport);
        const proxy = yield* viaProxy;
        const fiber = yield* Effect.forkChild(Effect.flip(collect(source(zip, { port: proxy.port }, { operationTimeoutMs: 400 }))));
        yield* Effect.promise(downloading);
        proxy.pause();
        const error: RosterSourceError = yield* Fiber.join(fiber);
        assert.strictEqual(error.reason, "Timeout");
        assert.strictEqual(error.message, `SFTP server 127.0.0.1:${proxy.port} stalled for 0.4 s while downloading ${zip}`);
        yield* assertClean();
      }));

    it.live("is removed when the consumer stops early (after the first batch)", () =>
      Effect.gen(function* () {
        const folder = yield* Effect.promise(() => remoteFolder());
        const zip = yield* Effect.promise(() => writeZip(join(folder, "2026-11-24.zip"), exportFiles(district())));
        const first = yield* Stream.runCollect(source(zip, {}, { batchSize: 5 }).extract.pipe(Stream.take(1)));
        assert.strictEqual([...first].length, 1);
        yield* assertClean();
      }));
  });
});
