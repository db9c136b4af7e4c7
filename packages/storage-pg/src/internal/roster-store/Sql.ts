/**
 * Helpers for the store's SQL. Kinds, table and column names come from KIND_SPECS and run /
 * provider ids are checked uuids, so they are inlined as literals; every other value travels as a
 * parameter.
 */
import type { RunScope } from "@sis-sync/core";
import { sql, type RawBuilder, type Transaction } from "kysely";
import { isUuid } from "../Partitions";

export const raw = (s: string) => sql.raw(s);

export const affected = (result: { readonly numAffectedRows?: bigint }): number => Number(result.numAffectedRows ?? 0n);

/** Run and provider ids are inlined into statements: they must be uuids. */
export const checkScope = (scope: RunScope): void => {
  if (!isUuid(scope.runId)) throw new Error(`run id must be a uuid, got "${scope.runId}"`);
  if (!isUuid(scope.providerId)) throw new Error(`provider id must be a uuid, got "${scope.providerId}"`);
};

export const uuidLit = (id: string) => `'${id.toLowerCase()}'::uuid`;
/** For fixed texts of our own (messages built from kind names), never for input. */
export const textLit = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Replaces `$name` placeholders with bound parameters, so the SQL reads like SQL while every value
 * still travels as a parameter. `$p` is a provider id (a uuid).
 */
export const bind = (text: string, values: Readonly<Record<string, unknown>>): RawBuilder<unknown> => {
  const chunks: Array<RawBuilder<unknown>> = [];
  for (const part of text.split(/(\$[a-z]+\b)/)) {
    const m = /^\$([a-z]+)$/.exec(part);
    if (m && m[1]! in values) chunks.push(m[1] === "p" ? sql`${values[m[1]!]}::uuid` : sql`${values[m[1]!]}`);
    else if (part.length > 0) chunks.push(raw(part));
  }
  return sql.join(chunks, raw(""));
};

export const nestLoops = (trx: Transaction<any>, on: boolean) => raw(`set local enable_nestloop = ${on ? "on" : "off"}`).execute(trx);

/**
 * For a statement whose few rows each find their partner through an index. Costing every probe
 * as a random read, the planner would rather hash the whole partner table (700 000 enrollments
 * read to deactivate 7 000); off again restores the transaction's hash-join setting.
 */
export const indexProbes = async (trx: Transaction<any>, on: boolean) => {
  await nestLoops(trx, on);
  await raw(`set local enable_hashjoin = ${on ? "off" : "on"}`).execute(trx);
};
