/**
 * The OneRoster 1.1 CSV adapter of the `RosterSource` port over SFTP: each read connects, finds the
 * newest export under `remotePath`, downloads it into a private temporary folder (mode 0700), reads
 * it with the local CSV reader and removes the folder when the stream ends, fails or is interrupted.
 */
import { decodeProviderConfig, RosterSource, RosterSourceError, type RosterSourceShape, type SftpSettings } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ExportReader from "../csv/ExportReader";
import * as HostKey from "./HostKey";
import * as RemoteExport from "./RemoteExport";
import * as SftpSession from "./SftpSession";

/** Tuning of a read; every field has a default. */
export interface OneRosterSftpOptions {
  /** Most records per batch; `DEFAULT_BATCH_SIZE` when omitted. */
  readonly batchSize?: number;
  /** TCP connect plus SSH handshake and authentication. Default 20 s. */
  readonly readyTimeoutMs?: number;
  /** Longest wait for one remote operation (a listing, or the next chunk of a download). Default 30 s. */
  readonly operationTimeoutMs?: number;
  /** Where the private download folder is created. Default: the OS temporary folder. */
  readonly tempDir?: string;
  /**
   * Download with parallel reads (ssh2 `fastGet`, much faster over long distances). Default true; set
   * false for the rare server that mishandles concurrent reads: each file is then streamed in order.
   */
  readonly parallelDownloads?: boolean;
  /**
   * Resolves and checks the host when connecting, and gives the address to connect to (rejecting
   * with a `RosterSourceError` refuses the host). A service that lets tenants name hosts passes its
   * outbound rules here, so the address checked is the one connected to. Default: connect by name.
   */
  readonly connectTo?: (host: string) => Promise<string>;
}

/** Records per batch when `batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = ExportReader.DEFAULT_BATCH_SIZE;
/** Connect, handshake and authentication, when `readyTimeoutMs` is not given. */
export const DEFAULT_READY_TIMEOUT_MS = 20_000;
/** One listing, or the wait for the next download chunk, when `operationTimeoutMs` is not given. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;
/** Prefix of the private download folders (`<tempDir>/sis-sync-sftp-XXXXXX`). */
export const TEMP_PREFIX = "sis-sync-sftp-";

const configError = (message: string) => new RosterSourceError({ reason: "Configuration", message });

const CONFIG_SHAPE = "{ sftp: { host, port?, username, privateKey? | privateKeyPath? | password?, hostKeySha256? }, remotePath }";

/** Keys pasted into a JSON field often arrive with literal `\n`s: restore the line breaks. */
const normalizeKeyText = (text: string): string =>
  !text.includes("\n") && text.includes("\\n") ? text.replaceAll("\\r\\n", "\n").replaceAll("\\n", "\n") : text;

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw configError(`${name} must be a positive number, got ${value}`);
  return value;
};

interface Resolved {
  readonly session: SftpSession.Settings;
  readonly remotePath: string;
  readonly batchSize: number;
  readonly tempDir: string;
}

/** Checks the config and options once, up front; throws a `Configuration` error naming the problem. */
const resolveSettings = (sftp: SftpSettings, remotePath: string, options: OneRosterSftpOptions): Resolved => {
  const { privateKey, privateKeyPath, password, hostKeySha256 } = sftp;
  if (privateKey === undefined && privateKeyPath === undefined && password === undefined) {
    throw configError("SFTP config needs a credential: privateKey, privateKeyPath or password");
  }
  if (privateKey !== undefined && privateKeyPath !== undefined) {
    throw configError("SFTP config has both privateKey and privateKeyPath: set only one");
  }
  let hostKey: Buffer | null = null;
  if (hostKeySha256 !== undefined) {
    const parsed = HostKey.parseFingerprint(hostKeySha256);
    if (!parsed.ok) throw configError(parsed.problem);
    hostKey = parsed.digest;
  }
  const batchSize = positive("batchSize", options.batchSize, DEFAULT_BATCH_SIZE);
  if (!Number.isInteger(batchSize)) throw configError(`batchSize must be a positive integer, got ${batchSize}`);
  const keyText = privateKey === undefined ? null : normalizeKeyText(privateKey);
  return {
    remotePath: remotePath.trim(),
    batchSize,
    tempDir: resolve(options.tempDir ?? tmpdir()),
    session: {
      host: sftp.host.trim(),
      port: sftp.port ?? 22,
      username: sftp.username,
      password: password ?? null,
      hostKey,
      readyTimeoutMs: positive("readyTimeoutMs", options.readyTimeoutMs, DEFAULT_READY_TIMEOUT_MS),
      operationTimeoutMs: positive("operationTimeoutMs", options.operationTimeoutMs, DEFAULT_OPERATION_TIMEOUT_MS),
      parallelDownloads: options.parallelDownloads ?? true,
      connectTo: options.connectTo ?? null,
      secrets: [password, privateKey, keyText].filter((s): s is string => s !== undefined && s !== null),
      loadPrivateKey: async () => {
        if (keyText !== null) return keyText;
        if (privateKeyPath === undefined) return null;
        try {
          return await readFile(privateKeyPath);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
          throw configError(`SFTP privateKeyPath ${privateKeyPath} could not be read (${code})`);
        }
      },
    },
  };
};

