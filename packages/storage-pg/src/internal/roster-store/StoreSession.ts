/**
 * What every part of one roster store instance shares: the database, its per-run partitions, the
 * tuning options, the run memory, and the transaction the set-based statements run in.
 */
import type { Kysely, Transaction } from "kysely";
import type { PgHandle } from "../../PgDatabase";
import { makePartitions, type Partitions } from "../Partitions";
import { makeRunMemory, type RunMemory } from "./RunMemory";
import { raw } from "./Sql";

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

/** Default of `PgRosterStoreOptions.hashJoinRows`. */
const HASH_JOIN_ROWS = 50_000;

export interface StoreSession {
  readonly handle: PgHandle;
  readonly db: Kysely<any>;
  readonly partitions: Partitions;
  readonly memory: RunMemory;
  readonly analyzeAfter: number;
  readonly hashJoinRows: number;
  /** Whether the `run:kind` has so many valid rows that whole-set hash joins beat index probes (unknown: assume so). */
  readonly manyValid: (key: string) => boolean;
  /** `analyze` with a small sample: row counts and rough selectivities are all the plans need. */
  readonly analyze: (table: string) => Promise<void>;
  /**
   * A transaction for the set-based statements: generous work memory, asynchronous commit (the
   * per-run tables are reproducible, and a lost roster commit is a re-run), and hash joins rather
   * than nested loops however stale the statistics of freshly loaded tables are.
   */
  readonly tx: <A>(body: (trx: Transaction<any>) => Promise<A>, hashJoins?: boolean) => Promise<A>;
}

export const makeStoreSession = (handle: PgHandle, options: PgRosterStoreOptions): StoreSession => {
  const db = handle.db as unknown as Kysely<any>;
  const workMem = options.workMem ?? "64MB";
  const hashJoinRows = options.hashJoinRows ?? HASH_JOIN_ROWS;
  const memory = makeRunMemory();

  const analyze = (table: string) =>
    db.transaction().execute(async (trx) => {
      await raw("set local default_statistics_target = 10").execute(trx);
      await raw(`analyze ${table}`).execute(trx);
    });

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

  return {
    handle, db, partitions: makePartitions(db, handle.backend), memory,
    analyzeAfter: options.analyzeAfter ?? 5000,
    hashJoinRows,
    manyValid: (key) => (memory.validCounts.get(key) ?? Infinity) >= hashJoinRows,
    analyze,
    tx,
  };
};
