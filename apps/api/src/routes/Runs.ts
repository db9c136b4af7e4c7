/**
 * `/runs/:runId`: one run with its statistics, and its row-level errors and warnings.
 */
import { ProviderRepository, RunRepository } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { defineRoute, type Resource } from "../http/Route";
import * as S from "../http/Schemas";
import { loadRun } from "../services/Access";
import { secretValues } from "../services/Secrets";
import { issueView, runView } from "../services/Views";

const TAG = "Runs";
const problem = { description: "Problem details", schema: S.Problem };

const get = defineRoute<typeof S.RunIdParams.Type>({
  method: "GET",
  path: "/:runId",
  operationId: "run.get",
  summary: "Get a run",
  tag: TAG,
  params: S.RunIdParams,
  responses: { 200: { description: "The run", schema: S.RunView }, 404: problem },
  handler: ({ params, principal, audit }) =>
    Effect.gen(function* () {
      const run = yield* loadRun(params.runId, principal, audit);
      const provider = yield* (yield* ProviderRepository).get(run.providerId);
      const secrets = provider === null ? [] : secretValues(provider.providerType, provider.config);
      return { status: 200 as const, body: runView(run, secrets) };
    }),
});

const issues = defineRoute<typeof S.RunIdParams.Type, typeof S.IssueQuery.Type>({
  method: "GET",
  path: "/:runId/issues",
  operationId: "run.issues",
  summary: "Row-level issues of a run",
  description: "Rejected rows (severity error) and dropped values (warning), in feed order; filter by `kind` and `severity`.",
  tag: TAG,
  params: S.RunIdParams,
  query: S.IssueQuery,
  responses: { 200: { description: "A page of issues", schema: S.IssueList }, 400: problem, 404: problem },
  handler: ({ params, query, principal, audit }) =>
    Effect.gen(function* () {
      const run = yield* loadRun(params.runId, principal, audit);
      const limit = query.limit ?? S.DEFAULT_PAGE_LIMIT;
      const offset = query.offset ?? 0;
      const rows = yield* (yield* RunRepository).issues(run.id, { limit: limit + 1, offset }, { kind: query.kind, severity: query.severity });
      return { status: 200 as const, body: { items: rows.slice(0, limit).map(issueView), limit, offset, hasMore: rows.length > limit } };
    }),
});

export const resource: Resource = { prefix: "/runs", routes: [get, issues] };
