/**
 * Provider configurations (contract: the shapes the API accepts, apps/api/README.md): one shape per provider type, decoded at the
 * edges. Secret fields are listed so every response and log can redact them.
 */
import * as Cause from "effect/Cause";
import * as Exit from "effect/Exit";
import * as Schema from "effect/Schema";

export const PROVIDER_TYPES = ["CLEVER", "CLASSLINK", "ONEROSTER_API", "ONEROSTER_CSV"] as const;
export const ProviderType = Schema.Literals(PROVIDER_TYPES);
export type ProviderType = typeof ProviderType.Type;

const NonEmpty = Schema.String.pipe(Schema.check(Schema.isMinLength(1, { message: "must not be empty" })));

export const CleverConfig = Schema.Struct({
  clientId: NonEmpty,
  clientSecret: NonEmpty,
  districtId: NonEmpty,
  accessToken: Schema.optionalKey(NonEmpty),
});
export type CleverConfig = typeof CleverConfig.Type;

export const ClassLinkConfig = Schema.Struct({
  clientId: NonEmpty,
  clientSecret: NonEmpty,
  tenantId: NonEmpty,
  baseUrl: Schema.optionalKey(NonEmpty),
});
export type ClassLinkConfig = typeof ClassLinkConfig.Type;

export const OneRosterApiConfig = Schema.Struct({
  baseUrl: NonEmpty,
  clientId: NonEmpty,
  clientSecret: NonEmpty,
  authMethod: Schema.optionalKey(Schema.Literals(["oauth1", "oauth2"])),
  signatureMethod: Schema.optionalKey(Schema.Literals(["HMAC-SHA256", "HMAC-SHA1"])),
  tokenUrl: Schema.optionalKey(NonEmpty),
});
export type OneRosterApiConfig = typeof OneRosterApiConfig.Type;

export const SftpSettings = Schema.Struct({
  host: NonEmpty,
  port: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 65535 })))),
  username: NonEmpty,
  privateKeyPath: Schema.optionalKey(NonEmpty),
  privateKey: Schema.optionalKey(NonEmpty),
  password: Schema.optionalKey(NonEmpty),
  hostKeySha256: Schema.optionalKey(NonEmpty),
});
export type SftpSettings = typeof SftpSettings.Type;

export const OneRosterCsvSftpConfig = Schema.Struct({ sftp: SftpSettings, remotePath: NonEmpty });
export const OneRosterCsvLocalConfig = Schema.Struct({ localPath: NonEmpty });
export const OneRosterCsvConfig = Schema.Union([OneRosterCsvSftpConfig, OneRosterCsvLocalConfig]);
export type OneRosterCsvConfig = typeof OneRosterCsvConfig.Type;

export const configSchemaFor = {
  CLEVER: CleverConfig,
  CLASSLINK: ClassLinkConfig,
  ONEROSTER_API: OneRosterApiConfig,
  ONEROSTER_CSV: OneRosterCsvConfig,
} as const;

export type ProviderConfig =
  | { readonly providerType: "CLEVER"; readonly config: CleverConfig }
  | { readonly providerType: "CLASSLINK"; readonly config: ClassLinkConfig }
  | { readonly providerType: "ONEROSTER_API"; readonly config: OneRosterApiConfig }
  | { readonly providerType: "ONEROSTER_CSV"; readonly config: OneRosterCsvConfig };

/** Paths (dot-separated) of write-only fields; responses show them redacted. */
export const SECRET_FIELDS: Readonly<Record<ProviderType, ReadonlyArray<string>>> = {
  CLEVER: ["clientSecret", "accessToken"],
  CLASSLINK: ["clientSecret"],
  ONEROSTER_API: ["clientSecret"],
  ONEROSTER_CSV: ["sftp.privateKey", "sftp.password"],
};

export const ProviderOptions = Schema.Struct({
  createUsers: Schema.optionalKey(Schema.Boolean),
  safeguardPercent: Schema.optionalKey(Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 100 })))),
  requestsPerMinute: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 100_000 })))),
});
export type ProviderOptions = typeof ProviderOptions.Type;

export const DEFAULT_SAFEGUARD_PERCENT = 20;

export interface ResolvedOptions {
  readonly createUsers: boolean;
  readonly safeguardPercent: number;
  readonly requestsPerMinute: number | null;
}

export const resolveOptions = (options: ProviderOptions | undefined): ResolvedOptions => ({
  createUsers: options?.createUsers ?? true,
  safeguardPercent: options?.safeguardPercent ?? DEFAULT_SAFEGUARD_PERCENT,
  requestsPerMinute: options?.requestsPerMinute ?? null,
});

/** Decodes a config for its provider type; the error message names the offending field. */
export const decodeProviderConfig = (providerType: ProviderType, config: unknown) =>
  Schema.decodeUnknownExit(configSchemaFor[providerType] as Schema.Codec<unknown>, { onExcessProperty: "error", errors: "all" })(config);

/** Why a config does not fit its provider type (naming the field), or `null` when it fits. */
export const configProblem = (providerType: ProviderType, config: unknown): string | null => {
  const exit = decodeProviderConfig(providerType, config);
  if (Exit.isSuccess(exit)) return null;
  const error = Cause.squash(exit.cause);
  return error instanceof Error ? error.message : String(error);
};

/** Replaces every present secret with `"***"` so a config can be shown or logged. */
export const redactConfig = (providerType: ProviderType, config: unknown): unknown => {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const path of SECRET_FIELDS[providerType]) {
    const parts = path.split(".");
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const leaf = parts[parts.length - 1]!;
    if (node && typeof node === "object" && node[leaf] !== undefined) node[leaf] = "***";
  }
  return copy;
};

/** The value at a dot-separated path of a config (`sftp.password`), or undefined. */
export const configValueAt = (config: unknown, path: string): unknown => {
  let node = config;
  for (const part of path.split(".")) node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  return node;
};

/** Every secret value present in a config, for scrubbing text that may have picked one up. */
export const secretValues = (providerType: ProviderType, config: unknown): ReadonlyArray<string> =>
  SECRET_FIELDS[providerType].flatMap((path) => {
    const value = configValueAt(config, path);
    return typeof value === "string" && value.length > 0 ? [value] : [];
  });

/** Replaces every occurrence of a secret (raw or URL-encoded) with `"***"`; secrets under 3 characters are left alone. */
export const scrubSecrets = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("***");
  }
  return out;
};
