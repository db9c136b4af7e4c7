/**
 * The API's settings from the environment (the README's Configuration table): `PORT` (3000), `HOST`, `NODE_ENV`,
 * `SIS_ALLOW_PRIVATE_NETWORK`, `SIS_LOCAL_IMPORT_ROOT`, `LOG_LEVEL`. (The scheduler and worker that
 * run in the same process read their own: `SIS_WORKER`, `SIS_SCHEDULER`, `MAX_CONCURRENT_SYNCS`, ….)
 */
import { Logging } from "@sis-sync/scheduler";

export interface ApiSettings {
  readonly port: number;
  readonly host: string | undefined;
  readonly production: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly localImportRoot: string | null;
  readonly logLevel: "debug" | "info" | "warn" | "error";
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const flag = (value: string | undefined, fallback: boolean): boolean => {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`expected true or false, got "${value}"`);
};

export const settingsFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): ApiSettings => {
  const portText = env["PORT"]?.trim() || "3000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${portText}"`);
  let level: string;
  try {
    level = Logging.logLevelName(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  let allowPrivateNetwork: boolean;
  try {
    allowPrivateNetwork = flag(env["SIS_ALLOW_PRIVATE_NETWORK"], false);
  } catch (error) {
    throw new ConfigError(`SIS_ALLOW_PRIVATE_NETWORK: ${(error as Error).message}`);
  }
  return {
    port,
    host: env["HOST"]?.trim() || undefined,
    production: env["NODE_ENV"] === "production",
    allowPrivateNetwork,
    localImportRoot: env["SIS_LOCAL_IMPORT_ROOT"]?.trim() || null,
    logLevel: level === "debug" || level === "warn" || level === "error" ? level : level === "warning" ? "warn" : "info",
  };
};
