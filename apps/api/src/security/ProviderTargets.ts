/**
 * Applies the outbound and local-path rules to a provider config: which fields of which provider
 * type point somewhere (URLs, SFTP host, local paths), and what the API refuses about them.
 * Returns the config with local paths normalized, and one field error per refused field.
 */
import { ClassLinkRosterServer } from "@sis-sync/connectors-classlink";
import type { ProviderType } from "@sis-sync/core";
import type { FieldError } from "../http/Problem";
import { checkLocalPath, type LocalPathPolicy } from "./LocalPath";
import { OutboundUrl } from "@sis-sync/scheduler";

type OutboundPolicy = OutboundUrl.OutboundPolicy;
const { checkHost, checkUrl } = OutboundUrl;

export interface TargetPolicy {
  readonly outbound: OutboundPolicy;
  readonly localPaths: LocalPathPolicy;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The URLs a config makes the server call, as `[field path, url]`. ClassLink's URL is derived from
 * `tenantId` when `baseUrl` is absent (a dotted tenant id is taken as a host), so it is checked too.
 */
export type UrlField = { readonly path: string; readonly url: string } | { readonly path: string; readonly error: string };

export const urlFields = (providerType: ProviderType, config: unknown): ReadonlyArray<UrlField> => {
  if (!isObject(config)) return [];
  if (providerType === "ONEROSTER_API") {
    return (["baseUrl", "tokenUrl"] as const).flatMap((name) => {
      const url = config[name];
      return typeof url === "string" ? [{ path: `config.${name}`, url }] : [];
    });
  }
  if (providerType === "CLASSLINK") {
    const baseUrl = config["baseUrl"];
    if (typeof baseUrl === "string") return [{ path: "config.baseUrl", url: baseUrl }];
    const tenantId = config["tenantId"];
    if (typeof tenantId !== "string") return [];
    try {
      return [{ path: "config.tenantId", url: ClassLinkRosterServer.baseUrlFor({ tenantId }) }];
    } catch (error) {
      return [{ path: "config.tenantId", error: error instanceof Error ? error.message : String(error) }];
    }
  }
  return [];
};

export interface TargetCheck {
  readonly config: unknown;
  readonly errors: ReadonlyArray<FieldError>;
}

export interface TargetCheckOptions {
  /**
   * The stored config: local paths equal to the stored ones are not re-checked (they were checked
   * when set through the API, or set by an operator with the CLI, which may read any path).
   */
  readonly stored?: unknown;
}

const storedPath = (stored: unknown, ...path: ReadonlyArray<string>): unknown => {
  let node: unknown = stored;
  for (const part of path) node = isObject(node) ? node[part] : undefined;
  return node;
};

/** Checks every outbound target of a (schema-valid) config. */
export const checkProviderTargets = async (
  providerType: ProviderType,
  tenantId: string,
  config: unknown,
  policy: TargetPolicy,
  options: TargetCheckOptions = {},
): Promise<TargetCheck> => {
  const errors: Array<FieldError> = [];
  if (!isObject(config)) return { config, errors };
  const checkPath = (value: string, ...path: ReadonlyArray<string>) =>
    "stored" in options && storedPath(options.stored, ...path) === value ? { ok: true as const, path: value } : checkLocalPath(value, policy.localPaths, tenantId);
  const next: Record<string, unknown> = { ...config };
  for (const field of urlFields(providerType, config)) {
    if ("error" in field) {
      errors.push({ path: field.path, message: field.error });
      continue;
    }
    const verdict = await checkUrl(field.url, policy.outbound);
    if (!verdict.ok) errors.push({ path: field.path, message: verdict.reason });
  }
  if (providerType === "ONEROSTER_CSV") {
    if (typeof config["localPath"] === "string") {
      const verdict = checkPath(config["localPath"], "localPath");
      if (verdict.ok) next["localPath"] = verdict.path;
      else errors.push({ path: "config.localPath", message: verdict.reason });
    }
    const sftp = config["sftp"];
    if (isObject(sftp)) {
      const nextSftp: Record<string, unknown> = { ...sftp };
      if (typeof sftp["host"] === "string") {
        const verdict = await checkHost(sftp["host"], policy.outbound);
        if (!verdict.ok) errors.push({ path: "config.sftp.host", message: verdict.reason });
      }
      // A key file is read from this server's disk: the same rule as local imports.
      if (typeof sftp["privateKeyPath"] === "string") {
        const verdict = checkPath(sftp["privateKeyPath"], "sftp", "privateKeyPath");
        if (verdict.ok) nextSftp["privateKeyPath"] = verdict.path;
        else errors.push({ path: "config.sftp.privateKeyPath", message: verdict.reason });
      }
      next["sftp"] = nextSftp;
    }
  }
  return { config: next, errors };
};
