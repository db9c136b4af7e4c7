/**
 * `/providers`: create, read, change, delete a provider, and test its connection. Configs are
 * validated for their provider type, outbound targets are checked (SSRF rules, local import
 * root), secrets are write-only (responses show `"***"`; PATCH keeps omitted secrets).
 */
import {
  configSchemaFor, PROVIDER_TYPES, ProviderRepository, RosterSourceError, RunRepository, type NewProvider, type Provider, type ProviderType,
} from "@sis-sync/core";
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import type { AppContext } from "../AppContext";
import { conflict, notFound, rateLimited, validation, type FieldError } from "../http/Problem";
import { decodeStrict, defineRoute, type Resource } from "../http/Route";
import * as S from "../http/Schemas";
import { checkProviderTargets, urlFields } from "../security/ProviderTargets";
import { OutboundUrl } from "@sis-sync/scheduler";
const { probeRedirects } = OutboundUrl;
import { loadProvider, requireTenant } from "../services/Access";
import { recordRunChange } from "../services/Audit";
import { scheduleErrors } from "../services/Schedules";
import { mergeConfig, safeMessage, secretsToResend, secretValues } from "../services/Secrets";
import { providerView } from "../services/Views";

const TAG = "Providers";
const problem = { description: "Problem details", schema: S.Problem };

/**
 * Schedule, time zone and outbound-target checks shared by create and patch (the schedule is
 * checked in the time zone it will run in); returns the normalized config.
 */
const checkSettings = (
  ctx: AppContext,
  providerType: ProviderType,
  tenantId: string,
  settings: {
    readonly config?: unknown;
    readonly stored?: unknown;
    readonly syncSchedule: string | null;
    readonly timezone: string;
    readonly scheduleChanged: boolean;
  },
) =>
  Effect.gen(function* () {
    const errors: Array<FieldError> = settings.scheduleChanged ? [...scheduleErrors(settings.syncSchedule, settings.timezone)] : [];
    let config = settings.config;
    if (config !== undefined) {
      const checked = yield* Effect.promise(() =>
        checkProviderTargets(providerType, tenantId, config, ctx, settings.stored === undefined ? {} : { stored: settings.stored }));
      errors.push(...checked.errors);
      config = checked.config;
    }
    if (errors.length > 0) return yield* validation(errors);
    return config;
  });

const selectCreateSchema = (raw: unknown) => {
  const type = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)["providerType"] : undefined;
  if (typeof type === "string" && (PROVIDER_TYPES as ReadonlyArray<string>).includes(type)) return S.CreateProviderByType[type as ProviderType];
  return validation([{ path: "providerType", message: type === undefined ? `is required (${PROVIDER_TYPES.join(", ")})` : `must be one of ${PROVIDER_TYPES.join(", ")}` }]);
};

const create = defineRoute<Record<string, never>, Record<string, never>, S.CreateProviderBody>({
  method: "POST",
  path: "/",
  operationId: "provider.create",
  summary: "Create a provider",
  description: "A district's connection to its SIS. `syncSchedule` takes a preset name or a cron expression.",
  tag: TAG,
  body: { schema: S.CreateProviderBody, required: true, select: selectCreateSchema },
  responses: { 201: { description: "Created", schema: S.ProviderView }, 400: problem, 404: problem, 409: problem },
  handler: ({ body, principal, audit, ctx }) =>
    Effect.gen(function* () {
      audit.tenantId = body.tenantId;
      audit.targetType = "provider";
      yield* requireTenant(principal, body.tenantId);
      const config = yield* checkSettings(ctx, body.providerType, body.tenantId, {
        config: body.config,
        syncSchedule: body.syncSchedule ?? null,
        timezone: body.timezone ?? "UTC",
        scheduleChanged: body.syncSchedule !== undefined || body.timezone !== undefined,
      });
      const providers = yield* ProviderRepository;
      if ((yield* providers.findByName(body.tenantId, body.name)) !== null) {
        return yield* conflict("a provider with this name already exists for the tenant");
      }
      const input: NewProvider = {
        tenantId: body.tenantId,
        providerType: body.providerType,
        name: body.name,
        config,
        ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        ...(body.syncSchedule === undefined ? {} : { syncSchedule: body.syncSchedule }),
        ...(body.timezone === undefined ? {} : { timezone: body.timezone }),
        ...(body.options === undefined ? {} : { options: body.options }),
      };
      const created = yield* providers.create(input);
      audit.targetId = created.id;
      audit.details = { providerType: created.providerType, name: created.name };
      return { status: 201, body: providerView(created), headers: { location: `/api/v1/providers/${created.id}` } };
    }),
});

const get = defineRoute<typeof S.ProviderIdParams.Type>({
  method: "GET",
  path: "/:providerId",
  operationId: "provider.get",
  summary: "Get a provider",
  tag: TAG,
  params: S.ProviderIdParams,
  responses: { 200: { description: "The provider (secrets redacted)", schema: S.ProviderView }, 404: problem },
  handler: ({ params, principal, audit }) =>
    loadProvider(params.providerId, principal, audit).pipe(Effect.map((p) => ({ status: 200 as const, body: providerView(p) }))),
});

/** Decodes a merged config strictly against its provider type; errors are named `config.<field>`. */
const decodeConfig = (providerType: ProviderType, config: unknown) => decodeStrict(configSchemaFor[providerType], config, ["config"]);

