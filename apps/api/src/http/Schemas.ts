/**
 * The request and response shapes of the HTTP API (contract, apps/api/README.md), as effect Schemas. Routes
 * decode requests with them (unknown fields refused) and `/openapi.json` is generated from them,
 * so the documentation cannot drift from what is enforced.
 */
import {
  ClassLinkConfig, CleverConfig, OneRosterApiConfig, OneRosterCsvConfig, ProviderOptions, ProviderType, RUN_STATUSES,
} from "@sis-sync/core";
import * as Schema from "effect/Schema";

const described = <S extends Schema.Top>(schema: S, description: string): S["Rebuild"] => schema.annotate({ description });

// ---------------------------------------------------------------------------------------------
// Shared pieces

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 50;

const Text = (max: number) =>
  Schema.String.pipe(Schema.check(Schema.isMinLength(1, { message: "must not be empty" }), Schema.isMaxLength(max, { message: `must be at most ${max} characters` })));

export const TenantId = described(
  Text(200).pipe(Schema.check(Schema.isPattern(/^[^\u0000-\u001f/?#]+$/, { message: "must not contain control characters, '/', '?' or '#'" }))),
  "The platform's tenant (district) id.",
);
export const ProviderName = described(Text(200), "A name unique within the tenant.");
export const SyncSchedule = described(
  Schema.NullOr(Text(120)),
  "A preset name (see /schedule-presets) or a five-field cron expression, evaluated in `timezone`; null for manual syncs only.",
);
export const Timezone = described(Text(64), "IANA time zone of the schedule (default UTC).");

// Query values arrive as strings; the description is put on the encoded (string) side, which is what OpenAPI shows.
const Limit = Schema.NumberFromString.pipe(
  Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_PAGE_LIMIT })),
  Schema.annotateEncoded({ description: `Page size: an integer from 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT}).` }),
);
const Offset = Schema.NumberFromString.pipe(
  Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 10_000_000 })),
  Schema.annotateEncoded({ description: "Rows to skip: an integer, 0 or more (default 0)." }),
);

export const PageQuery = Schema.Struct({ limit: Schema.optionalKey(Limit), offset: Schema.optionalKey(Offset) });

export const ProviderIdParams = Schema.Struct({ providerId: described(Schema.String, "Provider id (uuid).") });
export const RunIdParams = Schema.Struct({ runId: described(Schema.String, "Run id (uuid).") });
export const TenantParams = Schema.Struct({ tenantId: TenantId });
export const RosterKindPlural = Schema.Literals(["schools", "classes", "users", "enrollments"]);
export const RosterParams = Schema.Struct({ tenantId: TenantId, kind: RosterKindPlural });

// ---------------------------------------------------------------------------------------------
// Providers

const commonProviderFields = {
  tenantId: TenantId,
  name: ProviderName,
  enabled: Schema.optionalKey(described(Schema.Boolean, "Disabled providers are neither scheduled nor synced on request (default true).")),
  syncSchedule: Schema.optionalKey(SyncSchedule),
  timezone: Schema.optionalKey(Timezone),
  options: Schema.optionalKey(ProviderOptions),
};

/** One create body per provider type; the route decodes with the member its `providerType` names. */
export const CreateProviderByType = {
  CLEVER: Schema.Struct({ ...commonProviderFields, providerType: Schema.Literal("CLEVER"), config: CleverConfig }),
  CLASSLINK: Schema.Struct({ ...commonProviderFields, providerType: Schema.Literal("CLASSLINK"), config: ClassLinkConfig }),
  ONEROSTER_API: Schema.Struct({ ...commonProviderFields, providerType: Schema.Literal("ONEROSTER_API"), config: OneRosterApiConfig }),
  ONEROSTER_CSV: Schema.Struct({ ...commonProviderFields, providerType: Schema.Literal("ONEROSTER_CSV"), config: OneRosterCsvConfig }),
} as const;

