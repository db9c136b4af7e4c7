/**
 * Planning work sets: per run and kind, every valid staged row that needs a decision, worked out
 * once by one set-based statement (hash joins over the whole kind when it has many rows) with its
 * link state, its resolved refs and, without a link, the id it is created under. Planning reads it in chunks or
 * decides it in place; the load joins it for the staged fields.
 */
import { EntityId, type FeedMode, type Kind, type RunScope } from "@sis-sync/core";
import { sql, type Transaction } from "kysely";
import { KIND_SPECS } from "../Kinds";
import { ruleCreates } from "./CreateRule";
import { runTables, workTable, type RunTables } from "./RunTables";
import { workKey } from "./RunMemory";
import { checkScope, raw, uuidLit } from "./Sql";
import type { StoreSession } from "./StoreSession";

/** A planning work set's rows, how many of them have a link already, and how many a create rule would create. */
export interface WorkSize {
  readonly rows: number;
  readonly linked: number;
  readonly creatable: number;
}

/** A work set as built: what from, and its size. */
export interface WorkSet extends WorkSize {
  readonly inputs: string;
}

/** A built work set: its table and size. */
type BuiltWork = WorkSize & { readonly table: string };

/**
 * `external_id → entity` for a referenced kind's rows staged in this run, exactly as
 * `MemoryRosterStore.resolveRef` resolves a staged row: the first non-duplicate row counts; it
 * resolves only when valid (or unchanged) and active, to its decision's entity (none for a delete) or its link's.
 * `wanted` is a query of the ids the rows refer to, or null for every id of the kind (when most are
 * referred to anyway).
 */
const refMap = (name: string, refKind: Kind, tables: RunTables, provider: string, wanted: string | null): string => `
  ${name} as (
    select r.external_id,
           case when r.state in ('valid', 'unchanged') and r.status = 'active' then
             case when p.seq is not null then (case when p.action = 'delete' then null else p.entity_id end)
                  else rl.entity_id end
           end as entity_id
    from (select distinct on (external_id) external_id, seq, state, status from ${tables.staging[refKind]}
          where state <> 'duplicate'${wanted === null ? "" : ` and external_id in (${wanted})`} order by external_id, seq) r
    left join ${tables.plan} p on p.kind = '${refKind}' and p.seq = r.seq
    left join sis_links rl on rl.provider_id = ${provider} and rl.kind = '${refKind}' and rl.external_id = r.external_id
  )`;

