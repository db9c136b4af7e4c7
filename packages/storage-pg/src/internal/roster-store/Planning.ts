/**
 * Planning: the work set's rows that need the engine (matching) are read back in chunks and its
 * decisions saved by COPY into the run's plan partition; every other row is decided in place by
 * statements over the work set (`planInStore`).
 */
import {
  Plan, type FeedMode, type Kind, type MatchCandidate, type PlanCandidate, type PlanDecision, type RunScope, type StorePlanResult,
} from "@sis-sync/core";
import { sql, type Transaction } from "kysely";
import { copyString } from "../../PgDatabase";
import { KIND_SPECS, fieldsFromRow, type KindSpec } from "../Kinds";
import { PLAN_TABLE } from "../Partitions";
import { CREATE_RULE_SEQ, mayTakeRule, refsResolved } from "./CreateRule";
import { workKey } from "./RunMemory";
import { affected, bind, checkScope, raw, textLit, uuidLit } from "./Sql";
import type { StoreSession } from "./StoreSession";
import type { WorkSets } from "./WorkSets";

/**
 * Plan COPY columns; `run_id` comes from the partition's column default. The external id is not
 * repeated (the row's `seq` joins staging), and a ref id equal to the one `planCandidates`
 * resolved is sent as NULL: the load takes it from the work set.
 */
const PLAN_COLUMNS = ["kind", "seq", "action", "entity_id", "matched_by", "ref1_entity_id", "ref2_entity_id"];

/** Users of the tenant an unlinked work row (alias `w`) may match by the key column, oldest first, two at most. */
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

export const makePlanning = (session: StoreSession, workSets: WorkSets) => {
  const { handle, db, partitions, memory, hashJoinRows, analyze, tx } = session;

  const planCandidates = async (
    scope: RunScope,
    kind: Kind,
    modes: Readonly<Partial<Record<Kind, FeedMode>>>,
    afterSeq: number,
    limit: number,
  ): Promise<ReadonlyArray<PlanCandidate>> => {
    checkScope(scope);
    memory.lastModes.set(scope.runId, { ...modes });
    const spec = KIND_SPECS[kind];
    const { table } = await workSets.currentWork(scope, kind, modes);
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
    let served = memory.servedRefs.get(workKey(scope, kind));
    if (refCount > 0 && served === undefined) memory.servedRefs.set(workKey(scope, kind), (served = new Map()));
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
    const key = workKey(scope, kind);
    const served = memory.servedRefs.get(key);
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
    const creates = decisions.filter((d) => d.action === "create").length;
    memory.planSaved(key, creates, decisions.filter((d) => d.action !== "create" && d.action !== "delete").length);
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
    memory.lastModes.set(scope.runId, { ...modes });
    const spec = KIND_SPECS[kind];
    const key = workKey(scope, kind);
    const counts = { created: 0, updated: 0, reactivated: 0, deleted: 0, rejected: 0 };
    const { table: work, rows, linked, creatable } = await workSets.currentWork(scope, kind, modes);
    if (rows === 0) {
      memory.countPlanned(key, 0, 0); // a quiet night: most kinds have nothing to decide
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
    memory.planSaved(key, counts.created, counts.updated + counts.reactivated);
    return counts;
  };

  return { planCandidates, savePlan, planInStore };
};
