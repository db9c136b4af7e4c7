/**
 * A real OpenSSH `sshd` on 127.0.0.1 for SFTP tests of this package and of the apps: fresh host and
 * client keys (ssh-keygen: ed25519 and RSA PEM) in a temporary folder, a config that allows SFTP
 * only, a free port, and a `root` folder to put exports in. Runs as the current user; as root it
 * needs `/run/sshd` (created when missing), as STACK.md §6 explains. Start ~0.3 s: one per test file.
 */
import type { SftpSettings } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fingerprintOfPublicKeyLine } from "../../sftp/HostKey";

const run = promisify(execFile);

/** Where Debian's openssh-server puts sshd (it must be started by absolute path). */
export const SSHD_PATH = "/usr/sbin/sshd";

/** Why a real sshd cannot run here (to print when skipping), or null when it can. */
export const unavailableReason = (sshdPath: string = SSHD_PATH): string | null =>
  existsSync(sshdPath) ? null : `${sshdPath} does not exist (install openssh-server to run the SFTP tests)`;

export interface KeyPair {
  /** The private key file (OpenSSH format for ed25519, PEM for RSA). */
  readonly path: string;
  /** The private key text. */
  readonly privateKey: string;
  /** The public key line (`ssh-ed25519 AAAA… comment`). */
  readonly publicKey: string;
}

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  /** The only user that can log in: the one sshd runs as. */
  readonly username: string;
  /** An empty folder (world-readable) served over SFTP: put exports here and use absolute paths. */
  readonly root: string;
  /** The server's ed25519 host key fingerprint, exactly as `ssh-keygen -lf` prints it. */
  readonly hostKeySha256: string;
  readonly hostKey: KeyPair;
  /** Authorized client keys, and one that is not. */
  readonly keys: { readonly ed25519: KeyPair; readonly rsa: KeyPair; readonly stranger: KeyPair };
  /** Connection settings for this server: ed25519 key, pinned host key; override any field. */
  readonly settings: (overrides?: Partial<SftpSettings>) => SftpSettings;
  /** sshd's log so far. */
  readonly log: () => Promise<string>;
  /** Stops sshd and removes every file it used (the root folder included). */
  readonly stop: () => Promise<void>;
}

/** Where to find sshd, if not at `SSHD_PATH`. */
export interface StartOptions {
  readonly sshdPath?: string;
}

/** A port on 127.0.0.1 that was free a moment ago (nothing listens on it when this resolves). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const keygen = async (path: string, type: "ed25519" | "rsa"): Promise<KeyPair> => {
  const args = type === "rsa" ? ["-t", "rsa", "-b", "3072", "-m", "PEM"] : ["-t", "ed25519"];
  await run("ssh-keygen", ["-q", ...args, "-N", "", "-C", "sis-sync-test", "-f", path]);
  return { path, privateKey: await readFile(path, "utf8"), publicKey: (await readFile(`${path}.pub`, "utf8")).trim() };
};

/** `PerSourcePenalties` (OpenSSH 9.8+) would slow down a suite that fails logins on purpose. */
const supportsPenalties = async (sshdPath: string): Promise<boolean> => {
  const out = await run(sshdPath, ["-V"]).then((r) => r.stdout + r.stderr, (e: { stderr?: string }) => e.stderr ?? "");
  const match = /OpenSSH_(\d+)\.(\d+)/.exec(out);
  return match !== null && (Number(match[1]) > 9 || (Number(match[1]) === 9 && Number(match[2]) >= 8));
};

const configText = (dir: string, port: number, username: string, penalties: boolean): string =>
  [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    // The keys sit in a temporary folder; StrictModes would reject its permissions.
    "StrictModes no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    `AllowUsers ${username}`,
    // SFTP and nothing else: no shell, no forwarding.
    "Subsystem sftp internal-sftp",
    "ForceCommand internal-sftp",
    "PermitTTY no",
    "AllowTcpForwarding no",
    "AllowAgentForwarding no",
    "X11Forwarding no",
    "PermitTunnel no",
    "LogLevel INFO",
    ...(penalties ? ["PerSourcePenalties no"] : []),
    "",
  ].join("\n");

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Started = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly why: string };