export const CreateProviderBody = Schema.Union([
  CreateProviderByType.CLEVER, CreateProviderByType.CLASSLINK, CreateProviderByType.ONEROSTER_API, CreateProviderByType.ONEROSTER_CSV,
]).annotate({ identifier: "CreateProvider", description: "A new provider; `config` must fit `providerType`." });
export type CreateProviderBody = typeof CreateProviderBody.Type;

export const PatchProviderBody = Schema.Struct({
  name: Schema.optionalKey(ProviderName),
  config: Schema.optionalKey(described(
    Schema.Record(Schema.String, Schema.Unknown),
    "Merged into the stored config: omitted fields (secrets included) are kept, `null` removes an optional field, " +
      'and a secret sent back as "***" is kept. The merged config must fit the provider type.',
  )),
  enabled: Schema.optionalKey(Schema.Boolean),
  syncSchedule: Schema.optionalKey(SyncSchedule),
  timezone: Schema.optionalKey(Timezone),
  options: Schema.optionalKey(ProviderOptions),
}).annotate({ identifier: "PatchProvider", description: "Fields to change; `tenantId`, `providerType`, ids, status and timestamps cannot be set." });
export type PatchProviderBody = typeof PatchProviderBody.Type;

/** Fields a client may never set; named in the 400 answer instead of a bare "unknown field". */
export const PROTECTED_FIELDS = [
  "id", "tenantId", "providerType", "status", "createdAt", "updatedAt", "lastSyncAt", "lastSync", "lastStatus", "configKeyId",
] as const;

export const ProviderView = Schema.Struct({
  id: Schema.String,
  tenantId: Schema.String,
  providerType: ProviderType,
  name: Schema.String,
  config: described(Schema.Record(Schema.String, Schema.Unknown), 'The config with every secret field shown as "***".'),
  enabled: Schema.Boolean,
  syncSchedule: Schema.NullOr(Schema.String),
  timezone: Schema.String,
  options: ProviderOptions,
  lastSyncAt: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String,
}).annotate({ identifier: "Provider" });
export type ProviderView = typeof ProviderView.Type;

export const ProviderList = Schema.Struct({ items: Schema.Array(ProviderView) }).annotate({ identifier: "ProviderList" });

// ---------------------------------------------------------------------------------------------
// Syncs and runs

export const SyncRequestBody = Schema.Struct({
  dryRun: Schema.optionalKey(described(Schema.Boolean, "Extract, stage, plan and check the safeguard; apply nothing.")),
  overrideSafeguard: Schema.optionalKey(described(Schema.Boolean, "Apply even when the deactivation safeguard would stop the run (this run only).")),
}).annotate({ identifier: "SyncRequest" });

export const RunStatus = Schema.Literals(RUN_STATUSES);

const Count = Schema.Finite;
const KindStatsFields = {
  created: Count, updated: Count, unchanged: Count, deactivated: Count, reactivated: Count, errors: Count,
};
const KindStats = Schema.Struct(KindStatsFields);
export const SyncStats = Schema.Struct({
  schools: KindStats,
  classes: KindStats,
  users: Schema.Struct({
    ...KindStatsFields,
    matchedBy: Schema.Struct({ externalId: Count, email: Count, studentNumber: Count }),
  }),
  enrollments: KindStats,
}).annotate({ identifier: "SyncStats" });

export const SyncAccepted = Schema.Struct({ runId: Schema.String, status: RunStatus }).annotate({ identifier: "SyncAccepted" });

export const RunView = Schema.Struct({
  id: Schema.String,
  tenantId: Schema.String,
  providerId: Schema.String,
  status: RunStatus,
  phase: Schema.String,
  progress: Schema.NullOr(Schema.Record(Schema.String, Schema.Record(Schema.String, Count))),
  isManual: Schema.Boolean,
  dryRun: Schema.Boolean,
  overrideSafeguard: Schema.Boolean,
  /** The run stopped at the deletion safeguard and applied nothing; a re-run with the override applies it. */
  safeguardTripped: Schema.Boolean,
  stats: Schema.NullOr(SyncStats),
  errorMessage: Schema.NullOr(Schema.String),
  issueCount: Count,
  createdAt: Schema.String,
  startedAt: Schema.NullOr(Schema.String),
  completedAt: Schema.NullOr(Schema.String),
  cancelRequestedAt: Schema.NullOr(Schema.String),
}).annotate({ identifier: "Run" });
export type RunView = typeof RunView.Type;

