/**
 * Appending to the audit log from routes: run state changes the API causes, written beside the
 * request's own row (which the audit middleware writes). Entries never hold configs or secrets.
 */
import { PgAuditLog } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import type { Principal } from "../auth/Jwt";

export interface RunChange {
  readonly principal: Principal;
  readonly requestId: string;
  readonly tenantId: string;
  readonly runId: string;
  readonly providerId: string;
  /** `run.enqueued`, `run.cancelled`, `run.cancel-requested`. */
  readonly action: string;
  /** The run's status after the change. */
  readonly status: string;
}

/** One audit row for a run state change (failures to write are logged, not raised). */
export const recordRunChange = (change: RunChange) =>
  Effect.gen(function* () {
    const audit = yield* PgAuditLog.PgAuditLog;
    yield* audit.append({
      actor: change.principal.sub,
      role: change.principal.role,
      tenantId: change.tenantId,
      action: change.action,
      targetType: "run",
      targetId: change.runId,
      outcome: change.status,
      requestId: change.requestId,
      details: { providerId: change.providerId },
    });
  }).pipe(Effect.catch((error) => Effect.logError("audit append failed", error.message)));
