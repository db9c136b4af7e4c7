/**
 * The roster store on PostgreSQL / PGlite. Every step is set-based: staging is a COPY into the
 * run's own UNLOGGED partition, each kind's rows that need a decision are worked out once with hash
 * joins (the work set) and read back one chunk per statement, and `apply` loads each kind with a
 * handful of INSERT … SELECT / UPDATE … FROM statements in one transaction. Rows the feed did not
 * change never reach a write statement.
 */
import {
  ContentDigest, EntityId, KINDS, LeaseLostError, Plan, RosterStore, RosterStoreError, type ApplyResult, type DeactivationHint, type DeactivationPreview,
  type DuplicateRow, type FeedMode, type Kind, type KindPlanSummary, type MatchCandidate, type PlanCandidate, type PlanDecision,
  type RosterStoreShape, type RowIssue, type RunScope, type SealHint, type StagedRow, type StorePlanResult,
} from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import { KIND_SPECS, fieldEncoder, fieldsFromRow, stagingColumns, type KindSpec } from "./internal/Kinds";
import { PLAN_TABLE, isUuid, makePartitions, partitionName, runIdOfPartition, type Partitions } from "./internal/Partitions";
import { PgDatabase, copyParts, copyString, errorMessage, escapeText, type PgHandle } from "./PgDatabase";

const raw = (s: string) => sql.raw(s);

/** Thrown inside the apply transaction to roll it back; mapped to `LeaseLostError`. */
class LeaseLost extends Error {}

/**
 * Plan COPY columns; `run_id` comes from the partition's column default. The external id is not
 * repeated (the row's `seq` joins staging), and a ref id equal to the one `planCandidates`
 * resolved is sent as NULL: the load takes it from the work set.
 */
const PLAN_COLUMNS = ["kind", "seq", "action", "entity_id", "matched_by", "ref1_entity_id", "ref2_entity_id"];
const UPSERT_ACTIONS = "('update', 'match', 'reactivate')";
/** Staging columns an unchanged row fills; the partition's defaults make it active, `unchanged`, hash ''. */
const BARE_STAGING_COLUMNS = ["seq", "external_id"];
/** Default of `PgRosterStoreOptions.hashJoinRows`. */
const HASH_JOIN_ROWS = 50_000;

/**
 * The seq of a plan row that is a rule rather than a decision: "create every row of the kind's work
 * set that has no link and resolves its refs, under the id the work set gave it". A first sync plans
 * its enrollments (most of a district's rows) with this one row instead of one row each (1.7 s for
 * 700 000), and the load reads them from the work set alone instead of joining the plan back (0.7 s
 * per statement). Staged seqs count from 1: no join on seq ever meets the rule.
 */
const CREATE_RULE_SEQ = -1;
/** Kinds that other kinds refer to: their ids are resolved through plan rows, so they never take the rule. */
const REFERENCED_KINDS: ReadonlySet<Kind> = new Set(KINDS.flatMap((kind) => KIND_SPECS[kind].refKinds));
/** Users never take the rule either: an unlinked user may match an existing one. */
const mayTakeRule = (kind: Kind) => kind !== "user" && !REFERENCED_KINDS.has(kind);
/** Whether every ref of the work row (alias `alias`) resolved. */
const refsResolved = (spec: KindSpec, alias: string) =>
  spec.refKinds.map((_, i) => `${alias}.ref${i + 1}_entity_id is not null`).join(" and ") || "true";
/** The work rows a create rule creates. */
const ruleCreates = (spec: KindSpec, alias: string) =>
  `${alias}.link_entity_id is null and ${alias}.status <> 'tobedeleted' and ${refsResolved(spec, alias)}`;

const affected = (result: { readonly numAffectedRows?: bigint }): number => Number(result.numAffectedRows ?? 0n);

const checkScope = (scope: RunScope): void => {
  if (!isUuid(scope.runId)) throw new Error(`run id must be a uuid, got "${scope.runId}"`);
  if (!isUuid(scope.providerId)) throw new Error(`provider id must be a uuid, got "${scope.providerId}"`);
};

// ---------------------------------------------------------------------------------------------
// SQL builders. Kinds, table and column names come from KIND_SPECS and run / provider ids are
// checked uuids, so they are inlined as literals; every other value travels as a parameter.

const uuidLit = (id: string) => `'${id.toLowerCase()}'::uuid`;
/** For fixed texts of our own (messages built from kind names), never for input. */
const textLit = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * A run's own tables by name. Statements name the partitions directly rather than the parent
 * with a `run_id` filter: the planner then uses the partition's statistics (through the parent it
 * guessed 200 distinct external ids for 700k and sorted instead of hashing).
 */
interface RunTables {
  readonly staging: Readonly<Record<Kind, string>>;
  readonly plan: string;
}

const WORK_TABLE: Readonly<Record<Kind, string>> = {
  school: "sis_work_schools", class: "sis_work_classes", user: "sis_work_users", enrollment: "sis_work_enrollments",
};

/** Per run and kind: the links the run deactivates, collected by the deactivation preview. */
const DROPPED_TABLE: Readonly<Record<Kind, string>> = {
  school: "sis_work_dropped_schools", class: "sis_work_dropped_classes", user: "sis_work_dropped_users", enrollment: "sis_work_dropped_enrollments",
};

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