const patch = defineRoute<typeof S.ProviderIdParams.Type, Record<string, never>, S.PatchProviderBody>({
  method: "PATCH",
  path: "/:providerId",
  operationId: "provider.update",
  summary: "Change a provider",
  description:
    "Only the fields sent change. `config` is merged into the stored config; secrets not sent are kept, unless a field " +
    "saying where they go changes (a URL, the ClassLink tenant, the SFTP host or port): then they must be sent again.",
  tag: TAG,
  params: S.ProviderIdParams,
  body: { schema: S.PatchProviderBody, required: true },
  responses: { 200: { description: "The changed provider", schema: S.ProviderView }, 400: problem, 404: problem, 409: problem },
  handler: ({ params, body, principal, audit, ctx }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      let merged: unknown = undefined;
      if (body.config !== undefined) {
        const candidate = mergeConfig(provider.providerType, provider.config, body.config);
        const resend = secretsToResend(provider.providerType, provider.config, body.config, candidate);
        if (resend.length > 0) return yield* validation(resend);
        merged = yield* decodeConfig(provider.providerType, candidate);
      }
      const config = yield* checkSettings(ctx, provider.providerType, provider.tenantId, {
        ...(merged === undefined ? {} : { config: merged, stored: provider.config }),
        syncSchedule: body.syncSchedule === undefined ? provider.syncSchedule : body.syncSchedule,
        timezone: body.timezone ?? provider.timezone,
        scheduleChanged: body.syncSchedule !== undefined || body.timezone !== undefined,
      });
      audit.details = { fields: Object.keys(body), ...(body.config === undefined ? {} : { configFields: Object.keys(body.config) }) };
      const updated = yield* (yield* ProviderRepository).update(provider.id, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(config === undefined ? {} : { config }),
        ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        ...(body.syncSchedule === undefined ? {} : { syncSchedule: body.syncSchedule }),
        ...(body.timezone === undefined ? {} : { timezone: body.timezone }),
        ...(body.options === undefined ? {} : { options: body.options }),
      });
      if (updated === null) return yield* notFound("provider not found");
      return { status: 200 as const, body: providerView(updated) };
    }),
});

const remove = defineRoute<typeof S.ProviderIdParams.Type>({
  method: "DELETE",
  path: "/:providerId",
  operationId: "provider.delete",
  summary: "Delete a provider",
  description: "Deletes the provider and its run history. A queued run is cancelled first; a running one must be cancelled (409).",
  tag: TAG,
  params: S.ProviderIdParams,
  responses: { 204: { description: "Deleted" }, 404: problem, 409: problem },
  handler: ({ params, principal, audit, requestId }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      const runs = yield* RunRepository;
      const [latest] = yield* runs.list(provider.id, { limit: 1, offset: 0 });
      if (latest?.status === "IN_PROGRESS") {
        return yield* conflict("a sync of this provider is running; cancel it and wait until it stops", { runId: latest.id });
      }
      if (latest?.status === "PENDING") {
        const cancelled = yield* runs.requestCancel(latest.id);
        yield* recordRunChange({
          principal, requestId, tenantId: provider.tenantId, runId: latest.id, providerId: provider.id, action: "run.cancelled",
          status: cancelled?.status ?? "CANCELLED",
        });
      }
      yield* (yield* ProviderRepository).remove(provider.id);
      return { status: 204 as const };
    }),
});

/** What a connection test answers for a connector failure: its (already safe) message, scrubbed. */
const failureMessage = (error: unknown, secrets: ReadonlyArray<string>, timeoutMs: number): string => {
  if (error instanceof RosterSourceError) return safeMessage(error.message, secrets);
  if ((error as { _tag?: unknown } | null)?._tag === "TimeoutError") return `the provider did not answer within ${Math.round(timeoutMs / 1000)} s`;
  return "the connection test failed unexpectedly";
};

const testConnection = (provider: Provider, ctx: AppContext) =>
  Effect.gen(function* () {
    const secrets = secretValues(provider.providerType, provider.config);
    // Stored local paths are not re-judged here (the CLI may set any path); URLs are, as DNS may have changed.
    const targets = yield* Effect.promise(() => checkProviderTargets(provider.providerType, provider.tenantId, provider.config, ctx, { stored: provider.config }));
    const refused = targets.errors[0];
    if (refused !== undefined) return { success: false, message: `${refused.path} ${refused.message}` };
    if (ctx.probeRedirects) {
      for (const field of urlFields(provider.providerType, provider.config)) {
        if (!("url" in field)) continue;
        const why = yield* Effect.promise(() => probeRedirects(field.url, ctx.outbound));
        if (why !== null) return { success: false, message: `${field.path}: ${why}` };
      }
    }
    const exit = yield* ctx.sourceFor(provider).pipe(
      Effect.flatMap((source) => source.testConnection),
      Effect.timeout(ctx.testTimeoutMs),
      Effect.exit,
    );
    if (Exit.isSuccess(exit)) return { success: true, message: safeMessage(exit.value, secrets) || "connected" };
    return { success: false, message: failureMessage(Cause.squash(exit.cause), secrets, ctx.testTimeoutMs) };
  });

const test = defineRoute<typeof S.ProviderIdParams.Type>({
  method: "POST",
  path: "/:providerId/test",
  operationId: "provider.test",
  summary: "Test the provider connection",
  description: "One cheap authenticated call to the provider. Answers 200 with `success` false when the provider refuses; " +
    "the message never echoes the provider's response body or a secret. Rate limited per provider.",
  tag: TAG,
  params: S.ProviderIdParams,
  responses: { 200: { description: "The outcome", schema: S.TestResult }, 404: problem, 429: problem },
  handler: ({ params, principal, audit, ctx }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      const take = ctx.testLimiter.take(provider.id);
      if (!take.ok) return yield* rateLimited(take.retryAfterSeconds, "too many connection tests for this provider; try again later");
      const result = yield* testConnection(provider, ctx);
      audit.details = { success: result.success };
      return { status: 200 as const, body: result };
    }),
});

export const resource: Resource = { prefix: "/providers", routes: [create, get, patch, remove, test] };