/** Waits until sshd's log says it listens, or it exits, or 5 s pass. */
const awaitListening = async (child: ChildProcess, logPath: string, port: number): Promise<Started> => {
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const log = await readFile(logPath, "utf8").catch(() => "");
    if (log.includes(`Server listening on 127.0.0.1 port ${port}.`)) return { ok: true };
    if (/Bind to port \d+ .* failed|Address already in use/.test(log)) return { ok: false, retry: true, why: log.trim() };
    if (exited !== undefined) return { ok: false, retry: false, why: `sshd exited (${exited}): ${log.trim()}` };
    await delay(15);
  }
  return { ok: false, retry: false, why: "sshd did not report listening within 5 s" };
};

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), delay(3_000).then(() => false)]);
  if (!done) {
    child.kill("SIGKILL");
    await exited;
  }
};

/** Starts a fresh sshd. Throws (with sshd's log) if it cannot. */
export const start = async (options: StartOptions = {}): Promise<TestSshd> => {
  const sshdPath = options.sshdPath ?? SSHD_PATH;
  const reason = unavailableReason(sshdPath);
  if (reason !== null) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), "sis-sync-sshd-"));
  await chmod(dir, 0o755);
  try {
    const root = join(dir, "root");
    await mkdir(root, { mode: 0o755 });
    const [hostKey, ed25519, rsa, stranger, penalties] = await Promise.all([
      keygen(join(dir, "host_ed25519"), "ed25519"),
      keygen(join(dir, "client_ed25519"), "ed25519"),
      keygen(join(dir, "client_rsa"), "rsa"),
      keygen(join(dir, "stranger_ed25519"), "ed25519"),
      supportsPenalties(sshdPath),
    ]);
    await writeFile(join(dir, "authorized_keys"), `${ed25519.publicKey}\n${rsa.publicKey}\n`, { mode: 0o600 });
    const username = userInfo().username;
    // Root's sshd insists on its privilege separation folder (the package's service would create it).
    if (process.getuid?.() === 0) await mkdir("/run/sshd", { recursive: true, mode: 0o755 });

    const logPath = join(dir, "sshd.log");
    let child: ChildProcess | undefined;
    let port = 0;
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      const configPath = join(dir, "sshd_config");
      await writeFile(configPath, configText(dir, port, username, penalties));
      await writeFile(logPath, "");
      const candidate = spawn(sshdPath, ["-D", "-f", configPath, "-E", logPath], { stdio: "ignore" });
      candidate.on("error", () => {});
      const started = await awaitListening(candidate, logPath, port);
      if (started.ok) {
        child = candidate;
        break;
      }
      await stopChild(candidate);
      if (!started.retry || attempt >= 5) throw new Error(`could not start sshd: ${started.why}`);
    }
    const running = child;
    const killOnExit = () => running.kill("SIGKILL");
    process.once("exit", killOnExit);
    const hostKeySha256 = fingerprintOfPublicKeyLine(hostKey.publicKey);
    return {
      host: "127.0.0.1",
      port,
      username,
      root,
      hostKeySha256,
      hostKey,
      keys: { ed25519, rsa, stranger },
      settings: (overrides = {}) => ({
        host: "127.0.0.1",
        port,
        username,
        privateKey: ed25519.privateKey,
        hostKeySha256,
        ...overrides,
      }),
      log: () => readFile(logPath, "utf8").catch(() => ""),
      stop: async () => {
        process.removeListener("exit", killOnExit);
        await stopChild(running);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
};

/** The server as a scoped resource: started on acquire, stopped (and its files removed) on release. */
export const scoped = (options: StartOptions = {}) =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (sshd) => Effect.promise(() => sshd.stop()));
