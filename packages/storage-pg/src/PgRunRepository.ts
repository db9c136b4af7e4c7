/**
 * Sync runs in `sis_sync_runs`. "One pending or running run per provider" is the partial unique
 * index `sis_sync_runs_one_open`: concurrent enqueues race on it and the losers get the winner's run.
 */
import {
  RosterStoreError, RunRepository, type NewRun, type RunPhase, type RunProgress, type RunStatus, type StoredIssue,
  type SyncRun, type SyncStats,
} from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import type { RunRow } from "./Database";
import { PgDatabase, errorMessage, type PgHandle } from "./PgDatabase";
import { isUuid } from "./internal/Partitions";

export const toRun = (row: RunRow): SyncRun => ({
  id: row.id,
  tenantId: row.tenant_id,
  providerId: row.provider_id,
  status: row.status as RunStatus,
  phase: row.phase as RunPhase,
  progress: (row.progress ?? null) as RunProgress | null,
  isManual: row.is_manual,
  dryRun: row.dry_run,
  overrideSafeguard: row.override_safeguard,
  stats: (row.stats ?? null) as SyncStats | null,
  errorMessage: row.error_message,
  issueCount: Number(row.issue_count),
  createdAt: row.created_at,
  startedAt: row.started_at,
  completedAt: row.completed_at,
  cancelRequestedAt: row.cancel_requested_at,
});

export const attempt = <A>(label: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new RosterStoreError({ message: `${label}: ${errorMessage(cause)}`, cause }),
  });

/** Inserts a run unless it collides with an open run (or, with `scheduledFor`, an enqueued slot). */
export const insertRun = async (handle: PgHandle, run: NewRun, scheduledFor: Date | null): Promise<{ readonly run: SyncRun; readonly created: boolean }> => {
  const db = handle.db;
  for (let attempt = 0; attempt < 10; attempt++) {
    const inserted = await sql<RunRow>`
      insert into sis_sync_runs (id, tenant_id, provider_id, status, phase, is_manual, dry_run, override_safeguard, scheduled_for)
      values (${randomUUID()}::uuid, ${run.tenantId}, ${run.providerId}::uuid, 'PENDING', 'queued', ${run.isManual},
              ${run.dryRun ?? false}, ${run.overrideSafeguard ?? false}, ${scheduledFor})
      on conflict do nothing
      returning *`.execute(db);
    const row = inserted.rows[0];
    if (row) return { run: toRun(row), created: true };
    if (scheduledFor !== null) {
      const slot = await db.selectFrom("sis_sync_runs").selectAll()
        .where("provider_id", "=", run.providerId).where("scheduled_for", "=", scheduledFor).executeTakeFirst();
      if (slot) return { run: toRun(slot), created: false };
    }
    const open = await db.selectFrom("sis_sync_runs").selectAll()
      .where("provider_id", "=", run.providerId).where("status", "in", ["PENDING", "IN_PROGRESS"]).executeTakeFirst();
    if (open) return { run: toRun(open), created: false };
    // The run we collided with finished in between: try again.
  }
  throw new Error("could not enqueue the run: the provider's runs keep changing");
};

