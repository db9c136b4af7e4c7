/**
 * Planning starts for each kind as soon as its last batch is staged, while the source reads the
 * next kinds: the engine's order of calls, and what happens when planning or the source goes wrong
 * part-way.
 */
import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { RunRepository } from "../src/Providers";
import { RosterSource, type SourceBatch } from "../src/RosterSource";
import { RosterStore, RosterStoreError } from "../src/RosterStore";
import * as F from "../src/testing/Fixtures";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";
import { rosterOf, syncOnce } from "../src/testing/RosterStoreContract";
import * as StaticRosterSource from "../src/testing/StaticRosterSource";

const district = () => F.district({ schools: 2, classesPerSchool: 3, students: 20, classesPerStudent: 2 });

/** A source that takes a little while over each enrollment batch, as a large file does. */
const slowEnrollments = (batches: ReadonlyArray<SourceBatch>) =>
  Layer.succeed(RosterSource, RosterSource.of({
    extract: Stream.fromIterable(batches).pipe(
      Stream.mapEffect((batch) => batch.kind === "enrollment" ? Effect.as(Effect.sleep("15 millis"), batch) : Effect.succeed(batch)),
    ),
    testConnection: Effect.succeed("slow feed"),
  }));

type Hook = (kind: string, runId: string, runs: RunRepository["Service"]) => Effect.Effect<void, RosterStoreError>;

/** The in-memory ports, with the store's stage, planInStore and apply calls written to `log`. */
const recording = (log: Array<string>, beforePlan?: Hook) => {
  const base = MemoryRosterStore.layer();
  const store = Layer.effect(RosterStore, Effect.gen(function* () {
    const inner = yield* RosterStore;
    const runs = yield* RunRepository;
    return RosterStore.of({
      ...inner,
      stage: (scope, kind, rows) => inner.stage(scope, kind, rows).pipe(Effect.tap(() => Effect.sync(() => log.push(`stage ${kind}`)))),
      planInStore: (scope, kind, modes, policy) =>
        Effect.gen(function* () {
          log.push(`plan ${kind}`);
          if (beforePlan) yield* beforePlan(kind, scope.runId, runs);
          return yield* inner.planInStore(scope, kind, modes, policy);
        }),
      apply: (scope, kinds) => inner.apply(scope, kinds).pipe(Effect.tap(() => Effect.sync(() => log.push("apply")))),
    });
  })).pipe(Layer.provide(base));
  return Layer.merge(base, store);
};

const runWith = (tenantId: string, source: Layer.Layer<RosterSource>) =>
  syncOnce({ tenantId, records: [], source }).pipe(Effect.map((result) => result.run));

const last = (log: ReadonlyArray<string>, entry: string) => log.lastIndexOf(entry);

describe("planning ahead", () => {
  it.live("plans each kind while the source still reads the next ones, and ends with the same roster", () => {
    const log: Array<string> = [];
    return Effect.gen(function* () {
      const d = district();
      const run = yield* runWith("t-ahead", slowEnrollments(StaticRosterSource.batches({ records: d.all, batchSize: 7 })));
      assert.strictEqual(run.status, "SUCCESS");
      assert.isAbove(log.filter((e) => e === "stage enrollment").length, 3);
      // Users were planned before the enrollments had all been read; each kind after the one before.
      assert.isBelow(log.indexOf("plan user"), last(log, "stage enrollment"));
      assert.deepStrictEqual(log.filter((e) => e.startsWith("plan")), ["plan school", "plan class", "plan user", "plan enrollment"]);
      assert.strictEqual(log.at(-1), "apply");
      assert.deepStrictEqual(run.stats?.enrollments.created, d.enrollments.length);
      assert.strictEqual((yield* rosterOf("t-ahead", "enrollment")).filter((e) => e.active).length, d.enrollments.length);
    }).pipe(Effect.provide(recording(log)));
  });

  it.live("a source that sends a kind after a later one fails the run and applies nothing", () => {
    const log: Array<string> = [];
    return Effect.gen(function* () {
      const d = district();
      const [schools, ...rest] = StaticRosterSource.batches({ records: d.all, batchSize: 7 });
      const classes = rest.filter((b) => b.kind === "class");
      const run = yield* runWith("t-order", slowEnrollments([schools!, ...classes, schools!]));
      assert.strictEqual(run.status, "FAILURE");
      assert.strictEqual(run.errorMessage, "The source sent schools after classes: kinds must come in order (a connector defect)");
      assert.notInclude(log, "apply");
      assert.lengthOf(yield* rosterOf("t-order", "school"), 0);
    }).pipe(Effect.provide(recording(log)));
  });

  it.live("a planning failure stops the read at the next batch; nothing is applied", () => {
    const log: Array<string> = [];
    const failUsers = (kind: string) =>
      kind === "user" ? Effect.fail(new RosterStoreError({ message: "connection lost" })) : Effect.void;
    return Effect.gen(function* () {
      const d = district();
      const batches = StaticRosterSource.batches({ records: d.all, batchSize: 7 });
      const run = yield* runWith("t-fail", slowEnrollments(batches));
      assert.strictEqual(run.status, "FAILURE");
      assert.strictEqual(run.errorMessage, "Storage error: connection lost");
      const enrollmentBatches = batches.filter((b) => b.kind === "enrollment").length;
      assert.isBelow(log.filter((e) => e === "stage enrollment").length, enrollmentBatches, "the read stopped early");
      assert.notInclude(log, "apply");
      assert.notInclude(log, "plan enrollment");
    }).pipe(Effect.provide(recording(log, failUsers)));
  });

  it.live("a cancellation while planning ahead ends the run CANCELLED with nothing applied", () => {
    const log: Array<string> = [];
    const cancelDuringUsers: Hook = (kind, runId, runs) => kind === "user" ? Effect.asVoid(runs.requestCancel(runId)) : Effect.void;
    return Effect.gen(function* () {
      const run = yield* runWith("t-cancel", slowEnrollments(StaticRosterSource.batches({ records: district().all, batchSize: 7 })));
      assert.strictEqual(run.status, "CANCELLED");
      assert.notInclude(log, "apply");
      assert.lengthOf(yield* rosterOf("t-cancel", "user"), 0);
    }).pipe(Effect.provide(recording(log, cancelDuringUsers)));
  });
});