export const makeWorkSets = (session: StoreSession) => {
  const { db, partitions, memory, hashJoinRows, manyValid, tx } = session;

  /** What a kind's work set depends on: ref kinds' modes and their saved plan chunks. */
  const workInputs = (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): string =>
    KIND_SPECS[kind].refKinds.map((k) => `${k}=${modes[k] === "bulk" ? "bulk" : "other"}/${memory.planChunks.get(workKey(scope, k)) ?? 0}`).join(",");

  /**
   * Builds the kind's work set in the transaction. A row without a link gets its new id here (a
   * UUIDv7 prefix and its seq, so ids increase in feed order; made once, whether a plan row or the
   * create rule takes it). Returns its size.
   */
  const buildWorkIn = async (
    trx: Transaction<any>,
    tables: RunTables,
    scope: RunScope,
    kind: Kind,
    modes: Partial<Record<Kind, FeedMode>>,
  ): Promise<WorkSize> => {
    const spec = KIND_SPECS[kind];
    const provider = uuidLit(scope.providerId);
    const table = workTable(scope, kind);
    // Hundreds of thousands of rows to decide (a first sync) refer to nearly every class and user:
    // finding which ones first would hash all their references for nothing.
    const manyRows = manyValid(workKey(scope, kind));
    const refs = spec.refKinds.map((refKind, i) => {
      const n = i + 1;
      const bulk = modes[refKind] === "bulk";
      return {
        // Otherwise only the ids the rows needing a decision refer to: on a quiet night that is a few.
        cte: refMap(`m${n}`, refKind, tables, provider, manyRows ? null : `select ref${n} from ${tables.staging[kind]} where state = 'valid'`),
        join: `left join m${n} on m${n}.external_id = s.ref${n}` +
          (bulk ? "" : `
          left join sis_links a${n} on a${n}.provider_id = ${provider} and a${n}.kind = '${refKind}' and a${n}.external_id = s.ref${n} and a${n}.active`),
        expr: `case when m${n}.external_id is not null then m${n}.entity_id else ${bulk ? "null::uuid" : `a${n}.entity_id`} end as ref${n}_entity_id`,
      };
    });
    await raw(`drop table if exists ${table}`).execute(trx);
    await raw(`
        create unlogged table ${table} as
        ${refs.length > 0 ? `with ${refs.map((r) => r.cte).join(",")}` : ""}
        select s.seq, s.external_id, s.status, s.hash, s.file, s.line, ${spec.fields.map((f) => `s.${f.column}`).join(", ")},
               ${spec.keys ? "s.email_key, s.student_number_key," : ""}
               l.entity_id as link_entity_id, l.active as link_active, l.content_hash as link_hash,
               case when l.entity_id is null then ('${EntityId.uuidv7Prefix()}' || lpad(to_hex(s.seq), 8, '0'))::uuid end as new_id,
               coalesce(e.active, false) as entity_active
               ${refs.map((r) => `, ${r.expr}`).join("")}
        from ${tables.staging[kind]} s
        left join sis_links l on l.provider_id = ${provider} and l.kind = '${kind}' and l.external_id = s.external_id
        left join ${spec.entity} e on e.id = l.entity_id
        ${refs.map((r) => r.join).join("\n")}
        where ${memory.validCounts.get(workKey(scope, kind)) === 0 ? "false and " : ""}s.state = 'valid'
          and not (s.status = 'active' and coalesce(l.active and e.active and l.content_hash = s.hash, false))`).execute(trx);
    const count = await sql<{ n: number; linked: number; creatable: number }>`
      select count(*)::int as n, count(link_entity_id)::int as linked,
             count(*) filter (where ${raw(ruleCreates(spec, "w"))})::int as creatable
      from ${raw(table)} w`.execute(trx);
    const rows = count.rows[0]?.n ?? 0;
    // Users are read back in seq chunks (`planCandidates`), and a few rows are joined through the
    // index; the rest of a first sync's 700 000 enrollments are only ever hash-joined (0.3 s saved).
    if (kind === "user" || rows < hashJoinRows) await raw(`create index ${table}_seq on ${table} (seq)`).execute(trx);
    return { rows, linked: count.rows[0]?.linked ?? 0, creatable: count.rows[0]?.creatable ?? 0 };
  };

  /** `buildWorkIn` in a transaction of its own; remembers what the set was built from. */
  const buildWork = async (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): Promise<BuiltWork> => {
    // Tables are resolved (and created when missing) before the transaction: on PGlite a
    // statement outside it would wait for the one connection the transaction holds.
    const tables = await runTables(partitions, scope);
    // A few thousand changed rows are best probed through the link index; hundreds of thousands
    // (a first sync) by hash joins over the whole kind.
    const built = await tx((trx) => buildWorkIn(trx, tables, scope, kind, modes), manyValid(workKey(scope, kind)));
    memory.workSets.set(workKey(scope, kind), { inputs: workInputs(scope, kind, modes), ...built });
    return { table: workTable(scope, kind), ...built };
  };

  /** The kind's work set, rebuilt first when its inputs changed since it was built. */
  const currentWork = async (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): Promise<BuiltWork> => {
    const built = memory.workSets.get(workKey(scope, kind));
    return built?.inputs === workInputs(scope, kind, modes)
      ? { table: workTable(scope, kind), rows: built.rows, linked: built.linked, creatable: built.creatable }
      : buildWork(scope, kind, modes);
  };

  /** Valid staged rows, and how many of them need no decision (the work set holds the rest). */
  const countStaged = async (scope: RunScope, kind: Kind) => {
    checkScope(scope);
    const spec = KIND_SPECS[kind];
    let valid = memory.validCounts.get(workKey(scope, kind));
    if (valid === undefined) {
      const counted = await sql<{ n: number }>`
        select count(*)::int as n from ${raw(spec.staging)} where run_id = ${scope.runId}::uuid and state = 'valid'`.execute(db);
      valid = counted.rows[0]?.n ?? 0;
    }
    const work = await buildWork(scope, kind, memory.lastModes.get(scope.runId) ?? {});
    return { valid, unchanged: valid - work.rows };
  };

  return { buildWorkIn, currentWork, countStaged };
};

export type WorkSets = ReturnType<typeof makeWorkSets>;
