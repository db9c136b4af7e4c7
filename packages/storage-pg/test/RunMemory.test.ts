/**
 * The store's memory of its runs lives as long as the process (the API and the scheduler run sync
 * after sync): a pruned run must leave nothing behind, and new staging must void what was derived
 * from the old, while another run's entries stay.
 */
import { KINDS } from "@sis-sync/core";
import { assert, describe, it } from "vitest";
import { droppedKey, makeRunMemory, workKey, type RunMemory } from "../src/internal/roster-store/RunMemory";

const scope = (runId: string) => ({ runId, providerId: "p", tenantId: "t" });

/** Fills every entry the store keeps for the run. */
const remember = (memory: RunMemory, runId: string) => {
  for (const kind of KINDS) {
    const key = workKey(scope(runId), kind);
    memory.workSets.set(key, { inputs: "", rows: 1, linked: 0, creatable: 1 });
    memory.planChunks.set(key, 1);
    memory.countPlanned(key, 1, 0);
    memory.validCounts.set(key, 1);
    memory.stagedValid.set(key, 1);
    memory.servedRefs.set(key, new Map([[1, ["x"]]]));
    memory.droppedSets.set(droppedKey(key, "bulk"), 0);
    memory.droppedSets.set(droppedKey(key, "delta"), 0);
  }
  memory.lastModes.set(runId, { user: "bulk" });
};

const entries = (memory: RunMemory, runId: string): number => {
  const maps: ReadonlyArray<Map<string, unknown>> = [
    memory.workSets, memory.planChunks, memory.plannedActions, memory.validCounts, memory.stagedValid, memory.servedRefs,
    memory.droppedSets, memory.lastModes,
  ];
  return maps.reduce((sum, map) => sum + [...map.keys()].filter((key) => key.startsWith(runId)).length, 0);
};

describe("run memory", () => {
  it("forgets everything about a pruned run and nothing about another run", () => {
    const memory = makeRunMemory();
    remember(memory, "run-a");
    remember(memory, "run-b");
    const perRun = entries(memory, "run-a");
    assert.strictEqual(perRun, KINDS.length * 8 + 1);
    memory.forgetRun("run-a");
    assert.strictEqual(entries(memory, "run-a"), 0);
    assert.strictEqual(entries(memory, "run-b"), perRun);
  });

  it("voids what was derived from a kind's staging when more is staged, and keeps its tallies", () => {
    const memory = makeRunMemory();
    remember(memory, "run-a");
    const key = workKey(scope("run-a"), "enrollment");
    memory.forgetStaged(key);
    assert.isFalse(memory.validCounts.has(key));
    assert.isFalse(memory.workSets.has(key));
    assert.isFalse(memory.droppedSets.has(droppedKey(key, "bulk")));
    assert.isFalse(memory.droppedSets.has(droppedKey(key, "delta")));
    // Counted as rows arrive and decisions are saved: not derived from the staging as a whole.
    assert.strictEqual(memory.stagedValid.get(key), 1);
    assert.deepStrictEqual(memory.plannedActions.get(key), { create: 1, upsert: 0 });
    // Other kinds of the run keep theirs.
    assert.isTrue(memory.workSets.has(workKey(scope("run-a"), "user")));
  });
});
