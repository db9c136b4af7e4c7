/**
 * Tenant isolation: a platform admin reaches every tenant; a district admin only its own, and
 * anything of another tenant answers 404 exactly like something that does not exist (and is
 * audited as denied).
 */
import { ProviderRepository, RunRepository, type Provider, type SyncRun } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import type { Principal } from "../auth/Jwt";
import { notFound } from "../http/Problem";
import type { AuditScope } from "../http/Route";

export const canReach = (principal: Principal, tenantId: string): boolean =>
  principal.role === "PLATFORM_ADMIN" || principal.tenantId === tenantId;

/** Fails with a denied 404 when the principal may not reach `tenantId`. */
export const requireTenant = (principal: Principal, tenantId: string, what = "tenant") =>
  canReach(principal, tenantId) ? Effect.void : Effect.fail(notFound(`${what} not found`, { denied: true }));

/** The provider, when it exists and the principal may reach it; records it as the audit target. */
export const loadProvider = Effect.fn("api.loadProvider")(function* (providerId: string, principal: Principal, audit: AuditScope) {
  audit.targetType = "provider";
  audit.targetId = providerId;
  const provider: Provider | null = yield* (yield* ProviderRepository).get(providerId);
  if (provider === null) return yield* notFound("provider not found");
  if (!canReach(principal, provider.tenantId)) return yield* notFound("provider not found", { denied: true });
  audit.tenantId = provider.tenantId;
  return provider;
});

/** The run, when it exists and the principal may reach its tenant. */
export const loadRun = Effect.fn("api.loadRun")(function* (runId: string, principal: Principal, audit: AuditScope) {
  audit.targetType = "run";
  audit.targetId = runId;
  const run: SyncRun | null = yield* (yield* RunRepository).get(runId);
  if (run === null) return yield* notFound("run not found");
  if (!canReach(principal, run.tenantId)) return yield* notFound("run not found", { denied: true });
  audit.tenantId = run.tenantId;
  return run;
});
