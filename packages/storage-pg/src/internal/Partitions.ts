/**
 * Per-run tables: partitions of the staging and plan tables, and the planning work sets. A run's
 * rows live in UNLOGGED tables of their own, so pruning a run drops tables instead of deleting
 * millions of rows, and nothing is indexed row by row during COPY (every statement over them is a
 * hash join over the whole set).
 *
 * On a server, partitions are created standalone and then ATTACHed and later DETACHed
 * CONCURRENTLY: both take only a SHARE UPDATE EXCLUSIVE lock on the parent, so one provider's
 * staging never waits for another provider's long load transaction (CREATE … PARTITION OF and
 * DROP of an attached partition would take ACCESS EXCLUSIVE on the parent). PGlite has one
 * session, so it uses the plain forms.
 */
import { sql, type Kysely } from "kysely";
import type { Backend } from "../PgDatabase";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

export const STAGING_TABLES = ["sis_raw_schools", "sis_raw_classes", "sis_raw_users", "sis_raw_enrollments"] as const;
export const PLAN_TABLE = "sis_sync_plan";
export const PARTITIONED_TABLES: ReadonlyArray<string> = [...STAGING_TABLES, PLAN_TABLE];
/** Per-run scratch tables (not partitions): the planning work sets and the dropped links, one per kind. */
export const WORK_TABLES = [
  "sis_work_schools", "sis_work_classes", "sis_work_users", "sis_work_enrollments",
  "sis_work_dropped_schools", "sis_work_dropped_classes", "sis_work_dropped_users", "sis_work_dropped_enrollments",
] as const;
const RUN_TABLES: ReadonlyArray<string> = [...PARTITIONED_TABLES, ...WORK_TABLES];

/** Name of `table`'s partition for `runId` (the caller has checked that `runId` is a uuid). */
export const partitionName = (table: string, runId: string): string => `${table}_r${runId.toLowerCase().replace(/-/g, "")}`;

/** The run id a partition name encodes, or null. */
export const runIdOfPartition = (name: string): { readonly table: string; readonly runId: string } | null => {
  const m = /^(.*)_r([0-9a-f]{32})$/.exec(name);
  if (!m || !RUN_TABLES.includes(m[1]!)) return null;
  const h = m[2]!;
  return { table: m[1]!, runId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` };
};

export interface Partitions {
  /**
   * Creates (once) `table`'s partition for the run and returns its name. The partition's `run_id`
   * (and `provider_id`, when given) default to the run's, so COPY need not send them.
   */
  readonly ensure: (table: string, runId: string, providerId?: string) => Promise<string>;
  /** Every existing per-run table (partitions and work tables). */
  readonly list: () => Promise<ReadonlyArray<string>>;
  /** Detaches and drops per-run tables. */
  readonly drop: (names: ReadonlyArray<string>) => Promise<void>;
  /** Forgets a cached name (after the table was dropped). */
  readonly forget: (name: string) => void;
}

const isDuplicateObject = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "42P07" || code === "23505" || code === "42710";
};

export const makePartitions = (db: Kysely<any>, backend: Backend): Partitions => {
  const known = new Set<string>();
  /**
   * Creations under way. A run stages one kind while it plans the kinds before it, and planning
   * resolves every kind's partition: the second caller must wait for the first, not race it (a
   * concurrent CREATE fails with a duplicate key, and the loser would return before the run_id
   * default is set, so its COPY would fail).
   */
  const creating = new Map<string, Promise<string>>();

  const ensure = (table: string, runId: string, providerId?: string): Promise<string> => {
    const name = partitionName(table, runId);
    if (known.has(name)) return Promise.resolve(name);
    let pending = creating.get(name);
    if (pending === undefined) {
      pending = create(table, name, runId, providerId).finally(() => creating.delete(name));
      creating.set(name, pending);
    }
    return pending;
  };

  const create = async (table: string, name: string, runId: string, providerId?: string): Promise<string> => {
    const value = runId.toLowerCase();
    const defaults = async () => {
      await sql.raw(`alter table ${name} alter column run_id set default '${value}'::uuid`).execute(db);
      if (providerId !== undefined && isUuid(providerId)) {
        await sql.raw(`alter table ${name} alter column provider_id set default '${providerId.toLowerCase()}'::uuid`).execute(db);
      }
      // What an unchanged row is, so the COPY of a re-sync's 800 000 of them sends only seq and id.
      if (table.startsWith("sis_raw_")) {
        await sql.raw(`alter table ${name} alter column status set default 'active', alter column state set default 'unchanged', alter column hash set default ''`)
          .execute(db);
      }
    };
    const attempt = async (again: boolean): Promise<void> => {
      try {
        if (backend === "pglite") {
          await sql.raw(`create unlogged table if not exists ${name} partition of ${table} for values in ('${value}')`).execute(db);
          await defaults();
          return;
        }
        const state = await sql<{ exists: boolean; attached: boolean }>`
          select to_regclass(${name}) is not null as exists,
                 exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relname = ${name}) as attached`.execute(db);
        const row = state.rows[0];
        if (row?.attached) return; // attached last, so its defaults are in place
        if (!row?.exists) {
          await sql.raw(`create unlogged table if not exists ${name} (like ${table} including defaults including constraints)`).execute(db);
          await sql.raw(`alter table ${name} add constraint ${name}_run check (run_id is not null and run_id = '${value}'::uuid)`).execute(db)
            .catch((error: unknown) => (isDuplicateObject(error) ? undefined : Promise.reject(error)));
        }
        await defaults();
        await sql.raw(`alter table ${table} attach partition ${name} for values in ('${value}')`).execute(db);
      } catch (error) {
        if (/already a partition/.test(String((error as Error)?.message))) return; // another creator attached it first
        // Another creator's CREATE won the race: its table exists now, so finish the work with it
        // rather than return before the defaults are set.
        if (isDuplicateObject(error) && again) return attempt(false);
        if (!isDuplicateObject(error)) throw error;
      }
    };
    await attempt(true);
    known.add(name);
    return name;
  };

  const list = async (): Promise<ReadonlyArray<string>> => {
    const result = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' and c.relname ~ '^sis_(raw|sync_plan|work)[a-z_]*_r[0-9a-f]{32}$'`.execute(db);
    return result.rows.map((r) => r.name).filter((name) => runIdOfPartition(name) !== null);
  };

  const drop = async (names: ReadonlyArray<string>): Promise<void> => {
    for (const name of names) {
      const owner = runIdOfPartition(name);
      if (!owner) continue;
      known.delete(name);
      if (backend === "pg" && PARTITIONED_TABLES.includes(owner.table)) {
        try {
          await sql.raw(`alter table ${owner.table} detach partition ${name} concurrently`).execute(db);
        } catch (error) {
          const message = String((error as Error)?.message);
          if (/pending detach/.test(message)) await sql.raw(`alter table ${owner.table} detach partition ${name} finalize`).execute(db);
          else if (!/is not a partition|does not exist/.test(message)) throw error;
        }
      }
      await sql.raw(`drop table if exists ${name}`).execute(db);
    }
  };

  return { ensure, list, drop, forget: (name) => void known.delete(name) };
};