/** The repository over an open database. */
export const makeWith = (handle: PgHandle) => {
  const db = handle.db;
  const getRow = (runId: string) =>
    isUuid(runId) ? db.selectFrom("sis_sync_runs").selectAll().where("id", "=", runId).executeTakeFirst() : Promise.resolve(undefined);

  return RunRepository.of({
    enqueue: (run) =>
      attempt("enqueue run", () => {
        if (!isUuid(run.providerId)) return Promise.reject(new Error(`unknown provider ${run.providerId}`));
        return insertRun(handle, run, null);
      }),
    start: (runId) =>
      attempt("start run", async () => {
        const row = isUuid(runId)
          ? await db.updateTable("sis_sync_runs")
            .set({ status: "IN_PROGRESS", phase: "extract", started_at: sql<Date>`coalesce(started_at, now())` })
            .where("id", "=", runId).where("status", "in", ["PENDING", "IN_PROGRESS"])
            .returningAll().executeTakeFirst()
          : undefined;
        if (row) return toRun(row);
        const current = await getRow(runId);
        throw new Error(current ? `run ${runId} cannot start: it is ${current.status}` : `unknown run ${runId}`);
      }),
    setPhase: (runId, phase, progress) =>
      attempt("set run phase", async () => {
        if (!isUuid(runId)) return;
        // Only a running run reports progress: a stale worker cannot rewrite a run that already ended.
        await db.updateTable("sis_sync_runs").set({ phase, progress: progress === null ? null : JSON.stringify(progress) })
          .where("id", "=", runId).where("status", "=", "IN_PROGRESS").execute();
      }),
    finish: (runId, outcome) =>
      attempt("finish run", async () => {
        const row = isUuid(runId)
          ? await db.transaction().execute(async (trx) => {
            const finished = await trx.updateTable("sis_sync_runs").set({
              status: outcome.status,
              stats: outcome.stats === null ? null : JSON.stringify(outcome.stats),
              error_message: outcome.errorMessage,
              phase: "finish",
              completed_at: sql<Date>`now()`,
              lease_expires_at: null,
            }).where("id", "=", runId).returningAll().executeTakeFirst();
            if (finished && !finished.dry_run) {
              await trx.updateTable("sis_providers").set({ last_sync_at: finished.completed_at }).where("id", "=", finished.provider_id).execute();
            }
            return finished;
          })
          : undefined;
        if (!row) throw new Error(`unknown run ${runId}`);
        return toRun(row);
      }),
    get: (runId) => attempt("get run", async () => {
      const row = await getRow(runId);
      return row ? toRun(row) : null;
    }),
    list: (providerId, page) =>
      attempt("list runs", async () => {
        if (!isUuid(providerId)) return [];
        const rows = await db.selectFrom("sis_sync_runs").selectAll().where("provider_id", "=", providerId)
          .orderBy("created_at", "desc").orderBy("id", "desc").limit(page.limit).offset(page.offset).execute();
        return rows.map(toRun);
      }),
    issues: (runId, page, filter = {}) =>
      attempt("list run issues", async () => {
        if (!isUuid(runId)) return [];
        let q = db.selectFrom("sis_row_issues").selectAll().where("run_id", "=", runId);
        if (filter.kind !== undefined) q = q.where("kind", "=", filter.kind);
        if (filter.severity !== undefined) q = q.where("severity", "=", filter.severity);
        const rows = await q.orderBy("id").limit(page.limit).offset(page.offset).execute();
        return rows.map((r): StoredIssue => ({
          id: Number(r.id),
          runId: r.run_id,
          kind: r.kind as StoredIssue["kind"],
          severity: r.severity as StoredIssue["severity"],
          code: r.code as StoredIssue["code"],
          file: r.file,
          line: r.line,
          externalId: r.external_id,
          message: r.message,
        }));
      }),
    requestCancel: (runId) =>
      attempt("cancel run", async () => {
        if (!isUuid(runId)) return null;
        // A pending run is cancelled at once; a running one is asked to stop at its next checkpoint.
        const updated = await sql<RunRow>`
          update sis_sync_runs set
            status = case when status = 'PENDING' then 'CANCELLED' else status end,
            phase = case when status = 'PENDING' then 'finish' else phase end,
            completed_at = case when status = 'PENDING' then now() else completed_at end,
            cancel_requested_at = coalesce(cancel_requested_at, now())
          where id = ${runId}::uuid and status in ('PENDING', 'IN_PROGRESS')
          returning *`.execute(db);
        const row = updated.rows[0] ?? (await getRow(runId));
        return row ? toRun(row) : null;
      }),
    isCancelRequested: (runId) =>
      attempt("read cancel flag", async () => {
        const row = isUuid(runId)
          ? await db.selectFrom("sis_sync_runs").select("cancel_requested_at").where("id", "=", runId).executeTakeFirst()
          : undefined;
        return row?.cancel_requested_at != null;
      }),
  });
};

export const make = Effect.gen(function* () {
  return makeWith(yield* PgDatabase);
});

/**
 * @example
 * const RunsLive = PgRunRepository.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<RunRepository, never, PgDatabase> = Layer.effect(RunRepository, make);
