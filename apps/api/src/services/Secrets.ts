/**
 * Secret handling for provider configs: responses always show secret fields as `"***"`
 * (`redactConfig` from core), PATCH merges keep stored secrets that the client omits or sends
 * back redacted, and messages that may carry upstream text are scrubbed of the provider's
 * secret values before anyone sees them.
 */
import { SECRET_FIELDS, redactConfig, type ProviderType } from "@sis-sync/core";

export const REDACTED = "***";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The config with every present secret replaced by `"***"`. */
export const redacted = (providerType: ProviderType, config: unknown): Record<string, unknown> => {
  const copy = redactConfig(providerType, isPlainObject(config) ? config : {});
  return isPlainObject(copy) ? copy : {};
};

const secretPaths = (providerType: ProviderType): ReadonlySet<string> => new Set(SECRET_FIELDS[providerType]);

/** Every secret value present in a config (for scrubbing). */
export const secretValues = (providerType: ProviderType, config: unknown): ReadonlyArray<string> => {
  const out: Array<string> = [];
  for (const path of SECRET_FIELDS[providerType]) {
    let node: unknown = config;
    for (const part of path.split(".")) node = isPlainObject(node) ? node[part] : undefined;
    if (typeof node === "string" && node.length > 0) out.push(node);
  }
  return out;
};

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

/** Replaces every occurrence of a secret (raw or URL-encoded) with `"***"`. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
};

/** A message safe to return: scrubbed, without control characters, at most `max` characters. */
export const safeMessage = (text: string, secrets: ReadonlyArray<string>, max = 400): string => {
  const clean = scrub(text, secrets).replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
};