const PageFields = { limit: Count, offset: Count, hasMore: Schema.Boolean };

export const RunList = Schema.Struct({ items: Schema.Array(RunView), ...PageFields }).annotate({ identifier: "RunList" });

export const SyncStatusView = Schema.Struct({
  isRunning: described(Schema.Boolean, "True while a run is PENDING or IN_PROGRESS."),
  lastSync: described(Schema.NullOr(Schema.String), "When the last finished (non-dry) run completed."),
  lastStatus: described(Schema.NullOr(RunStatus), "Status of the most recent finished run."),
  currentRun: Schema.optionalKey(RunView),
}).annotate({ identifier: "SyncStatus" });

export const IssueQuery = Schema.Struct({
  limit: Schema.optionalKey(Limit),
  offset: Schema.optionalKey(Offset),
  kind: Schema.optionalKey(Schema.Literals(["school", "class", "user", "enrollment"])),
  severity: Schema.optionalKey(Schema.Literals(["error", "warning"])),
});

export const IssueView = Schema.Struct({
  id: Count,
  runId: Schema.String,
  kind: Schema.NullOr(Schema.String),
  severity: Schema.Literals(["error", "warning"]),
  code: Schema.String,
  file: Schema.NullOr(Schema.String),
  line: Schema.NullOr(Count),
  externalId: Schema.NullOr(Schema.String),
  message: Schema.String,
}).annotate({ identifier: "RowIssue" });

export const IssueList = Schema.Struct({ items: Schema.Array(IssueView), ...PageFields }).annotate({ identifier: "RowIssueList" });

export const TestResult = Schema.Struct({
  success: Schema.Boolean,
  message: described(Schema.String, "What happened, in words; never the provider's response body or a secret."),
}).annotate({ identifier: "TestConnectionResult" });

export const SchedulePresetList = Schema.Struct({
  items: Schema.Array(Schema.Struct({ name: Schema.String, cron: Schema.String, description: Schema.String })),
}).annotate({ identifier: "SchedulePresetList" });

// ---------------------------------------------------------------------------------------------
// Roster

export const RosterQuery = Schema.Struct({
  limit: Schema.optionalKey(Limit),
  offset: Schema.optionalKey(Offset),
  externalId: Schema.optionalKey(described(Text(500), "Only entities linked to this provider record id.")),
  email: Schema.optionalKey(described(Text(320), "Users with this email (case-insensitive)."),),
  active: Schema.optionalKey(described(Schema.Literals(["true", "false"]), "Only active (true) or deactivated (false) entities.")),
});

export const RosterEntityView = Schema.Struct({
  id: Schema.String,
  kind: Schema.String,
  active: Schema.Boolean,
  deactivatedAt: Schema.NullOr(Schema.String),
  fields: Schema.Record(Schema.String, Schema.Unknown),
  links: Schema.Array(Schema.Struct({ providerId: Schema.String, providerName: Schema.String, externalId: Schema.String, active: Schema.Boolean })),
}).annotate({ identifier: "RosterEntity" });

export const RosterList = Schema.Struct({ items: Schema.Array(RosterEntityView), total: Count, ...PageFields })
  .annotate({ identifier: "RosterList" });

// ---------------------------------------------------------------------------------------------
// Errors and health

export const Problem = Schema.Struct({
  type: Schema.String,
  title: Schema.String,
  status: Count,
  detail: Schema.String,
  instance: Schema.String,
  requestId: Schema.optionalKey(Schema.String),
  errors: Schema.optionalKey(Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))),
}).annotate({ identifier: "Problem", description: "RFC 9457 problem details (application/problem+json)." });

export const Health = Schema.Struct({ status: Schema.Literals(["ok", "unavailable"]) }).annotate({ identifier: "Health" });
