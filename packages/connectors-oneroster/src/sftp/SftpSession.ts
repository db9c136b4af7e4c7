/**
 * One SFTP connection for one read: connects with ssh2-sftp-client, pins the host key when a
 * fingerprint is configured, and turns every failure into a `RosterSourceError` whose message names
 * the server and the cause but never a password or key. Each remote operation has a timeout (for a
 * download: an idle timeout, reset by every chunk), and aborting the signal drops the connection.
 */
import { RosterSourceError, type SourceErrorReason } from "@sis-sync/core";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type * as Ssh2 from "ssh2";
import SftpClient from "ssh2-sftp-client";
import * as HostKey from "./HostKey";

/** How to reach and authenticate to the server, resolved from the provider config. */
export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Loads the private key (from the config or `privateKeyPath`) when connecting; null for none. */
  readonly loadPrivateKey: () => Promise<string | Buffer | null>;
  readonly password: string | null;
  /** The configured host key digest; null accepts any host key. */
  readonly hostKey: Buffer | null;
  readonly readyTimeoutMs: number;
  readonly operationTimeoutMs: number;
  /** Parallel reads (ssh2 `fastGet`); false streams each file with one read at a time. */
  readonly parallelDownloads: boolean;
  /** Strings that must never appear in a message (password, key text). */
  readonly secrets: ReadonlyArray<string>;
  /**
   * The address to connect to for `host`, resolved and checked at connect time (it rejects with a
   * `RosterSourceError` to refuse); null connects to `host` by name. Connecting to the address that
   * was checked leaves no second DNS answer to rebind to an inward one.
   */
  readonly connectTo: ((host: string) => Promise<string>) | null;
}

export type EntryType = "file" | "folder" | "other";

export interface RemoteEntry {
  readonly name: string;
  readonly type: EntryType;
  readonly size: number;
  /** Modification time in ms since the epoch. */
  readonly mtimeMs: number;
}

export interface Session {
  /** `host:port`, for messages. */
  readonly where: string;
  /** The host key the server presented. */
  readonly hostKey: { readonly type: string; readonly fingerprint: string };
  /** The entry at `path` (symbolic links followed), or null when nothing is there. */
  readonly stat: (path: string) => Promise<RemoteEntry | null>;
  /** A folder's entries (symbolic links resolved; dangling ones left out), `.` and `..` excluded. */
  readonly list: (path: string) => Promise<ReadonlyArray<RemoteEntry>>;
  /** Downloads `remote` to the new file `local`; resolves once the local file is closed. */
  readonly download: (remote: string, local: string) => Promise<void>;
  /** Ends the connection; waits (briefly) for any transfer still winding down. Never throws. */
  readonly close: () => Promise<void>;
}

const fail = (reason: SourceErrorReason, message: string) => new RosterSourceError({ reason, message });

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/** Removes any secret that found its way into a message (defence in depth: ours never quote one). */
export const scrub = (message: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((text, secret) => (secret.length >= 4 ? text.split(secret).join("***") : text), message);

interface RawError {
  readonly message?: string;
  readonly code?: string | number;
  readonly level?: string;
}

const rawOf = (error: unknown): RawError =>
  typeof error === "object" && error !== null ? (error as RawError) : { message: String(error) };

const methodsOf = (s: Settings, key: boolean): string =>
  [key ? "private key" : null, s.password === null ? null : "password"].filter((m) => m !== null).join(" and ");

/** Why `connect` failed, most specific first. */
const connectError = (s: Settings, where: string, events: ReadonlyArray<RawError>, thrown: unknown, key: boolean): RosterSourceError => {
  const all = [...events, rawOf(thrown)];
  const has = (test: (e: RawError) => boolean) => all.some(test);
  const codes = new Set(all.map((e) => e.code));
  if (has((e) => e.level === "client-authentication")) {
    return fail("Unauthorized", `SFTP server ${where} rejected the credentials for user ${s.username} (tried ${methodsOf(s, key)})`);
  }
  if (has((e) => e.level === "client-timeout")) {
    return fail("Timeout", `SFTP server ${where} did not complete the SSH handshake within ${seconds(s.readyTimeoutMs)}`);
  }
  if (codes.has("ECONNREFUSED")) return fail("Transport", `SFTP connection to ${where} was refused: no server is listening there`);
  if (codes.has("ENOTFOUND") || codes.has("EAI_AGAIN") || has((e) => e.level === "client-dns")) {
    return fail("Transport", `SFTP host ${s.host} could not be resolved`);
  }
  if (codes.has("EHOSTUNREACH") || codes.has("ENETUNREACH")) return fail("Transport", `SFTP host ${where} is unreachable`);
  if (codes.has("ETIMEDOUT")) return fail("Timeout", `SFTP connection to ${where} timed out`);
  if (codes.has("ECONNRESET") || codes.has("EPIPE")) {
    return fail("Transport", `SFTP server ${where} closed the connection during the SSH handshake`);
  }
  const parse = all.find((e) => /parse privateKey|privateKey value|passphrase/i.test(e.message ?? ""));
  if (parse !== undefined) {
    return fail("Configuration", `the SFTP private key for user ${s.username} could not be used: ${
      /passphrase/i.test(parse.message ?? "") ? "it is encrypted, and passphrases are not supported" : "it is not a private key in a supported format (OpenSSH, PEM or PPK)"
    }`);
  }
  const detail = (all.find((e) => e.level !== undefined) ?? all[all.length - 1])?.message ?? "unknown error";
  return fail("Transport", scrub(`SFTP connection to ${where} failed: ${detail.replace(/^getConnection: /, "")}`, s.secrets));
};

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7) and the errno names ssh2-sftp-client uses. */
const isMissing = (e: RawError) => e.code === 2 || e.code === "ENOENT" || /no such file/i.test(e.message ?? "");
const isDenied = (e: RawError) => e.code === 3 || e.code === "EACCES" || /permission denied/i.test(e.message ?? "");

