/**
 * The audit trail and access log: one append-only audit row for every mutating call and every
 * denied attempt (actor, role, tenant, action, target, outcome, request id; the time is the row's),
 * and one JSON log line per request. Neither holds a body, a query string or a token.
 */
import { PgAuditLog } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import type { MiddlewareHandler } from "hono";
import type { AppContext } from "../AppContext";
import { ApiProblem } from "../http/Problem";
import type { ApiEnv, AuditScope } from "../http/Route";
import { API_BASE, matchRoute } from "../routes/index";

export interface AuditTrailOptions {
  readonly ctx: AppContext;
}

/** The audit outcome of an answered request. */
export const outcomeOf = (status: number, denied: boolean): string => {
  if (denied || status === 401 || status === 403) return "denied";
  if (status >= 200 && status < 300) return "success";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "error";
  return "rejected";
};

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const auditTrail = ({ ctx }: AuditTrailOptions): MiddlewareHandler<ApiEnv> =>
  async function auditTrail(c, next) {
    const scope: AuditScope = { action: null, tenantId: null, targetType: null, targetId: null, details: null, actor: null, role: null };
    c.set("audit", scope);
    const started = performance.now();
    await next();
    const method = c.req.method;
    const path = c.req.path;
    const status = c.res.status;
    const principal = c.get("principal");
    const denied = c.error instanceof ApiProblem && c.error.denied === true;
    ctx.log({
      level: status >= 500 ? "error" : "info",
      msg: "request",
      method,
      path: path.slice(0, 300),
      status,
      ms: Math.round(performance.now() - started),
      requestId: c.get("requestId"),
      ...(principal ? { sub: principal.sub } : {}),
      ...(status >= 500 && c.error ? { error: c.error instanceof Error ? c.error.name : "unknown" } : {}),
    });
    if (!path.startsWith(`${API_BASE}/`)) return;
    const isDenial = denied || status === 401 || status === 403;
    if (!MUTATING.has(method) && !isDenial) return;
    const matched = matchRoute(method, path);
    if (matched === null && !isDenial) return;
    const params = matched?.params ?? {};
    const target: { type: string | null; id: string | null } = scope.targetType !== null
      ? { type: scope.targetType, id: scope.targetId }
      : params["providerId"] !== undefined ? { type: "provider", id: params["providerId"] }
      : params["runId"] !== undefined ? { type: "run", id: params["runId"] }
      : params["tenantId"] !== undefined ? { type: "tenant", id: params["tenantId"] }
      : { type: null, id: null };
    const entry = {
      actor: principal?.sub ?? scope.actor,
      role: principal?.role ?? scope.role,
      tenantId: scope.tenantId ?? params["tenantId"] ?? principal?.tenantId ?? null,
      action: scope.action ?? matched?.entry.route.operationId ?? `${method} ${path.slice(0, 200)}`,
      targetType: target.type,
      targetId: target.id === null ? null : target.id.slice(0, 200),
      outcome: outcomeOf(status, denied),
      requestId: c.get("requestId"),
      details: { method, status, ...(scope.details ?? {}) },
    };
    const exit = await ctx.runtime.runPromiseExit(Effect.gen(function* () {
      yield* (yield* PgAuditLog.PgAuditLog).append(entry);
    }));
    if (exit._tag === "Failure") ctx.log({ level: "error", msg: "audit append failed", requestId: c.get("requestId"), action: entry.action });
  };
