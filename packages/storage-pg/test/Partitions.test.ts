/**
 * Per-run partitions under concurrent first use: a run stages one kind while its planning resolves
 * every kind's partition, so two callers often ask for the same new partition at once.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, assert, describe, it } from "vitest";
import { makePartitions, partitionName } from "../src/internal/Partitions";
import { openTestDatabase, testBackends, type TestDatabase } from "../src/testing/index";

const opened: Array<TestDatabase> = [];
afterAll(() => Promise.all(opened.map((handle) => handle.close())));

/** One `Partitions` per database, shared by callers as the store shares its own. */
const shared = new WeakMap<TestDatabase, ReturnType<typeof makePartitions>>();
const sharedFor = (handle: TestDatabase) => {
  let partitions = shared.get(handle);
  if (partitions === undefined) shared.set(handle, (partitions = makePartitions(handle.db, handle.backend)));
  return partitions;
};

for (const backend of await testBackends()) {
  describe(`partitions: ${backend}`, () => {
    it("callers asking for one new partition at once all get it with its run defaults in place", async () => {
      const handle = await openTestDatabase(backend);
      opened.push(handle);
      for (let round = 0; round < 5; round++) {
        const runId = randomUUID();
        const providerId = randomUUID();
        // Each caller uses the partition as soon as its own call returns, as staging does. Two share
        // one `Partitions` (a run staging while it plans); two have their own (another process).
        const names = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
          const partitions = i < 2 ? sharedFor(handle) : makePartitions(handle.db, handle.backend);
          const name = await partitions.ensure("sis_raw_enrollments", runId, providerId);
          await sql.raw(`insert into ${name} (seq, external_id) values (${round * 10 + i}, 'e${i}')`).execute(handle.db);
          return name;
        }));
        assert.deepStrictEqual(new Set(names), new Set([partitionName("sis_raw_enrollments", runId)]));
        const rows = await sql<{ run_id: string; provider_id: string; state: string }>`
          select run_id::text, provider_id::text, state from sis_raw_enrollments where run_id = ${runId}::uuid`.execute(handle.db);
        assert.strictEqual(rows.rows.length, 4);
        for (const row of rows.rows) assert.deepStrictEqual(row, { run_id: runId, provider_id: providerId, state: "unchanged" });
      }
    });
  });
}
