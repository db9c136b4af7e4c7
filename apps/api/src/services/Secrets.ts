/**
 * Secret handling for provider configs: responses always show secret fields as `"***"`
 * (`redactConfig` from core), PATCH merges keep stored secrets that the client omits or sends
 * back redacted, and messages that may carry upstream text are scrubbed of the provider's
 * secret values before anyone sees them. A secret is kept only while its target stays: a PATCH that
 * moves a URL or SFTP host must send the secrets again.
 */
import { SECRET_FIELDS, configValueAt, redactConfig, scrubSecrets, secretValues, type ProviderType } from "@sis-sync/core";

export const REDACTED = "***";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The config with every present secret replaced by `"***"`. */
export const redacted = (providerType: ProviderType, config: unknown): Record<string, unknown> => {
  const copy = redactConfig(providerType, isPlainObject(config) ? config : {});
  return isPlainObject(copy) ? copy : {};
};

const secretPaths = (providerType: ProviderType): ReadonlySet<string> => new Set(SECRET_FIELDS[providerType]);

export { secretValues };

/**
 * Merges a PATCH's `config` into the stored one: nested objects merge, `null` removes a field, and
 * a secret field sent as `"***"` keeps the stored value. Omitted fields (secrets included) stay.
 */
export const mergeConfig = (providerType: ProviderType, stored: unknown, patch: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const secrets = secretPaths(providerType);
  const merge = (base: Record<string, unknown>, changes: Readonly<Record<string, unknown>>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(changes)) {
      const path = prefix === "" ? key : `${prefix}.${key}`;
      if (value === null) delete out[key];
      else if (value === REDACTED && secrets.has(path)) continue;
      else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = merge(out[key] as Record<string, unknown>, value, path);
      else out[key] = value;
    }
    return out;
  };
  return merge(isPlainObject(stored) ? stored : {}, patch, "");
};

/**
 * Fields that say where a provider's secrets go. A secret kept from the stored config must not
 * follow a change of them: a district admin could otherwise point `tokenUrl` or `sftp.host` at a
 * server of their own and read back a secret the API never shows.
 */
const TARGET_FIELDS: Readonly<Record<ProviderType, ReadonlyArray<string>>> = {
  CLEVER: [],
  CLASSLINK: ["tenantId", "baseUrl"],
  ONEROSTER_API: ["baseUrl", "tokenUrl"],
  ONEROSTER_CSV: ["sftp.host", "sftp.port"],
};

/**
 * The secrets a PATCH must send again: those the merged config keeps from the stored one (omitted
 * or sent as `"***"`) while a field saying where they go changed. One error per secret.
 */
export const secretsToResend = (
  providerType: ProviderType,
  stored: unknown,
  patch: Readonly<Record<string, unknown>>,
  merged: unknown,
): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  const moved = TARGET_FIELDS[providerType].filter((path) => configValueAt(stored, path) !== configValueAt(merged, path));
  if (moved.length === 0) return [];
  return SECRET_FIELDS[providerType].flatMap((path) => {
    const sent = configValueAt(patch, path);
    if (configValueAt(merged, path) === undefined || (typeof sent === "string" && sent !== REDACTED)) return [];
    return [{
      path: `config.${path}`,
      message: `must be sent again because ${moved.map((m) => `config.${m}`).join(" and ")} changed (a stored secret never follows a new target)`,
    }];
  });
};

/** A message safe to return: scrubbed, without control characters, at most `max` characters. */
export const safeMessage = (text: string, secrets: ReadonlyArray<string>, max = 400): string => {
  const clean = scrubSecrets(text, secrets).replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
};
