/**
 * Worker-side run leasing for the scheduler (apps/scheduler/README.md): claim pending runs with
 * `FOR UPDATE SKIP LOCKED`, renew the lease by heartbeat, expire runs whose lease ran out, and
 * enqueue cron slots exactly once. `PgRosterStore.apply` checks the lease (fencing).
 */
import type { NewRun, RosterStoreError, SyncRun } from "@sis-sync/core";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import type { RunRow } from "./Database";
import { PgDatabase, type PgHandle } from "./PgDatabase";
import { attempt, insertRun, toRun } from "./PgRunRepository";
import { isUuid } from "./internal/Partitions";

export interface LeasedRun {
  readonly run: SyncRun;
  readonly leaseToken: string;
  readonly leaseExpiresAt: Date;
}

export interface PgRunLeasesShape {
  /** Claims up to `limit` pending runs (oldest first), moving them to IN_PROGRESS under a fresh lease. */
  readonly claim: (owner: string, ttlMs: number, limit?: number) => Effect.Effect<ReadonlyArray<LeasedRun>, RosterStoreError>;
  /** Extends a held lease; `false` when it is no longer held (stop writing). */
  readonly renew: (runId: string, leaseToken: string, ttlMs: number) => Effect.Effect<boolean, RosterStoreError>;
  /** Grants a lease on an IN_PROGRESS run (one-shot callers, tests); returns the token. */
  readonly grant: (runId: string, owner: string, ttlMs: number) => Effect.Effect<string | null, RosterStoreError>;
  /** Ends runs whose lease expired as FAILURE ("lock timed out"), freeing their providers. Returns their ids. */
  readonly expire: () => Effect.Effect<ReadonlyArray<string>, RosterStoreError>;
  /** Enqueues the run of one cron slot; every replica may call it, one run results. */
  readonly enqueueScheduled: (run: NewRun, scheduledFor: Date) => Effect.Effect<{ readonly run: SyncRun; readonly created: boolean }, RosterStoreError>;
  /** Claims one given run if it is still PENDING (one-shot callers such as the CLI); `null` when someone else has it. */
  readonly claimRun: (runId: string, owner: string, ttlMs: number) => Effect.Effect<LeasedRun | null, RosterStoreError>;
  /** Enabled providers with a schedule (configs stay encrypted, never read) and the database's clock, for the scheduler. */
  readonly schedules: () => Effect.Effect<{ readonly now: Date; readonly providers: ReadonlyArray<ProviderSchedule> }, RosterStoreError>;
}

export interface ProviderSchedule {
  readonly providerId: string;
  readonly tenantId: string;
  readonly syncSchedule: string;
  readonly timezone: string;
  readonly lastSyncAt: Date | null;
  readonly updatedAt: Date;
  /** Slot of the provider's newest scheduled run, whatever became of it. */
  readonly lastScheduledFor: Date | null;
}

export class PgRunLeases extends Context.Service<PgRunLeases, PgRunLeasesShape>()("@sis-sync/storage-pg/PgRunLeases") {}

const ttl = (ms: number) => sql<Date>`now() + ${Math.max(1, Math.round(ms))} * interval '1 millisecond'`;