const toEntryType = (attrs: { isDirectory(): boolean; isFile(): boolean }): EntryType =>
  attrs.isDirectory() ? "folder" : attrs.isFile() ? "file" : "other";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Connects and authenticates. Rejects with a `RosterSourceError`. */
export const open = async (s: Settings, signal: AbortSignal): Promise<Session> => {
  const where = `${s.host}:${s.port}`;
  const cancelled = () => fail("Cancelled", `SFTP read from ${where} was cancelled`);
  if (signal.aborted) throw cancelled();
  const address = s.connectTo === null ? s.host : await s.connectTo(s.host);

  let privateKey: string | Buffer | null;
  try {
    privateKey = await s.loadPrivateKey();
  } catch (error) {
    if (error instanceof RosterSourceError) throw error;
    throw fail("Configuration", `the SFTP private key could not be read: ${scrub(rawOf(error).message ?? "", s.secrets)}`);
  }
  if (signal.aborted) throw cancelled();

  // No global listeners that print: every event is reported through the promises below.
  const client = new SftpClient("sis-sync", { error: () => {}, end: () => {}, close: () => {} });
  // ssh2-sftp-client keeps its ssh2 Client here; destroying it is the only way to stop a stalled transfer.
  const ssh = (client as unknown as { readonly client: Ssh2.Client }).client;
  const events: Array<RawError> = [];
  client.on("error", (error: unknown) => events.push(rawOf(error)));
  // Small request/response exchanges: without this, delayed ACKs cost ~40 ms per round trip.
  ssh.on("connect", () => ssh.setNoDelay(true));
  let presented: Buffer | null = null;
  let mismatch = false;
  let broken: RosterSourceError | null = null;
  /** Rejecters of the operations in progress: a dropped connection fails them all at once. */
  const pending = new Set<(error: RosterSourceError) => void>();
  const closed = new Promise<void>((resolve) => ssh.once("close", () => resolve()));
  const destroy = (why: RosterSourceError) => {
    broken ??= why;
    ssh.destroy();
    for (const reject of pending) reject(broken);
  };
  const onAbort = () => destroy(cancelled());
  signal.addEventListener("abort", onAbort, { once: true });

  let wrapper: Ssh2.SFTPWrapper;
  try {
    wrapper = await client.connect({
      host: address,
      port: s.port,
      username: s.username,
      readyTimeout: s.readyTimeoutMs,
      ...(privateKey === null ? {} : { privateKey }),
      ...(s.password === null ? {} : { password: s.password }),
      tryKeyboard: false,
      hostVerifier: (key: Buffer): boolean => {
        presented = Buffer.from(key);
        if (s.hostKey === null || HostKey.matches(key, s.hostKey)) return true;
        mismatch = true;
        return false;
      },
    });
  } catch (error) {
    signal.removeEventListener("abort", onAbort);
    ssh.destroy();
    if (signal.aborted) throw cancelled();
    if (mismatch && presented !== null && s.hostKey !== null) {
      const blob: Buffer = presented;
      throw fail("Forbidden", `SFTP host key mismatch for ${where}: the server presented ${HostKey.keyTypeOf(blob)} ${
        HostKey.fingerprintOf(blob)
      }, but hostKeySha256 is ${HostKey.formatDigest(s.hostKey)}. Not connecting: if the server's key was changed on purpose, update hostKeySha256`);
    }
    throw connectError(s, where, events, error, privateKey !== null);
  }
  const hostBlob: Buffer = presented ?? Buffer.alloc(0);
  // ssh2 emits protocol errors on the SFTP channel itself; unheard, they would crash the process.
  wrapper.on("error", (error: unknown) =>
    destroy(fail("Transport", scrub(`SFTP session with ${where} failed: ${rawOf(error).message ?? "unknown error"}`, s.secrets))));

  const inflight = new Set<Promise<unknown>>();
  const track = <A>(promise: Promise<A>): Promise<A> => {
    inflight.add(promise);
    void promise.then(() => inflight.delete(promise), () => inflight.delete(promise));
    return promise;
  };

  const opError = (what: string, path: string, error: unknown): RosterSourceError => {
    if (error instanceof RosterSourceError) return error;
    if (signal.aborted) return cancelled();
    if (broken !== null) return broken;
    const raw = rawOf(error);
    if (isMissing(raw)) return fail("NotFound", `SFTP path ${path} does not exist on ${where}`);
    if (isDenied(raw)) return fail("Forbidden", `SFTP server ${where} denied user ${s.username} access to ${path}`);
    if (/close|end event|No response|not connected|No SFTP connection/i.test(raw.message ?? "")) {
      return fail("Transport", `SFTP connection to ${where} was lost while ${what} ${path}`);
    }
    return fail("Transport", scrub(`SFTP ${what} ${path} on ${where} failed: ${raw.message ?? "unknown error"}`, s.secrets));
  };

  /**
   * Runs one remote operation under the timeout: `touch` re-arms it (a download calls it per chunk).
   * On a timeout the connection is dropped, so the operation cannot linger.
   */
  const guarded = <A>(what: string, path: string, run: (touch: () => void) => Promise<A>): Promise<A> => {
    if (broken !== null) return Promise.reject(broken);
    return new Promise<A>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          destroy(fail("Timeout", `SFTP server ${where} stalled for ${seconds(s.operationTimeoutMs)} while ${what} ${path}`));
        }, s.operationTimeoutMs);
      };
      pending.add(reject);
      touch();
      const work = track(Promise.resolve().then(() => run(touch)));
      work
        .then(resolve, (error: unknown) => reject(opError(what, path, error)))
        .finally(() => {
          clearTimeout(timer);
          pending.delete(reject);
        });
    });
  };

  const stat = (path: string): Promise<RemoteEntry | null> =>
    guarded("reading", path, () =>
      new Promise<RemoteEntry | null>((resolve, reject) => {
        wrapper.stat(path, (error, attrs) => {
          if (error !== undefined && error !== null) {
            if (isMissing(rawOf(error))) resolve(null);
            else reject(error);
            return;
          }
          const name = path.replace(/\/+$/, "").split("/").pop() ?? path;
          resolve({ name, type: toEntryType(attrs), size: attrs.size, mtimeMs: attrs.mtime * 1000 });
        });
      }));

  const list = async (path: string): Promise<ReadonlyArray<RemoteEntry>> => {
    const listing = await guarded("listing", path, () => client.list(path));
    const entries: Array<RemoteEntry> = [];
    for (const item of listing) {
      if (item.name === "." || item.name === "..") continue;
      if (item.type === "l") {
        const target = await stat(`${path.replace(/\/+$/, "")}/${item.name}`);
        if (target !== null) entries.push({ ...target, name: item.name });
        continue;
      }
      entries.push({
        name: item.name,
        type: item.type === "d" ? "folder" : item.type === "-" ? "file" : "other",
        size: item.size,
        mtimeMs: item.modifyTime,
      });
    }
    return entries;
  };

  const download = (remote: string, local: string): Promise<void> =>
    guarded("downloading", remote, (touch) =>
      s.parallelDownloads
        ? new Promise<void>((resolve, reject) => {
          // ssh2 calls back only once its local file is closed, also when the connection dies.
          wrapper.fastGet(remote, local, { step: () => touch(), mode: 0o600 }, (error) => (error ? reject(error) : resolve()));
        })
        : pipeline(
          wrapper.createReadStream(remote).on("data", () => touch()),
          createWriteStream(local, { flags: "wx", mode: 0o600 }),
        ));

  const close = async (): Promise<void> => {
    signal.removeEventListener("abort", onAbort);
    if (broken === null) await Promise.race([client.end().catch(() => false), delay(2_000)]);
    ssh.destroy();
    // A transfer cut off by the dropped connection closes its local file right away, but ssh2's
    // fastGet may never call back (it waits for a remote close that cannot come): bound the wait.
    await Promise.race([Promise.allSettled([...inflight]), closed.then(() => delay(50)), delay(2_000)]);
  };

  return { where, hostKey: { type: HostKey.keyTypeOf(hostBlob), fingerprint: HostKey.fingerprintOf(hostBlob) }, stat, list, download, close };
};
