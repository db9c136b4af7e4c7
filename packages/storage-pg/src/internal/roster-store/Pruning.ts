/**
 * Pruning: a provider keeps the per-run tables (staging, plan, work sets, dropped links) of its
 * last N runs; older runs' tables are dropped whole, never deleted row by row.
 */
import { sql } from "kysely";
import { isUuid, runIdOfPartition } from "../Partitions";
import type { StoreSession } from "./StoreSession";

export const makePruning = (session: StoreSession) => {
  const { db, partitions, memory } = session;

  /** Drops the tables of the provider's runs older than its last `keep`; returns how many runs' staging went. */
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
    for (const runId of oldRuns) memory.forgetRun(runId);
    return pruned.size;
  };

  return { pruneStaging };
};