/**
 * Runs `run` with an abort signal; interrupting the effect aborts the signal and then waits until
 * the promise has settled, so nothing is still writing when the download folder is removed.
 */
const untilSettled = <A>(run: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, RosterSourceError> =>
  Effect.callback<A, RosterSourceError>((resume) => {
    const controller = new AbortController();
    const work = Promise.resolve().then(() => run(controller.signal));
    work.then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => resume(Effect.fail(ExportReader.toSourceError(error))),
    );
    return Effect.promise(() => {
      controller.abort();
      return work.then(() => undefined, () => undefined);
    });
  });

const withSession = async <A>(r: Resolved, signal: AbortSignal, use: (session: SftpSession.Session) => Promise<A>): Promise<A> => {
  const session = await SftpSession.open(r.session, signal);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
};

/** Connects, finds the newest export and downloads it into `dir`; resolves to the local path. */
const fetchExport = (r: Resolved, dir: string, signal: AbortSignal): Promise<string> =>
  withSession(r, signal, async (session) => RemoteExport.download(session, await RemoteExport.locate(session, r.remotePath), dir));

const describeRemote = (r: Resolved, signal: AbortSignal): Promise<string> =>
  withSession(r, signal, async (session) => {
    const located = await RemoteExport.locate(session, r.remotePath);
    const pin = r.session.hostKey === null
      ? `; host key ${session.hostKey.type} ${session.hostKey.fingerprint} is not pinned (set hostKeySha256 to verify it)`
      : "";
    return `SFTP ${session.where} ${r.remotePath}: ${RemoteExport.describe(located)}${pin}`;
  });

/** A new private folder (mode 0700) for one download. */
const privateDir = Effect.fn("OneRosterSftpSource.privateDir")(function* (parent: string) {
  return yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const dir = await mkdtemp(join(parent, TEMP_PREFIX));
        await chmod(dir, 0o700);
        return dir;
      },
      catch: (error) => configError(`cannot create a private download folder in ${parent}: ${(error as Error).message}`),
    }),
    (dir) =>
      Effect.tryPromise(() => rm(dir, { recursive: true, force: true, maxRetries: 3 })).pipe(
        Effect.catch((error) => Effect.logWarning(`could not remove the SFTP download folder ${dir}: ${String(error)}`)),
      ),
  );
});

/** A source that fails every call with `error` (an unusable config is reported when used, not when built). */
const failing = (error: RosterSourceError): RosterSourceShape =>
  RosterSource.of({ extract: Stream.fail(error), testConnection: Effect.fail(error) });

/** The source over resolved settings. */
const fromResolved = (r: Resolved): RosterSourceShape =>
  RosterSource.of({
    extract: Stream.unwrap(
      Effect.gen(function* () {
        // Released when the stream ends, fails or is interrupted (the stream's scope).
        const dir = yield* privateDir(r.tempDir);
        const local = yield* untilSettled((signal) => fetchExport(r, dir, signal));
        return Stream.fromAsyncIterable(ExportReader.readExport(local, { batchSize: r.batchSize }), (error) => ExportReader.toSourceError(error));
      }),
    ),
    testConnection: untilSettled((signal) => describeRemote(r, signal)).pipe(Effect.withSpan("OneRosterSftpSource.testConnection")),
  });

/**
 * The adapter for an `ONEROSTER_CSV` provider whose config has `sftp` (a `OneRosterCsvSftpConfig`),
 * decoded here so a stored config that no longer fits fails the run with a `Configuration` error.
 */
export const make = (config: unknown, options: OneRosterSftpOptions = {}): RosterSourceShape => {
  const decoded = decodeProviderConfig("ONEROSTER_CSV", config);
  const value = Exit.isSuccess(decoded) ? (decoded.value as { readonly sftp?: SftpSettings; readonly remotePath?: string }) : null;
  if (value === null || value.sftp === undefined || value.remotePath === undefined) {
    // The schema's own message may quote a mistyped secret, so only the expected shape is named.
    return failing(configError(`OneRoster CSV over SFTP config is invalid: expected ${CONFIG_SHAPE}`));
  }
  try {
    return fromResolved(resolveSettings(value.sftp, value.remotePath, options));
  } catch (error) {
    return failing(error instanceof RosterSourceError ? error : configError(String(error)));
  }
};

/**
 * `RosterSource` reading the newest OneRoster 1.1 CSV export from an SFTP server.
 *
 * @example
 * ```ts
 * const source = OneRosterSftpSource.layer({
 *   sftp: { host: "sftp.example.org", username: "district42", privateKeyPath: "/run/secrets/sftp_key",
 *           hostKeySha256: "SHA256:1ZNeY59V5zEws3MKD1fPyQR3qUvr+bQnP600E1H2YrE" },
 *   remotePath: "/exports",
 * })
 * yield* RunExecutor.execute(run, provider).pipe(Effect.provide(source))
 * ```
 */
export const layer = (config: unknown, options: OneRosterSftpOptions = {}): Layer.Layer<RosterSource> =>
  Layer.succeed(RosterSource, make(config, options));