const candidatesBy = (column: "email_key" | "student_number_key") => `
    case when w.link_entity_id is null and w.${column} is not null then (
      select coalesce(json_agg(json_build_object('entityId', c.id, 'active', c.active, 'linkedByThisProvider', c.linked)
                               order by c.created_at, c.id), '[]'::json)
      from (
        select u.id, u.active, u.created_at,
               exists (select 1 from sis_links x where x.entity_id = u.id and x.provider_id = $p and x.kind = 'user'
                       and x.active and x.external_id <> w.external_id) as linked
        from users u where u.tenant_id = $t and u.${column} = w.${column}
        order by u.created_at, u.id limit 2
      ) c
    ) end`;

/**
 * Replaces `$name` placeholders with bound parameters, so the SQL above reads like SQL while
 * every value still travels as a parameter.
 */
const bind = (text: string, values: Readonly<Record<string, unknown>>): RawBuilder<unknown> => {
  const chunks: Array<RawBuilder<unknown>> = [];
  for (const part of text.split(/(\$[a-z]+\b)/)) {
    const m = /^\$([a-z]+)$/.exec(part);
    if (m && m[1]! in values) chunks.push(m[1] === "p" ? sql`${values[m[1]!]}::uuid` : sql`${values[m[1]!]}`);
    else if (part.length > 0) chunks.push(raw(part));
  }
  return sql.join(chunks, raw(""));
};

// ---------------------------------------------------------------------------------------------

/** A planning work set's rows, how many of them have a link already, and how many a create rule would create. */
interface WorkSize {
  readonly rows: number;
  readonly linked: number;
  readonly creatable: number;
}

/** A work set as built: what from, and its size. */
interface WorkSet extends WorkSize {
  readonly inputs: string;
}

export interface PgRosterStoreOptions {
  /** Work memory for the big per-kind statements, so sorts and hash joins stay in memory. */
  readonly workMem?: string;
  /** Rows a load must write before the touched tables are re-analyzed (fresh planner statistics). */
  readonly analyzeAfter?: number;
  /**
   * From this many rows on (rows needing a decision, links dropped), a step joins whole tables by
   * hashing them; below it, each row probes an index. Tests set 0 to run every step the big way.
   */
  readonly hashJoinRows?: number;
}

