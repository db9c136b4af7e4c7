/**
 * The append-only audit log (`sis_audit_log`): who did what to which provider or run, and how it
 * ended. The table rejects UPDATE, DELETE and TRUNCATE by trigger; this module only appends and reads.
 */
import { RosterStoreError } from "@sis-sync/core";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { PgDatabase, errorMessage, type PgHandle } from "./PgDatabase";

export interface AuditEntry {
  readonly actor: string | null;
  readonly role: string | null;
  readonly tenantId: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly details?: Readonly<Record<string, unknown>> | null;
}

export interface StoredAuditEntry extends AuditEntry {
  readonly id: number;
  readonly at: Date;
}

export interface PgAuditLogShape {
  readonly append: (entry: AuditEntry) => Effect.Effect<void, RosterStoreError>;
  /** Newest first; `tenantId` null lists every tenant. */
  readonly list: (tenantId: string | null, page: { readonly limit: number; readonly offset: number }) => Effect.Effect<ReadonlyArray<StoredAuditEntry>, RosterStoreError>;
}

export class PgAuditLog extends Context.Service<PgAuditLog, PgAuditLogShape>()("@sis-sync/storage-pg/PgAuditLog") {}

const attempt = <A>(label: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new RosterStoreError({ message: `${label}: ${errorMessage(cause)}`, cause }) });

export const makeWith = (handle: PgHandle): PgAuditLogShape => ({
  append: (entry) =>
    attempt("append audit entry", async () => {
      await handle.db.insertInto("sis_audit_log").values({
        actor: entry.actor, role: entry.role, tenant_id: entry.tenantId, action: entry.action, target_type: entry.targetType,
        target_id: entry.targetId, outcome: entry.outcome, request_id: entry.requestId,
        details: entry.details == null ? null : JSON.stringify(entry.details),
      }).execute();
    }),
  list: (tenantId, page) =>
    attempt("list audit entries", async () => {
      let q = handle.db.selectFrom("sis_audit_log").selectAll();
      if (tenantId !== null) q = q.where("tenant_id", "=", tenantId);
      const rows = await q.orderBy("id", "desc").limit(page.limit).offset(page.offset).execute();
      return rows.map((r): StoredAuditEntry => ({
        id: Number(r.id), at: r.at, actor: r.actor, role: r.role, tenantId: r.tenant_id, action: r.action,
        targetType: r.target_type, targetId: r.target_id, outcome: r.outcome, requestId: r.request_id,
        details: (r.details ?? null) as Readonly<Record<string, unknown>> | null,
      }));
    }),
});

export const make = Effect.gen(function* () {
  return PgAuditLog.of(makeWith(yield* PgDatabase));
});

/**
 * @example
 * const AuditLive = PgAuditLog.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<PgAuditLog, never, PgDatabase> = Layer.effect(PgAuditLog, make);