export const makeWith = (handle: PgHandle): PgRunLeasesShape => {
  const db = handle.db;
  return {
    claim: (owner, ttlMs, limit = 1) =>
      attempt("claim runs", async () => {
        const result = await sql<RunRow>`
          with next as (
            select id from sis_sync_runs where status = 'PENDING'
            order by created_at, id
            for update skip locked
            limit ${Math.max(1, limit)}
          )
          update sis_sync_runs r set status = 'IN_PROGRESS', phase = 'extract', started_at = coalesce(r.started_at, now()),
                 lease_token = gen_random_uuid()::text, lease_owner = ${owner}, lease_expires_at = ${ttl(ttlMs)}, heartbeat_at = now()
          from next where r.id = next.id
          returning r.*`.execute(db);
        return result.rows.map((row) => ({ run: toRun(row), leaseToken: row.lease_token!, leaseExpiresAt: row.lease_expires_at! }));
      }),
    renew: (runId, leaseToken, ttlMs) =>
      attempt("renew lease", async () => {
        if (!isUuid(runId)) return false;
        const result = await sql`
          update sis_sync_runs set lease_expires_at = ${ttl(ttlMs)}, heartbeat_at = now()
          where id = ${runId}::uuid and lease_token = ${leaseToken} and status = 'IN_PROGRESS' and lease_expires_at > now()`.execute(db);
        return Number(result.numAffectedRows ?? 0n) > 0;
      }),
    grant: (runId, owner, ttlMs) =>
      attempt("grant lease", async () => {
        if (!isUuid(runId)) return null;
        const token = randomUUID();
        const result = await sql`
          update sis_sync_runs set lease_token = ${token}, lease_owner = ${owner}, lease_expires_at = ${ttl(ttlMs)}, heartbeat_at = now()
          where id = ${runId}::uuid and status = 'IN_PROGRESS'`.execute(db);
        return Number(result.numAffectedRows ?? 0n) > 0 ? token : null;
      }),
    expire: () =>
      attempt("expire leases", async () => {
        const result = await sql<{ id: string }>`
          update sis_sync_runs set status = 'FAILURE', phase = 'finish', completed_at = now(),
                 error_message = coalesce(error_message, 'lock timed out: the worker stopped renewing its lease')
          where status = 'IN_PROGRESS' and lease_expires_at is not null and lease_expires_at <= now()
          returning id`.execute(db);
        return result.rows.map((r) => r.id);
      }),
    enqueueScheduled: (run, scheduledFor) => attempt("enqueue scheduled run", () => insertRun(handle, run, scheduledFor)),
    claimRun: (runId, owner, ttlMs) =>
      attempt("claim run", async () => {
        if (!isUuid(runId)) return null;
        const result = await sql<RunRow>`
          update sis_sync_runs set status = 'IN_PROGRESS', phase = 'extract', started_at = coalesce(started_at, now()),
                 lease_token = gen_random_uuid()::text, lease_owner = ${owner}, lease_expires_at = ${ttl(ttlMs)}, heartbeat_at = now()
          where id = ${runId}::uuid and status = 'PENDING'
          returning *`.execute(db);
        const row = result.rows[0];
        return row ? { run: toRun(row), leaseToken: row.lease_token!, leaseExpiresAt: row.lease_expires_at! } : null;
      }),
    schedules: () =>
      attempt("list schedules", async () => {
        const clock = await sql<{ now: Date }>`select now() as now`.execute(db);
        const rows = await sql<{
          id: string; tenant_id: string; sync_schedule: string; timezone: string;
          last_sync_at: Date | null; updated_at: Date; last_scheduled_for: Date | null;
        }>`
          select p.id, p.tenant_id, p.sync_schedule, p.timezone, p.last_sync_at, p.updated_at,
                 (select max(r.scheduled_for) from sis_sync_runs r where r.provider_id = p.id) as last_scheduled_for
          from sis_providers p
          where p.enabled and p.sync_schedule is not null and btrim(p.sync_schedule) <> ''
          order by p.id`.execute(db);
        return {
          now: new Date(clock.rows[0]!.now),
          providers: rows.rows.map((r) => ({
            providerId: r.id,
            tenantId: r.tenant_id,
            syncSchedule: r.sync_schedule,
            timezone: r.timezone,
            lastSyncAt: r.last_sync_at === null ? null : new Date(r.last_sync_at),
            updatedAt: new Date(r.updated_at),
            lastScheduledFor: r.last_scheduled_for === null ? null : new Date(r.last_scheduled_for),
          })),
        };
      }),
  };
};

export const make = Effect.gen(function* () {
  return PgRunLeases.of(makeWith(yield* PgDatabase));
});

/**
 * @example
 * const LeasesLive = PgRunLeases.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<PgRunLeases, never, PgDatabase> = Layer.effect(PgRunLeases, make);