/** The store over an open database handle. */
export const makeWith = (handle: PgHandle, options: PgRosterStoreOptions = {}): RosterStoreShape => {
  const db = handle.db as unknown as Kysely<any>;
  const partitions: Partitions = makePartitions(db, handle.backend);
  const workMem = options.workMem ?? "64MB";
  const analyzeAfter = options.analyzeAfter ?? 5000;
  const hashJoinRows = options.hashJoinRows ?? HASH_JOIN_ROWS;

  /**
   * Planning work sets already built in this process: `run:kind` → the inputs they were built from
   * (modes of the referenced kinds and how many plan chunks of those kinds were saved) and their
   * size. A set is rebuilt when an input changed, so refs always see the referenced kinds' final
   * decisions.
   */
  const workSets = new Map<string, WorkSet>();
  const planChunks = new Map<string, number>();
  /**
   * Decisions this process saved per `run:kind`, by what the load does with them. A first sync has
   * no updates, a quiet night few creates: `apply` skips the statements that would find nothing.
   */
  const plannedActions = new Map<string, { create: number; upsert: number }>();
  const countPlanned = (key: string, create: number, upsert: number) => {
    const planned = plannedActions.get(key) ?? { create: 0, upsert: 0 };
    planned.create += create;
    planned.upsert += upsert;
    plannedActions.set(key, planned);
  };
  const lastModes = new Map<string, Partial<Record<Kind, FeedMode>>>();
  /** Valid (non-duplicate) staged rows per `run:kind`, counted when the kind was sealed. */
  const validCounts = new Map<string, number>();
  /**
   * Valid rows this process staged per `run:kind` (a run stages, seals and loads in one process:
   * a run whose lease lapses ends, it is never resumed elsewhere). None means nothing to seal.
   */
  const stagedValid = new Map<string, number>();
  /** Ref ids handed out by the last `planCandidates` chunks, per `run:kind` and seq. */
  const servedRefs = new Map<string, Map<number, ReadonlyArray<string | null>>>();
  /**
   * `run:kind:mode` → how many links the deactivation preview put in the kind's dropped table.
   * Only this run writes its provider's links (one open run per provider, fenced by the lease), and
   * its own upserts only touch staged ids, so the load deactivates exactly that table's links
   * instead of repeating the whole-kind anti-join.
   */
  const droppedSets = new Map<string, number>();

  /** `analyze` with a small sample: row counts and rough selectivities are all the plans need. */
  const analyze = (table: string) =>
    db.transaction().execute(async (trx) => {
      await raw("set local default_statistics_target = 10").execute(trx);
      await raw(`analyze ${table}`).execute(trx);
    });

  const attempt = <A>(label: string, run: () => Promise<A>): Effect.Effect<A, RosterStoreError> =>
    Effect.tryPromise({
      try: run,
      catch: (cause) => new RosterStoreError({ message: `${label}: ${errorMessage(cause)}`, cause }),
    });

  /**
   * A transaction for the set-based statements: generous work memory, asynchronous commit (the
   * per-run tables are reproducible, and a lost roster commit is a re-run), and hash joins rather
   * than nested loops however stale the statistics of freshly loaded tables are.
   */
  const tx = <A>(body: (trx: Transaction<any>) => Promise<A>, hashJoins = true): Promise<A> =>
    db.transaction().execute(async (trx) => {
      await raw(`set local work_mem = '${workMem}'`).execute(trx);
      await raw("set local synchronous_commit = off").execute(trx);
      // Whole-kind statements have huge estimated costs, and JIT compiling them costs more (~0.5 s
      // per statement) than it saves.
      await raw("set local jit = off").execute(trx);
      if (hashJoins) {
        await raw("set local enable_nestloop = off").execute(trx);
        await raw("set local enable_mergejoin = off").execute(trx);
      }
      return body(trx);
    });

  const nestLoops = (trx: Transaction<any>, on: boolean) => raw(`set local enable_nestloop = ${on ? "on" : "off"}`).execute(trx);
  /**
   * For a statement whose few rows each find their partner through an index. Costing every probe
   * as a random read, the planner would rather hash the whole partner table (700 000 enrollments
   * read to deactivate 7 000); off again restores the transaction's hash-join setting.
   */
  const indexProbes = async (trx: Transaction<any>, on: boolean) => {
    await raw(`set local enable_nestloop = ${on ? "on" : "off"}`).execute(trx);
    await raw(`set local enable_hashjoin = ${on ? "off" : "on"}`).execute(trx);
  };

  // ----- digest -----------------------------------------------------------------------------

  /**
   * The digest is read as a few long strings of `external_id<TAB>hash` lines (one per bucket of ids)
   * rather than a row per link: decoding 700 000 rows one by one would cost more than the query.
   * Ids holding a tab or a newline are left out: such rows simply take the planning path. Links
   * alone decide: triggers clear the hash of links whose entity is deactivated, deleted or
   * truncated away outside the sync (migration `2026_11_26_0001_stale_link_hashes`).
   */
  const contentDigest = async (scope: RunScope, kind: Kind): Promise<ContentDigest> => {
    checkScope(scope);
    const provider = uuidLit(scope.providerId);
    const result = await tx(async (trx) => {
      // When the provider and kind filters fool the row estimate (a handful instead of all), the
      // planner sorts every link to group them into buckets; hashing 32 groups is a third faster.
      await raw("set local enable_sort = off").execute(trx);
      // It runs while the extraction keeps both cores busy: parallel workers would only take turns with it.
      await raw("set local max_parallel_workers_per_gather = 0").execute(trx);
      // Every active link is counted (the safeguard's figure, and how the engine learns whether the
      // feed sent them all); the lines hold those the digest can carry.
      const held = "l.content_hash is not null and strpos(l.external_id, E'\\t') = 0 and strpos(l.external_id, E'\\n') = 0";
      return raw(`
        select count(*)::int as total, count(*) filter (where ${held})::int as n,
               string_agg(l.external_id || E'\t' || l.content_hash, E'\n') filter (where ${held}) as lines
        from sis_links l
        where l.provider_id = ${provider} and l.kind = '${kind}' and l.active
        group by hashtext(l.external_id) & 31`).execute(trx);
    });
    const buckets = result.rows as Array<{ total: number; n: number; lines: string | null }>;
    const digest = ContentDigest.withCapacity(buckets.reduce((sum, b) => sum + b.n, 0), buckets.reduce((sum, b) => sum + b.total, 0));
    for (const { lines } of buckets) if (lines !== null) digest.addLines(lines);
    return digest;
  };

  // ----- stage ------------------------------------------------------------------------------

  const stageRows = async (scope: RunScope, kind: Kind, rows: ReadonlyArray<StagedRow>): Promise<void> => {
    checkScope(scope);
    if (rows.length === 0) return;
    const spec = KIND_SPECS[kind];
    const part = await partitions.ensure(spec.staging, scope.runId, scope.providerId);
    validCounts.delete(workKey(scope, kind));
    workSets.delete(workKey(scope, kind));
    droppedSets.delete(`${workKey(scope, kind)}:bulk`);
    droppedSets.delete(`${workKey(scope, kind)}:delta`);
    const refCount = spec.refKinds.length;
    const fields = spec.fields.map((f) => ({ field: f.field, encode: fieldEncoder(f.type) }));
    const nulls = `\t\\N`.repeat(fields.length);
    // Rows go straight to COPY text (no per-value arrays): staging is the hot path of every sync.
    // Unchanged rows (most of a re-sync) travel in a COPY of their own with just the columns
    // they fill; the rest are NULL by default, and never read.
    const full: Array<string> = [];
    const bare: Array<string> = [];
    let valid = 0;
    for (const row of rows) {
      if (row.state === "valid") valid++;
      else if (row.state === "unchanged") {
        bare.push(`${Math.trunc(row.seq)}\t${copyString(row.externalId)}`);
        continue;
      }
      let line = `${Math.trunc(row.seq)}\t${copyString(row.externalId)}\t${copyString(row.status)}\t${copyString(row.state)}\t${copyString(row.hash)}\t${copyString(row.file)}\t${row.line === null || row.line === undefined ? "\\N" : Math.trunc(row.line)}\t${row.raw === null || row.raw === undefined ? "\\N" : escapeText(JSON.stringify(row.raw))}`;
      if (spec.keys) line += `\t${copyString(row.emailKey)}\t${copyString(row.studentNumberKey)}`;
      for (let i = 0; i < refCount; i++) line += `\t${copyString(row.refs[i])}`;
      const data = row.state === "valid" && row.data !== null && typeof row.data === "object" ? (row.data as Record<string, unknown>) : null;
      if (data === null) line += nulls;
      else for (const f of fields) line += `\t${f.encode(data[f.field])}`;
      full.push(line);
    }
    stagedValid.set(workKey(scope, kind), (stagedValid.get(workKey(scope, kind)) ?? 0) + valid);
    if (full.length > 0) await handle.copyText(part, stagingColumns(spec), copyParts(full).parts);
    if (bare.length > 0) await handle.copyText(part, BARE_STAGING_COLUMNS, copyParts(bare).parts);
  };

  const recordIssues = async (scope: RunScope, issues: ReadonlyArray<RowIssue>): Promise<void> => {
    if (issues.length === 0) return;
    checkScope(scope);
    await tx(async (trx) => {
      await sql`
        insert into sis_row_issues (run_id, kind, severity, code, file, line, external_id, message)
        select ${scope.runId}::uuid, u.kind, u.severity, u.code, u.file, u.line, u.external_id, u.message
        from unnest(${issues.map((i) => i.kind)}::text[], ${issues.map((i) => i.severity)}::text[], ${issues.map((i) => i.code)}::text[],
                    ${issues.map((i) => i.file)}::text[], ${issues.map((i) => i.line)}::int[], ${issues.map((i) => i.externalId)}::text[],
                    ${issues.map((i) => i.message)}::text[])
          with ordinality as u(kind, severity, code, file, line, external_id, message, ord)
        order by u.ord`.execute(trx);
      await sql`update sis_sync_runs set issue_count = issue_count + ${issues.length} where id = ${scope.runId}::uuid`.execute(trx);
    }, false);
  };

  // ----- seal / count -------------------------------------------------------------------------

  const sealKind = async (scope: RunScope, kind: Kind, hint: SealHint = {}): Promise<ReadonlyArray<DuplicateRow>> => {
    checkScope(scope);
    const spec = KIND_SPECS[kind];
    const part = await partitions.ensure(spec.staging, scope.runId, scope.providerId);
    await analyze(part); // the partition was just filled by COPY
    const staged = stagedValid.get(workKey(scope, kind));
    // Only unchanged (or rejected) rows, or valid ones whose ids the engine saw never repeat: no
    // duplicate to find (for a first sync, a 0.6 s search through 700 000 enrollments spared).
    if (staged === 0 || (staged !== undefined && hint.repeatsPossible === false)) {
      validCounts.set(workKey(scope, kind), staged);
      return [];
    }
    // A valid row is a duplicate when an earlier valid row has its external id (first seq wins).
    // One pass groups the valid rows; it also counts them for `countStaged`.
    const result = await tx((trx) =>
      sql<{ seq: number | null; external_id: string | null; file: string | null; line: number | null; total: string | number | null }>`
        with ids as materialized (
          select external_id, min(seq) as first, count(*) as n from ${raw(part)} where state = 'valid' group by external_id
        ),
        marked as (
          update ${raw(part)} s set state = 'duplicate'
          from ids f
          where f.n > 1 and s.external_id = f.external_id and s.seq > f.first and s.state = 'valid'
          returning s.seq, s.external_id, s.file, s.line
        )
        select seq, external_id, file, line, null::bigint as total from marked
        union all
        select null, null, null, null, coalesce(sum(n), 0)::bigint from ids`.execute(trx));
    const duplicates = result.rows.filter((r) => r.seq !== null).sort((a, b) => a.seq! - b.seq!);
    const total = Number(result.rows.find((r) => r.seq === null)?.total ?? 0);
    validCounts.set(workKey(scope, kind), total - duplicates.length);
    return duplicates.map((r) => ({ externalId: r.external_id!, file: r.file, line: r.line }));
  };

  const workKey = (scope: RunScope, kind: Kind) => `${scope.runId}:${kind}`;
  /** Whether the kind has so many valid rows that whole-set hash joins beat index probes (unknown: assume so). */
  const manyValid = (key: string): boolean => (validCounts.get(key) ?? Infinity) >= hashJoinRows;

  const runTables = async (scope: RunScope): Promise<RunTables> => {
    const staging = {} as Record<Kind, string>;
    for (const kind of KINDS) staging[kind] = await partitions.ensure(KIND_SPECS[kind].staging, scope.runId, scope.providerId);
    return { staging, plan: await partitions.ensure(PLAN_TABLE, scope.runId) };
  };

  /** What a kind's work set depends on: ref kinds' modes and their saved plan chunks. */
  const workInputs = (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): string =>
    KIND_SPECS[kind].refKinds.map((k) => `${k}=${modes[k] === "bulk" ? "bulk" : "other"}/${planChunks.get(`${scope.runId}:${k}`) ?? 0}`).join(",");

  /**
   * Builds the kind's planning work set in one set-based statement (hash joins over the whole
   * kind): every valid staged row that needs a decision, with its link state, its resolved refs
   * and, without a link, the id it is created under (a UUIDv7 prefix and its seq, so ids increase
   * in feed order; made once here, whether a plan row or the create rule takes it). Returns its size.
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
    const table = partitionName(WORK_TABLE[kind], scope.runId);
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
        where ${validCounts.get(workKey(scope, kind)) === 0 ? "false and " : ""}s.state = 'valid'
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
  const buildWork = async (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): Promise<WorkSize & { readonly table: string }> => {
    // Tables are resolved (and created when missing) before the transaction: on PGlite a
    // statement outside it would wait for the one connection the transaction holds.
    const tables = await runTables(scope);
    // A few thousand changed rows are best probed through the link index; hundreds of thousands
    // (a first sync) by hash joins over the whole kind.
    const built = await tx((trx) => buildWorkIn(trx, tables, scope, kind, modes), manyValid(workKey(scope, kind)));
    workSets.set(workKey(scope, kind), { inputs: workInputs(scope, kind, modes), ...built });
    return { table: partitionName(WORK_TABLE[kind], scope.runId), ...built };
  };

  /** The kind's work set, rebuilt first when its inputs changed since it was built. */
  const currentWork = async (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>): Promise<WorkSize & { readonly table: string }> => {
    const built = workSets.get(workKey(scope, kind));
    return built?.inputs === workInputs(scope, kind, modes)
      ? { table: partitionName(WORK_TABLE[kind], scope.runId), rows: built.rows, linked: built.linked, creatable: built.creatable }
      : buildWork(scope, kind, modes);
  };

  const countStaged = async (scope: RunScope, kind: Kind) => {
    checkScope(scope);
    const spec = KIND_SPECS[kind];
    let valid = validCounts.get(workKey(scope, kind));
    if (valid === undefined) {
      const counted = await sql<{ n: number }>`
        select count(*)::int as n from ${raw(spec.staging)} where run_id = ${scope.runId}::uuid and state = 'valid'`.execute(db);
      valid = counted.rows[0]?.n ?? 0;
    }
    // The work set is what needs a decision; the rest of the valid rows are unchanged.
    const work = await buildWork(scope, kind, lastModes.get(scope.runId) ?? {});
    return { valid, unchanged: valid - work.rows };
  };

  // ----- plan -------------------------------------------------------------------------------

  const planCandidates = async (
    scope: RunScope,
    kind: Kind,
    modes: Readonly<Partial<Record<Kind, FeedMode>>>,
    afterSeq: number,
    limit: number,
  ): Promise<ReadonlyArray<PlanCandidate>> => {
    checkScope(scope);
    lastModes.set(scope.runId, { ...modes });
    const spec = KIND_SPECS[kind];
    const { table } = await currentWork(scope, kind, modes);
    const plan = await partitions.ensure(PLAN_TABLE, scope.runId);
    const users = kind === "user";
    // PGlite decodes result columns one by one in JavaScript, which is slow for wide rows; one
    // JSON column per row decodes about 2.5× faster there. pg decodes plain columns faster.
    const packed = handle.backend === "pglite";
    const result = await bind(`
      select ${packed ? "to_json(w) as row_json" : "w.*"}
             ${users ? `, ${candidatesBy("email_key")} as by_email, ${candidatesBy("student_number_key")} as by_student_number` : ""}
      from ${table} w
      where w.seq > $after
        and not exists (select 1 from ${plan} p where p.kind = '${kind}' and p.seq = w.seq)${mayTakeRule(kind) ? `
        and not exists (select 1 from ${plan} r where r.kind = '${kind}' and r.seq = ${CREATE_RULE_SEQ})` : ""}
      order by w.seq
      limit $limit`, { p: scope.providerId, t: scope.tenantId, after: afterSeq, limit }).execute(db);
    const rows = packed
      ? (result.rows as Array<Record<string, unknown>>).map((r) => {
        const json = r["row_json"];
        const row = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown>;
        if (users) {
          row["by_email"] = r["by_email"];
          row["by_student_number"] = r["by_student_number"];
        }
        return row;
      })
      : (result.rows as Array<Record<string, unknown>>);
    const refCount = spec.refKinds.length;
    let served = servedRefs.get(workKey(scope, kind));
    if (refCount > 0 && served === undefined) servedRefs.set(workKey(scope, kind), (served = new Map()));
    served?.clear(); // the engine has moved past the previous chunk
    return rows.map((row): PlanCandidate => {
      const linkEntity = row["link_entity_id"] as string | null;
      const refEntityIds = spec.refKinds.map((_, i) => (row[`ref${i + 1}_entity_id`] as string | null) ?? null);
      if (served !== undefined) served.set(row["seq"] as number, refEntityIds);
      return {
        seq: row["seq"] as number,
        externalId: row["external_id"] as string,
        status: row["status"] as PlanCandidate["status"],
        data: fieldsFromRow(spec, row),
        hash: row["hash"] as string,
        file: (row["file"] as string | null) ?? null,
        line: (row["line"] as number | null) ?? null,
        link: linkEntity === null
          ? null
          : {
            entityId: linkEntity,
            linkActive: row["link_active"] === true,
            entityActive: row["entity_active"] === true,
            hash: (row["link_hash"] as string | null) ?? null,
          },
        byEmail: (row["by_email"] as ReadonlyArray<MatchCandidate> | null | undefined) ?? [],
        byStudentNumber: (row["by_student_number"] as ReadonlyArray<MatchCandidate> | null | undefined) ?? [],
        refEntityIds,
      };
    });
  };

  const savePlan = async (scope: RunScope, kind: Kind, decisions: ReadonlyArray<PlanDecision>): Promise<void> => {
    checkScope(scope);
    if (decisions.length === 0) return;
    const part = await partitions.ensure(PLAN_TABLE, scope.runId);
    const served = servedRefs.get(workKey(scope, kind));
    const lines: Array<string> = [];
    for (const d of decisions) {
      const resolved = served?.get(d.seq);
      served?.delete(d.seq);
      // Only a ref that differs from the one resolved for the candidate needs to travel.
      const ref = (i: number) => {
        const id = d.refEntityIds[i] ?? null;
        return copyString(id !== null && resolved !== undefined && resolved[i] === id ? null : id);
      };
      lines.push(`${kind}\t${Math.trunc(d.seq)}\t${copyString(d.action)}\t${copyString(d.entityId)}\t${copyString(d.matchedBy)}\t${ref(0)}\t${ref(1)}`);
    }
    lines.push("");
    await handle.copyText(part, PLAN_COLUMNS, [lines.join("\n")]);
    const key = workKey(scope, kind);
    const creates = decisions.filter((d) => d.action === "create").length;
    countPlanned(key, creates, decisions.filter((d) => d.action !== "create" && d.action !== "delete").length);
    planChunks.set(key, (planChunks.get(key) ?? 0) + 1);
    droppedSets.delete(`${key}:delta`);
  };

  /**
   * Saves the kind's create rule (`CREATE_RULE_SEQ`); returns how many rows it creates, as the work
   * set counted them when it was built.
   */
  const planByRule = async (trx: Transaction<any>, plan: string, spec: KindSpec, creatable: number): Promise<number> => {
    // The ids are the work set's; the rule's own is a placeholder for the column.
    await raw(`
      insert into ${plan} (kind, seq, action, entity_id, matched_by)
      values ('${spec.kind}', ${CREATE_RULE_SEQ}, 'create', '00000000-0000-0000-0000-000000000000'::uuid, null)`).execute(trx);
    return creatable;
  };

  /**
   * `Plan.decide` for every candidate that needs no matching, as statements over the work set: the
   * decisions go straight into the plan table (a create takes the id the work set gave its row), or
   * as one rule when they are all creates (`CREATE_RULE_SEQ`), and rows with a reference that does
   * not resolve become issues. Refs travel as NULL, as `savePlan` sends a ref equal to the resolved
   * one: the load takes them from the work set. An unlinked user is created only when no user of the
   * tenant has its email or student number key (the probes `candidatesBy` makes); otherwise, or
   * without creation, it stays for the engine.
   */
  const planInStore = async (
    scope: RunScope,
    kind: Kind,
    modes: Readonly<Partial<Record<Kind, FeedMode>>>,
    policy: { readonly createUsers: boolean },
  ): Promise<StorePlanResult> => {
    checkScope(scope);
    lastModes.set(scope.runId, { ...modes });
    const spec = KIND_SPECS[kind];
    const key = workKey(scope, kind);
    const counts = { created: 0, updated: 0, reactivated: 0, deleted: 0, rejected: 0 };
    const { table: work, rows, linked, creatable } = await currentWork(scope, kind, modes);
    if (rows === 0) {
      countPlanned(key, 0, 0); // a quiet night: most kinds have nothing to decide
      return counts;
    }
    const plan = await partitions.ensure(PLAN_TABLE, scope.runId);
    const resolved = refsResolved(spec, "w");
    // No row has a link (a first sync) and no kind refers to this one: every row is a create, or a
    // rejection, or (a delete of an unknown id) nothing. One rule row says so for all of them.
    const byRule = linked === 0 && mayTakeRule(kind);
    // Few rows to decide: each unlinked user probes the email and student-number indexes once. As a
    // subquery in the CASE the planner would rather hash every user of the tenant (its estimate
    // counts a probe per work row, linked ones too): 0.25–0.8 s for a quiet night's 3 000 users.
    // A lateral subquery with a limit can only probe, and only runs for unlinked users.
    const probed = kind === "user" && policy.createUsers && rows < hashJoinRows;
    const taken = (column: "email_key" | "student_number_key", alias: string) => `
        left join lateral (select true as taken from users u
          where w.link_entity_id is null and w.status <> 'tobedeleted' and u.tenant_id = $t and u.${column} = w.${column} limit 1) ${alias} on true`;
    const unmatched = (column: "email_key" | "student_number_key", alias: string) => probed
      ? `${alias}.taken is null`
      : `(w.${column} is null or not exists (select 1 from users u where u.tenant_id = $t and u.${column} = w.${column}))`;
    const create = kind !== "user" ? "'create'"
      : policy.createUsers ? `case when ${unmatched("email_key", "te")} and ${unmatched("student_number_key", "tn")} then 'create' end`
      : "null";
    const decide = `case
            when w.status = 'tobedeleted' then (case when w.link_active then 'delete' end)
            when not (${resolved}) then null
            when w.link_entity_id is null then ${create}
            when w.link_active and w.entity_active then 'update'
            else 'reactivate' end`;
    await tx(async (trx) => {
      const inserted = byRule ? await planByRule(trx, plan, spec, creatable) : affected(await bind(`
        insert into ${plan} (kind, seq, action, entity_id, matched_by)
        select '${kind}', w.seq, a.action,
               case when a.action = 'create' then w.new_id else w.link_entity_id end,
               case when a.action = 'create' then null else 'externalId' end
        from ${work} w${probed ? taken("email_key", "te") + taken("student_number_key", "tn") : ""}
        cross join lateral (select ${decide} as action) a
        where a.action is not null`, { t: scope.tenantId }).execute(trx));
      if (linked === 0) {
        // Without a link a row can only be created (or left undecided): a first sync need not count.
        counts.created = inserted;
      } else {
        // Counted from the plan afterwards: an insert that also returns its 700 000 rows for counting
        // takes half as long again, and counting over the work set would probe the users twice.
        const decided = await raw(`select action, count(*)::int as n from ${plan} where kind = '${kind}' group by action`).execute(trx);
        for (const { action, n } of decided.rows as Array<{ action: PlanDecision["action"]; n: number }>) {
          if (action === "create") counts.created = n;
          else if (action === "update") counts.updated = n;
          else if (action === "reactivate") counts.reactivated = n;
          else if (action === "delete") counts.deleted = n;
        }
      }
      if (spec.refKinds.length === 0) return;
      // The first reference that does not resolve names the reason, as in `Plan.decide`.
      const reason = `case ${spec.refKinds.map((refKind, i) => `when w.ref${i + 1}_entity_id is null then ${textLit(Plan.unknownReferenceMessage(kind, refKind))}`).join(" ")} end`;
      counts.rejected = affected(await raw(`
        insert into sis_row_issues (run_id, kind, severity, code, file, line, external_id, message)
        select ${uuidLit(scope.runId)}, '${kind}', 'error', 'unknown_reference', w.file,
               case when w.file is null then null else coalesce(w.line, 0) end, w.external_id, ${reason}
        from ${work} w
        where w.status <> 'tobedeleted' and not (${resolved})
        order by w.seq`).execute(trx));
      if (counts.rejected > 0) {
        await sql`update sis_sync_runs set issue_count = issue_count + ${counts.rejected} where id = ${scope.runId}::uuid`.execute(trx);
      }
      // Sized by the rows to decide, not the rows staged: a quiet night's few new users each probe
      // the email and student-number indexes instead of hashing every user of the tenant twice.
    }, rows >= hashJoinRows);
    // Statistics for the decisions just written: the next statements join them (the engine's
    // candidate query, the referring kinds' work sets). Without them a few thousand decisions are
    // estimated at a handful, and an anti-join rescans them per candidate (0.16–0.35 s for 3 000 users).
    if (!byRule && counts.created + counts.updated + counts.reactivated + counts.deleted > 0) await analyze(plan);
    countPlanned(key, counts.created, counts.updated + counts.reactivated);
    planChunks.set(key, (planChunks.get(key) ?? 0) + 1);
    droppedSets.delete(`${key}:delta`);
    return counts;
  };

  // ----- deactivations ----------------------------------------------------------------------

  /** Active links of the provider and kind that `apply` deactivates (alias `l`). */
  const droppedPredicate = (spec: KindSpec, mode: FeedMode, tables: RunTables, alias: string): string =>
    mode === "delta"
      ? `exists (select 1 from ${tables.plan} dp join ${tables.staging[spec.kind]} dps on dps.seq = dp.seq
                 where dp.kind = '${spec.kind}' and dp.action = 'delete' and dps.external_id = ${alias}.external_id)`
      : `not exists (select 1 from ${tables.staging[spec.kind]} ds where ds.external_id = ${alias}.external_id)`;

  /**
   * Writes the kind's dropped links (bulk: active links not staged; delta: planned deletes) to the
   * run's dropped table, by one hash anti-join over the kind; returns how many there are.
   */
  const collectDropped = async (trx: Transaction<any>, tables: RunTables, scope: RunScope, kind: Kind, mode: FeedMode): Promise<number> => {
    const spec = KIND_SPECS[kind];
    const table = partitionName(DROPPED_TABLE[kind], scope.runId);
    await raw(`drop table if exists ${table}`).execute(trx);
    await raw(`
      create unlogged table ${table} as
      select l.external_id, l.entity_id from sis_links l
      where l.provider_id = ${uuidLit(scope.providerId)} and l.kind = '${kind}' and l.active and ${droppedPredicate(spec, mode, tables, "l")}`)
      .execute(trx);
    const counted = await sql<{ n: number }>`select count(*)::int as n from ${raw(table)}`.execute(trx);
    const count = counted.rows[0]?.n ?? 0;
    droppedSets.set(`${workKey(scope, kind)}:${mode}`, count);
    return count;
  };

  const previewDeactivations = async (scope: RunScope, kind: Kind, mode: FeedMode, hint: DeactivationHint = {}): Promise<DeactivationPreview> => {
    checkScope(scope);
    const spec = KIND_SPECS[kind];
    const provider = uuidLit(scope.providerId);
    if (mode === "bulk" && hint.noneDropped === true) {
      // The feed sent every active link's id again (an unchanged night): no anti-join over the kind.
      droppedSets.set(`${workKey(scope, kind)}:${mode}`, 0);
      return { links: 0, entities: 0, activeLinks: 0 };
    }
    const tables = await runTables(scope);
    const table = partitionName(DROPPED_TABLE[kind], scope.runId);
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

  // ----- apply ------------------------------------------------------------------------------

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
    const work = partitionName(WORK_TABLE[kind], scope.runId);
    const exists = await sql<{ ok: boolean }>`select to_regclass(${work}) is not null as ok`.execute(trx);
    if (exists.rows[0]?.ok !== true) await buildWorkIn(trx, tables, scope, kind, lastModes.get(scope.runId) ?? {});

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
    const linkColumns = "tenant_id, provider_id, kind, external_id, entity_id, content_hash, active, deactivated_at, last_run_id, created_at, updated_at";
    let written = 0;
    // A quiet night decides a few thousand rows: each finds its entity through the primary key.
    const sized = await raw(`select count(*)::int as n from (select 1 from ${work} limit ${hashJoinRows}) w`).execute(trx);
    const fewDecisions = (sized.rows[0] as { n: number }).n < hashJoinRows;
    if (fewDecisions) await indexProbes(trx, true);

    // Unknown (nothing planned by this process) means: run every statement.
    const planned = plannedActions.get(workKey(scope, kind)) ?? { create: 1, upsert: 1 };

    // 1. New entities and their links (plain inserts: a create never has a link yet).
    if (planned.create > 0) written += await exec(`
      insert into ${spec.entity} (id, tenant_id, ${names}, active, deactivated_at, created_at, updated_at)
      select ${created.id}, $t, ${columns.map((c) => c.expr).join(", ")}, true, null, now(), now()
      ${created.from}`);
    // In feed order, unsorted: sorting by the key would fill the primary key's pages one after
    // another, but the sort costs more than that saves, even for ids in no order at all (measured in
    // bench/README.md).
    if (planned.create > 0) await exec(`
      insert into sis_links (${linkColumns})
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
      insert into sis_links (${linkColumns})
      select $t, ${provider}, '${kind}', s.external_id, p.entity_id, s.hash, true, null, ${run}, now(), now()
      ${source(UPSERT_ACTIONS)}
      on conflict (provider_id, kind, external_id) do update
        set entity_id = excluded.entity_id, content_hash = excluded.content_hash, active = true, deactivated_at = null,
            last_run_id = excluded.last_run_id, updated_at = now()`);

    if (fewDecisions) await indexProbes(trx, false);

    // 3. Links the feed no longer carries (bulk: not staged in any state; delta: planned deletes),
    //    as the deactivation preview collected them.
    const key = `${workKey(scope, kind)}:${mode}`;
    const toDrop = droppedSets.get(key) ?? (await collectDropped(trx, tables, scope, kind, mode));
    if (toDrop === 0) return { deactivated: 0, written };
    await raw("truncate sis_apply_dropped").execute(trx);
    const fewDropped = toDrop < hashJoinRows;
    if (fewDropped) await indexProbes(trx, true);
    const dropped = await exec(`
      with d as (
        update sis_links l set active = false, deactivated_at = now(), last_run_id = ${run}, updated_at = now()
        from ${partitionName(DROPPED_TABLE[kind], scope.runId)} t
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

  const apply = async (scope: RunScope, kinds: ReadonlyArray<KindPlanSummary>): Promise<ApplyResult> => {
    checkScope(scope);
    const deactivated: Record<Kind, number> = { school: 0, class: 0, user: 0, enrollment: 0 };
    const written: Array<Kind> = [];
    // Statistics for the plan the engine just wrote by COPY.
    const tables = await runTables(scope);
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

  // ----- prune ------------------------------------------------------------------------------

  const pruneStaging = async (providerId: string, keep: number): Promise<number> => {
    if (!isUuid(providerId)) return 0;
    const old = await sql<{ id: string }>`
      select id from sis_sync_runs where provider_id = ${providerId}::uuid
      order by created_at desc, id desc offset ${Math.max(0, keep)}`.execute(db);
    if (old.rows.length === 0) return 0;
    const oldRuns = new Set(old.rows.map((r) => r.id.toLowerCase()));
    const doomed = (await partitions.list()).filter((name) => {
      const owner = runIdOfPartition(name);
      return owner !== null && oldRuns.has(owner.runId);
    });
    const pruned = new Set(doomed.flatMap((n) => {
      const owner = runIdOfPartition(n)!;
      return owner.table.startsWith("sis_raw_") ? [owner.runId] : [];
    }));
    await partitions.drop(doomed);
    for (const runId of oldRuns) {
      for (const kind of KINDS) {
        workSets.delete(`${runId}:${kind}`);
        planChunks.delete(`${runId}:${kind}`);
        plannedActions.delete(`${runId}:${kind}`);
        validCounts.delete(`${runId}:${kind}`);
        stagedValid.delete(`${runId}:${kind}`);
        servedRefs.delete(`${runId}:${kind}`);
        droppedSets.delete(`${runId}:${kind}:bulk`);
        droppedSets.delete(`${runId}:${kind}:delta`);
      }
      lastModes.delete(runId);
    }
    return pruned.size;
  };

  return {
    contentDigest: (scope, kind) => attempt("contentDigest", () => contentDigest(scope, kind)),
    stage: (scope, kind, rows) => attempt("stage", () => stageRows(scope, kind, rows)),
    recordIssues: (scope, issues) => attempt("recordIssues", () => recordIssues(scope, issues)),
    sealKind: (scope, kind, hint) => attempt("sealKind", () => sealKind(scope, kind, hint)),
    countStaged: (scope, kind) => attempt("countStaged", () => countStaged(scope, kind)),
    planCandidates: (scope, kind, modes, afterSeq, limit) =>
      attempt("planCandidates", () => planCandidates(scope, kind, modes, afterSeq, limit)),
    savePlan: (scope, kind, decisions) => attempt("savePlan", () => savePlan(scope, kind, decisions)),
    planInStore: (scope, kind, modes, policy) => attempt("planInStore", () => planInStore(scope, kind, modes, policy)),
    previewDeactivations: (scope, kind, mode, hint) => attempt("previewDeactivations", () => previewDeactivations(scope, kind, mode, hint)),
    apply: (scope, kinds) =>
      Effect.tryPromise({
        try: () => apply(scope, kinds),
        catch: (cause): RosterStoreError | LeaseLostError =>
          cause instanceof LeaseLost
            ? new LeaseLostError({ runId: scope.runId, message: "lock timed out: the run's lease is no longer held, nothing was applied" })
            : new RosterStoreError({ message: `apply: ${errorMessage(cause)}`, cause }),
      }),
    pruneStaging: (providerId, keep) => attempt("pruneStaging", () => pruneStaging(providerId, keep)),
  };
};

/** The store over the `PgDatabase` service. */
export const makeWithOptions = (options: PgRosterStoreOptions) =>
  Effect.gen(function* () {
    const handle = yield* PgDatabase;
    return RosterStore.of(makeWith(handle, options));
  });

export const make = makeWithOptions({});

/**
 * @example
 * const StoreLive = PgRosterStore.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<RosterStore, never, PgDatabase> = Layer.effect(RosterStore, make);

/** `layer` with tuning options (tests use them to force one join strategy). */
export const layerWith = (options: PgRosterStoreOptions): Layer.Layer<RosterStore, never, PgDatabase> =>
  Layer.effect(RosterStore, makeWithOptions(options));
