/**
 * `/providers/:providerId/sync…` and `/providers/:providerId/runs`: queue a manual run (the worker
 * executes it), cancel it, read the provider's sync status and its run history. Every run state
 * change made here is audited.
 */
import { RunRepository, type SyncRun } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { conflict, rateLimited } from "../http/Problem";
import { defineRoute, type Resource } from "../http/Route";
import * as S from "../http/Schemas";
import { loadProvider } from "../services/Access";
import { recordRunChange } from "../services/Audit";
import { secretValues } from "../services/Secrets";
import { runView } from "../services/Views";

const TAG = "Syncs";
const problem = { description: "Problem details", schema: S.Problem };
const OPEN: ReadonlyArray<SyncRun["status"]> = ["PENDING", "IN_PROGRESS"];

const trigger = defineRoute<typeof S.ProviderIdParams.Type, Record<string, never>, typeof S.SyncRequestBody.Type | undefined>({
  method: "POST",
  path: "/:providerId/sync",
  operationId: "sync.trigger",
  summary: "Start a manual sync",
  description: "Queues a run for the worker. 409 while a run is pending or running, or when the provider is disabled; " +
    "429 (with Retry-After) when manual syncs of this provider come too often.",
  tag: TAG,
  params: S.ProviderIdParams,
  body: { schema: S.SyncRequestBody, required: false },
  responses: { 202: { description: "Queued", schema: S.SyncAccepted }, 400: problem, 404: problem, 409: problem, 429: problem },
  handler: ({ params, body, principal, audit, requestId, ctx }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      if (!provider.enabled) return yield* conflict("Provider disabled");
      const take = ctx.syncLimiter.take(provider.id);
      if (!take.ok) return yield* rateLimited(take.retryAfterSeconds, "too many manual syncs for this provider; try again later");
      const dryRun = body?.dryRun ?? false;
      const overrideSafeguard = body?.overrideSafeguard ?? false;
      audit.details = { dryRun, overrideSafeguard };
      const { run, created } = yield* (yield* RunRepository).enqueue({
        tenantId: provider.tenantId, providerId: provider.id, isManual: true, dryRun, overrideSafeguard,
      });
      if (!created) return yield* conflict(`a sync of this provider is already ${run.status === "PENDING" ? "pending" : "running"}`, { runId: run.id, runStatus: run.status });
      yield* recordRunChange({ principal, requestId, tenantId: provider.tenantId, runId: run.id, providerId: provider.id, action: "run.enqueued", status: run.status });
      return { status: 202 as const, body: { runId: run.id, status: run.status }, headers: { location: `/api/v1/runs/${run.id}` } };
    }),
});

const cancel = defineRoute<typeof S.ProviderIdParams.Type>({
  method: "POST",
  path: "/:providerId/sync/cancel",
  operationId: "sync.cancel",
  summary: "Cancel the current sync",
  description: "A pending run is cancelled at once; a running one stops at its next page or batch, applying nothing half-way. 409 when nothing runs.",
  tag: TAG,
  params: S.ProviderIdParams,
  responses: { 202: { description: "Cancelled or cancellation requested", schema: S.SyncAccepted }, 404: problem, 409: problem },
  handler: ({ params, principal, audit, requestId }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      const runs = yield* RunRepository;
      const [latest] = yield* runs.list(provider.id, { limit: 1, offset: 0 });
      if (latest === undefined || !OPEN.includes(latest.status)) return yield* conflict("no sync of this provider is pending or running");
      const after = yield* runs.requestCancel(latest.id);
      if (after === null || (after.status !== "CANCELLED" && after.cancelRequestedAt === null)) {
        return yield* conflict("no sync of this provider is pending or running");
      }
      yield* recordRunChange({
        principal, requestId, tenantId: provider.tenantId, runId: after.id, providerId: provider.id,
        action: after.status === "CANCELLED" ? "run.cancelled" : "run.cancel-requested", status: after.status,
      });
      audit.details = { runId: after.id };
      return { status: 202 as const, body: { runId: after.id, status: after.status } };
    }),
});

const status = defineRoute<typeof S.ProviderIdParams.Type>({
  method: "GET",
  path: "/:providerId/sync/status",
  operationId: "sync.status",
  summary: "Sync status of a provider",
  tag: TAG,
  params: S.ProviderIdParams,
  responses: { 200: { description: "Status", schema: S.SyncStatusView }, 404: problem },
  handler: ({ params, principal, audit }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      // At most one run is open, and it is the newest: the two newest runs hold the current and the last finished one.
      const recent = yield* (yield* RunRepository).list(provider.id, { limit: 2, offset: 0 });
      const current = recent.find((r) => OPEN.includes(r.status));
      const lastFinished = recent.find((r) => !OPEN.includes(r.status));
      const secrets = secretValues(provider.providerType, provider.config);
      return {
        status: 200 as const,
        body: {
          isRunning: current !== undefined,
          lastSync: provider.lastSyncAt === null ? null : provider.lastSyncAt.toISOString(),
          lastStatus: lastFinished?.status ?? null,
          ...(current === undefined ? {} : { currentRun: runView(current, secrets) }),
        },
      };
    }),
});

const history = defineRoute<typeof S.ProviderIdParams.Type, typeof S.PageQuery.Type>({
  method: "GET",
  path: "/:providerId/runs",
  operationId: "run.list",
  summary: "Run history of a provider",
  description: "Newest first, with statistics.",
  tag: TAG,
  params: S.ProviderIdParams,
  query: S.PageQuery,
  responses: { 200: { description: "A page of runs", schema: S.RunList }, 400: problem, 404: problem },
  handler: ({ params, query, principal, audit }) =>
    Effect.gen(function* () {
      const provider = yield* loadProvider(params.providerId, principal, audit);
      const limit = query.limit ?? S.DEFAULT_PAGE_LIMIT;
      const offset = query.offset ?? 0;
      const rows = yield* (yield* RunRepository).list(provider.id, { limit: limit + 1, offset });
      const secrets = secretValues(provider.providerType, provider.config);
      return {
        status: 200 as const,
        body: { items: rows.slice(0, limit).map((r) => runView(r, secrets)), limit, offset, hasMore: rows.length > limit },
      };
    }),
});

export const resource: Resource = { prefix: "/providers", routes: [trigger, cancel, status, history] };
