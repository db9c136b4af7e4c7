/**
 * The load: each kind with a handful of INSERT … SELECT / UPDATE … FROM statements over its plan
 * and work set, all kinds in one transaction fenced by the run's lease. Rows the feed did not
 * change never reach a write statement.
 */
import { KINDS, type ApplyResult, type Kind, type KindPlanSummary, type RunScope } from "@sis-sync/core";
import { sql, type Transaction } from "kysely";
import { KIND_SPECS } from "../Kinds";
import { CREATE_RULE_SEQ, mayTakeRule, ruleCreates } from "./CreateRule";
import type { Deactivations } from "./Deactivations";
import { droppedTable, runTables, workTable, type RunTables } from "./RunTables";
import { droppedKey, workKey } from "./RunMemory";
import { affected, bind, checkScope, indexProbes, nestLoops, raw, uuidLit } from "./Sql";
import type { StoreSession } from "./StoreSession";
import type { WorkSets } from "./WorkSets";

/** Thrown inside the apply transaction to roll it back; the store maps it to `LeaseLostError`. */
export class LeaseLost extends Error {}

const UPSERT_ACTIONS = "('update', 'match', 'reactivate')";
const LINK_COLUMNS = "tenant_id, provider_id, kind, external_id, entity_id, content_hash, active, deactivated_at, last_run_id, created_at, updated_at";

