/**
 * `/tenants/:tenantId/…`: a tenant's providers and its roster by kind (filters `externalId`,
 * `email`, `active`; paging).
 */
import { kindFromPlural, ProviderRepository, RosterReader } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { notFound } from "../http/Problem";
import { defineRoute, type Resource } from "../http/Route";
import * as S from "../http/Schemas";
import { requireTenant } from "../services/Access";
import { providerView, rosterView } from "../services/Views";

const TAG = "Tenants";
const problem = { description: "Problem details", schema: S.Problem };

const providers = defineRoute<typeof S.TenantParams.Type>({
  method: "GET",
  path: "/:tenantId/providers",
  operationId: "provider.list",
  summary: "A tenant's providers",
  tag: TAG,
  params: S.TenantParams,
  responses: { 200: { description: "The providers (secrets redacted)", schema: S.ProviderList }, 404: problem },
  handler: ({ params, principal, audit }) =>
    Effect.gen(function* () {
      audit.tenantId = params.tenantId;
      audit.targetType = "tenant";
      audit.targetId = params.tenantId;
      yield* requireTenant(principal, params.tenantId);
      const list = yield* (yield* ProviderRepository).list(params.tenantId);
      return { status: 200 as const, body: { items: list.map(providerView) } };
    }),
});

const roster = defineRoute<typeof S.RosterParams.Type, typeof S.RosterQuery.Type>({
  method: "GET",
  path: "/:tenantId/roster/:kind",
  operationId: "roster.list",
  summary: "A tenant's roster of one kind",
  description: "Schools, classes, users or enrollments with the provider links that feed them.",
  tag: TAG,
  params: S.RosterParams,
  query: S.RosterQuery,
  responses: { 200: { description: "A page of entities", schema: S.RosterList }, 400: problem, 404: problem },
  handler: ({ params, query, principal, audit }) =>
    Effect.gen(function* () {
      audit.tenantId = params.tenantId;
      audit.targetType = "tenant";
      audit.targetId = params.tenantId;
      yield* requireTenant(principal, params.tenantId);
      const kind = kindFromPlural(params.kind);
      if (kind === undefined) return yield* notFound("unknown roster kind");
      const limit = query.limit ?? S.DEFAULT_PAGE_LIMIT;
      const offset = query.offset ?? 0;
      const filter = {
        externalId: query.externalId,
        email: query.email,
        active: query.active === undefined ? undefined : query.active === "true",
      };
      const reader = yield* RosterReader;
      const [rows, total] = yield* Effect.all([
        reader.list(params.tenantId, kind, filter, { limit, offset }),
        reader.count(params.tenantId, kind, filter),
      ]);
      return {
        status: 200 as const,
        body: { items: rows.map(rosterView), total, limit, offset, hasMore: offset + rows.length < total },
      };
    }),
});

export const resource: Resource = { prefix: "/tenants", routes: [providers, roster] };
