/**
 * The worker's and the scheduler's settings, read from the environment (the README's Configuration table) with
 * the documented defaults. A malformed value is an error naming the variable, never a silent default.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { logLevelName } from "./Logging";

export interface WorkerConfig {
  /** Runs executed at once by this process (`MAX_CONCURRENT_SYNCS`, default 2). */
  readonly maxConcurrent: number;
  /** Lease length on database time (`SYNC_LOCK_TIMEOUT`, default 1 800 000 ms). */
  readonly leaseMs: number;
  /** Lease renewal period: a third of the lease. */
  readonly heartbeatMs: number;
  /** How often an idle worker looks for pending runs (`SYNC_POLL_INTERVAL`, default 2 000 ms). */
  readonly pollIntervalMs: number;
  /** How often runs whose lease ran out are ended (a third of the lease, 200 ms to 30 s). */
  readonly expireIntervalMs: number;
  /** On shutdown, how long running runs may take to finish before they are cancelled (`SYNC_SHUTDOWN_GRACE`, default 20 000 ms). */
  readonly shutdownGraceMs: number;
  /** After that, how long a cancelled run has to reach its next checkpoint before it is released (default 5 000 ms). */
  readonly cancelWindowMs: number;
  /** Recorded as the lease owner: host, pid and a random suffix. */
  readonly owner: string;
}

export interface SchedulerConfig {
  /** The scheduler re-reads providers at least this often (`SCHEDULE_REFRESH_INTERVAL`, default 60 000 ms); it also wakes at each slot. */
  readonly refreshMs: number;
}

export interface BackgroundConfig {
  /** `null` when `SIS_WORKER=off`. */
  readonly worker: WorkerConfig | null;
  /** `null` when `SIS_SCHEDULER=off`. */
  readonly scheduler: SchedulerConfig | null;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

const integer = (env: Env, name: string, fallback: number, min: number): number => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be at least ${min}, got ${raw}`);
  return value;
};

const flag = (env: Env, name: string): boolean => {
  const raw = (env[name] ?? "on").trim().toLowerCase();
  if (["on", "true", "1", "yes", ""].includes(raw)) return true;
  if (["off", "false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
};

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export const DEFAULTS = {
  maxConcurrent: 2,
  leaseMs: 1_800_000,
  pollIntervalMs: 2_000,
  shutdownGraceMs: 20_000,
  cancelWindowMs: 5_000,
  refreshMs: 60_000,
} as const;

/** A unique, non-secret lease owner for this process. */
export const ownerId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

/** Worker settings with the derived periods filled in. */
export const workerConfig = (options: Partial<WorkerConfig> = {}): WorkerConfig => {
  const leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
  return {
    maxConcurrent: options.maxConcurrent ?? DEFAULTS.maxConcurrent,
    leaseMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3)),
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    expireIntervalMs: options.expireIntervalMs ?? clamp(Math.floor(leaseMs / 3), 200, 30_000),
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs,
    cancelWindowMs: options.cancelWindowMs ?? DEFAULTS.cancelWindowMs,
    owner: options.owner ?? ownerId(),
  };
};

/**
 * Reads `MAX_CONCURRENT_SYNCS`, `SYNC_LOCK_TIMEOUT`, `SYNC_POLL_INTERVAL`, `SYNC_SHUTDOWN_GRACE`,
 * `SCHEDULE_REFRESH_INTERVAL`, `SIS_WORKER` and `SIS_SCHEDULER`, and checks `LOG_LEVEL`. Throws `ConfigError`.
 */
export const fromEnv = (env: Env = process.env): BackgroundConfig => {
  try {
    logLevelName(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const worker = flag(env, "SIS_WORKER")
    ? workerConfig({
      maxConcurrent: integer(env, "MAX_CONCURRENT_SYNCS", DEFAULTS.maxConcurrent, 1),
      leaseMs: integer(env, "SYNC_LOCK_TIMEOUT", DEFAULTS.leaseMs, 300),
      pollIntervalMs: integer(env, "SYNC_POLL_INTERVAL", DEFAULTS.pollIntervalMs, 10),
      shutdownGraceMs: integer(env, "SYNC_SHUTDOWN_GRACE", DEFAULTS.shutdownGraceMs, 0),
    })
    : null;
  const scheduler = flag(env, "SIS_SCHEDULER")
    ? { refreshMs: integer(env, "SCHEDULE_REFRESH_INTERVAL", DEFAULTS.refreshMs, 100) }
    : null;
  return { worker, scheduler };
};