export const makeLoading = (session: StoreSession, workSets: WorkSets, deactivations: Deactivations) => {
  const { partitions, memory, hashJoinRows, analyzeAfter, analyze, tx } = session;

  /** Loads one kind; returns entities deactivated and rows written. */
  const applyKind = async (
    trx: Transaction<any>,
    tables: RunTables,
    scope: RunScope,
    summary: KindPlanSummary,
  ): Promise<{ deactivated: number; written: number }> => {
    const { kind, mode } = summary;
    const spec = KIND_SPECS[kind];
    const run = uuidLit(scope.runId);
    const provider = uuidLit(scope.providerId);
    const exec = async (text: string) => affected(await bind(text, { t: scope.tenantId }).execute(trx));
    // Decisions join the kind's work set, which holds the staged fields and the resolved refs.
    const work = workTable(scope, kind);
    const exists = await sql<{ ok: boolean }>`select to_regclass(${work}) is not null as ok`.execute(trx);
    if (exists.rows[0]?.ok !== true) await workSets.buildWorkIn(trx, tables, scope, kind, memory.lastModes.get(scope.runId) ?? {});

    // Created by the kind's rule (`CREATE_RULE_SEQ`): the rows, their ids and refs all come from the work set.
    const byRule = mayTakeRule(kind) && (await sql`
      select 1 from ${raw(tables.plan)} where kind = ${kind} and seq = ${CREATE_RULE_SEQ}`.execute(trx)).rows.length > 0;

    const value = (f: { readonly column: string; readonly orElse?: string }) =>
      f.orElse === undefined ? `s.${f.column}` : `coalesce(s.${f.column}, ${f.orElse})`;
    const ref = (n: number) => byRule ? `s.ref${n}_entity_id` : `coalesce(p.ref${n}_entity_id, s.ref${n}_entity_id)`;
    const columns = [
      ...spec.fields.map((f) => ({ column: f.column, expr: value(f) })),
      ...(spec.keys ? [{ column: "email_key", expr: "s.email_key" }, { column: "student_number_key", expr: "s.student_number_key" }] : []),
      ...spec.refColumns.map((column, i) => ({ column, expr: ref(i + 1) })),
    ];
    const names = columns.map((c) => c.column).join(", ");
    const selected = columns.map((c) => `${c.expr} as ${c.column}`).join(", ");
    const source = (actions: string) => `
      from ${tables.plan} p join ${work} s on s.seq = p.seq
      where p.kind = '${kind}' and p.action in ${actions}`;
    const created = byRule
      ? { id: "s.new_id", from: `from ${work} s where ${ruleCreates(spec, "s")}` }
      : { id: "p.entity_id", from: source("('create')") };
    let written = 0;
    // A quiet night decides a few thousand rows: each finds its entity through the primary key.
    const sized = await raw(`select count(*)::int as n from (select 1 from ${work} limit ${hashJoinRows}) w`).execute(trx);
    const fewDecisions = (sized.rows[0] as { n: number }).n < hashJoinRows;
    if (fewDecisions) await indexProbes(trx, true);

    // Unknown (nothing planned through this store instance) means: run every statement.
    const planned = memory.plannedActions.get(workKey(scope, kind)) ?? { create: 1, upsert: 1 };

    // 1. New entities and their links (plain inserts: a create never has a link yet).
    if (planned.create > 0) written += await exec(`
      insert into ${spec.entity} (id, tenant_id, ${names}, active, deactivated_at, created_at, updated_at)
      select ${created.id}, $t, ${columns.map((c) => c.expr).join(", ")}, true, null, now(), now()
      ${created.from}`);
    // In feed order, unsorted: sorting by the key would fill the primary key's pages one after
    // another, but the sort costs more than that saves, even for ids in no order at all (measured in
    // bench/README.md).
    if (planned.create > 0) await exec(`
      insert into sis_links (${LINK_COLUMNS})
      select $t, ${provider}, '${kind}', s.external_id, ${created.id}, s.hash, true, null, ${run}, now(), now()
      ${created.from}`);

    // 2. Changed, matched and reactivated entities: written only when something differs.
    if (planned.upsert > 0) written += await exec(`
      update ${spec.entity} e set ${columns.map((c) => `${c.column} = src.${c.column}`).join(", ")},
             active = true, deactivated_at = null, updated_at = now()
      from (select p.entity_id, ${selected} ${source(UPSERT_ACTIONS)}) src
      where e.id = src.entity_id
        and (not e.active or (${columns.map((c) => `e.${c.column}`).join(", ")}) is distinct from (${columns.map((c) => `src.${c.column}`).join(", ")}))`);
    // A decision about an entity that vanished (deleted outside the sync) recreates it.
    if (planned.upsert > 0) written += await exec(`
      insert into ${spec.entity} (id, tenant_id, ${names}, active, deactivated_at, created_at, updated_at)
      select distinct on (p.entity_id) p.entity_id, $t, ${columns.map((c) => c.expr).join(", ")}, true, null, now(), now()
      ${source(UPSERT_ACTIONS)}
        and not exists (select 1 from ${spec.entity} x where x.id = p.entity_id)
      on conflict (id) do nothing`);
    if (planned.upsert > 0) written += await exec(`
      insert into sis_links (${LINK_COLUMNS})
      select $t, ${provider}, '${kind}', s.external_id, p.entity_id, s.hash, true, null, ${run}, now(), now()
      ${source(UPSERT_ACTIONS)}
      on conflict (provider_id, kind, external_id) do update
        set entity_id = excluded.entity_id, content_hash = excluded.content_hash, active = true, deactivated_at = null,
            last_run_id = excluded.last_run_id, updated_at = now()`);

    if (fewDecisions) await indexProbes(trx, false);

    // 3. Links the feed no longer carries, as the deactivation preview collected them.
    const toDrop = memory.droppedSets.get(droppedKey(workKey(scope, kind), mode)) ?? (await deactivations.collectDropped(trx, tables, scope, kind, mode));
    if (toDrop === 0) return { deactivated: 0, written };
    await raw("truncate sis_apply_dropped").execute(trx);
    const fewDropped = toDrop < hashJoinRows;
    if (fewDropped) await indexProbes(trx, true);
    const dropped = await exec(`
      with d as (
        update sis_links l set active = false, deactivated_at = now(), last_run_id = ${run}, updated_at = now()
        from ${droppedTable(scope, kind)} t
        where l.provider_id = ${provider} and l.kind = '${kind}' and l.external_id = t.external_id and l.active
        returning l.entity_id
      )
      insert into sis_apply_dropped (entity_id) select distinct entity_id from d`);
    written += dropped;

    // 4. Entities left without any active link (from any provider) are soft-deleted.
    let deactivated = 0;
    if (dropped > 0) {
      deactivated = await exec(`
        update ${spec.entity} e set active = false, deactivated_at = now(), updated_at = now()
        from sis_apply_dropped d
        where e.id = d.entity_id and e.active
          and not exists (select 1 from sis_links k where k.entity_id = e.id and k.kind = '${kind}' and k.active)`);
    }
    if (fewDropped) await indexProbes(trx, false);
    return { deactivated, written: written + deactivated };
  };

  /** Loads the kinds in dependency order, in one transaction; throws `LeaseLost` when the run's lease is gone. */
  const apply = async (scope: RunScope, kinds: ReadonlyArray<KindPlanSummary>): Promise<ApplyResult> => {
    checkScope(scope);
    const deactivated: Record<Kind, number> = { school: 0, class: 0, user: 0, enrollment: 0 };
    const written: Array<Kind> = [];
    // Statistics for the plan the engine just wrote by COPY.
    const tables = await runTables(partitions, scope);
    await analyze(tables.plan);
    await tx(async (trx) => {
      if (scope.leaseToken !== undefined) {
        await nestLoops(trx, true);
        const held = await sql<{ id: string }>`
          select id from sis_sync_runs
          where id = ${scope.runId}::uuid and lease_token = ${scope.leaseToken} and lease_expires_at > now()
          for update`.execute(trx);
        if (held.rows.length === 0) throw new LeaseLost();
        await nestLoops(trx, false);
      }
      await raw("create temp table if not exists sis_apply_dropped (entity_id uuid not null) on commit drop").execute(trx);
      const ordered = [...kinds].sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
      for (const summary of ordered) {
        const result = await applyKind(trx, tables, scope, summary);
        deactivated[summary.kind] = result.deactivated;
        if (result.written >= analyzeAfter) written.push(summary.kind);
      }
    });
    // Big loads change the row counts the planner relies on: refresh them now, not whenever
    // autovacuum gets to it (the next sync may start right away).
    if (written.length > 0) {
      for (const kind of written) await analyze(KIND_SPECS[kind].entity);
      await analyze("sis_links");
    }
    return { deactivated };
  };

  return { apply };
};
