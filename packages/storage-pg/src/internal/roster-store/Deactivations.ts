/**
 * Deactivations: the active links a run drops (bulk: not staged in any state; delta: planned
 * deletes), collected once into the run's dropped table so the safeguard can weigh them before
 * anything is applied and the load deactivates exactly those.
 */
import type { DeactivationHint, DeactivationPreview, FeedMode, Kind, RunScope } from "@sis-sync/core";
import { sql, type Transaction } from "kysely";
import { KIND_SPECS, type KindSpec } from "../Kinds";
import { droppedTable, runTables, type RunTables } from "./RunTables";
import { droppedKey, workKey } from "./RunMemory";
import { checkScope, raw, uuidLit } from "./Sql";
import type { StoreSession } from "./StoreSession";

/** Active links of the provider and kind that the load deactivates (alias `alias`). */
const droppedPredicate = (spec: KindSpec, mode: FeedMode, tables: RunTables, alias: string): string =>
  mode === "delta"
    ? `exists (select 1 from ${tables.plan} dp join ${tables.staging[spec.kind]} dps on dps.seq = dp.seq
               where dp.kind = '${spec.kind}' and dp.action = 'delete' and dps.external_id = ${alias}.external_id)`
    : `not exists (select 1 from ${tables.staging[spec.kind]} ds where ds.external_id = ${alias}.external_id)`;

export const makeDeactivations = (session: StoreSession) => {
  const { partitions, memory, hashJoinRows, tx } = session;

  /**
   * Writes the kind's dropped links to the run's dropped table, by one hash anti-join over the
   * kind; returns how many there are.
   */
  const collectDropped = async (trx: Transaction<any>, tables: RunTables, scope: RunScope, kind: Kind, mode: FeedMode): Promise<number> => {
    const spec = KIND_SPECS[kind];
    const table = droppedTable(scope, kind);
    await raw(`drop table if exists ${table}`).execute(trx);
    await raw(`
      create unlogged table ${table} as
      select l.external_id, l.entity_id from sis_links l
      where l.provider_id = ${uuidLit(scope.providerId)} and l.kind = '${kind}' and l.active and ${droppedPredicate(spec, mode, tables, "l")}`)
      .execute(trx);
    const counted = await sql<{ n: number }>`select count(*)::int as n from ${raw(table)}`.execute(trx);
    const count = counted.rows[0]?.n ?? 0;
    memory.droppedSets.set(droppedKey(workKey(scope, kind), mode), count);
    return count;
  };

  const previewDeactivations = async (scope: RunScope, kind: Kind, mode: FeedMode, hint: DeactivationHint = {}): Promise<DeactivationPreview> => {
    checkScope(scope);
    const spec = KIND_SPECS[kind];
    const provider = uuidLit(scope.providerId);
    if (mode === "bulk" && hint.noneDropped === true) {
      // The feed sent every active link's id again (an unchanged night): no anti-join over the kind.
      memory.droppedSets.set(droppedKey(workKey(scope, kind), mode), 0);
      return { links: 0, entities: 0, activeLinks: 0 };
    }
    const tables = await runTables(partitions, scope);
    const table = droppedTable(scope, kind);
    const { links, activeLinks } = await tx(async (trx) => {
      const links = await collectDropped(trx, tables, scope, kind, mode);
      if (links === 0) return { links, activeLinks: 0 };
      if (hint.activeLinks !== undefined) return { links, activeLinks: hint.activeLinks };
      const active = await sql<{ n: number }>`
        select count(*)::int as n from sis_links
        where provider_id = ${scope.providerId}::uuid and kind = ${kind} and active`.execute(trx);
      return { links, activeLinks: active.rows[0]?.n ?? 0 };
    });
    if (links === 0) return { links: 0, entities: 0, activeLinks };
    // Entities losing their last active link. A quiet night drops a few links: each entity's active
    // links are counted through the link index and compared with how many of them drop. A wipe
    // drops most of a kind: the links are hashed once instead (`in`, not a correlated `exists`, so
    // the dropped set is hashed once rather than scanned per link).
    const notPlanned = `not exists (
            select 1 from ${tables.plan} p
            where p.kind = '${kind}' and p.action <> 'delete' and p.entity_id = d.entity_id)`;
    const orphans = await tx((trx) =>
      raw(links < hashJoinRows
        ? `
        select count(*)::int as n
        from (select entity_id, count(*) as dropping from ${table} group by entity_id) d
        join ${spec.entity} e on e.id = d.entity_id and e.active
        where (select count(*) from sis_links k where k.entity_id = d.entity_id and k.kind = '${kind}' and k.active) <= d.dropping
          and ${notPlanned}`
        : `
        select count(distinct d.entity_id)::int as n from ${table} d
        join ${spec.entity} e on e.id = d.entity_id and e.active
        where not exists (
            select 1 from sis_links k
            where k.entity_id = d.entity_id and k.kind = '${kind}' and k.active
              and not (k.provider_id = ${provider} and k.external_id in (select d2.external_id from ${table} d2)))
          and ${notPlanned}`).execute(trx), links >= hashJoinRows);
    return { links, entities: (orphans.rows[0] as { n: number }).n, activeLinks };
  };

  return { collectDropped, previewDeactivations };
};

export type Deactivations = ReturnType<typeof makeDeactivations>;
