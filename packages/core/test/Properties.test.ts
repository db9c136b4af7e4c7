import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as fc from "fast-check";
import type { AnyRecord } from "../src/Roster";
import type { RosterEntity } from "../src/RosterReader";
import * as F from "../src/testing/Fixtures";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";
import { rosterOf, syncOnce } from "../src/testing/RosterStoreContract";

const base = F.district({ schools: 2, classesPerSchool: 2, students: 8, classesPerStudent: 2 });

/** What the roster says, independent of generated entity ids. */
const view = (rows: ReadonlyArray<RosterEntity>) =>
  rows
    .map((r) => ({ ext: r.links.map((l) => `${l.externalId}:${l.active}`).sort().join(","), active: r.active, fields: JSON.stringify({ ...r.fields, schoolId: undefined, classId: undefined, userId: undefined }) }))
    .sort((a, b) => a.ext.localeCompare(b.ext));

const rosterView = Effect.fn(function* (tenantId: string) {
  return {
    users: view(yield* rosterOf(tenantId, "user")),
    classes: view(yield* rosterOf(tenantId, "class")),
    enrollments: view(yield* rosterOf(tenantId, "enrollment")),
  };
});

const feedArb = fc.record({
  dropUsers: fc.subarray(base.users.map((u) => u.externalId), { maxLength: 2 }),
  renamed: fc.subarray(base.users.map((u) => u.externalId), { maxLength: 3 }),
  seed: fc.integer(),
});

const variant = (f: { dropUsers: ReadonlyArray<string>; renamed: ReadonlyArray<string> }): Array<AnyRecord> =>
  base.all
    .filter((r) => !f.dropUsers.includes(r.externalId) && !(r.kind === "enrollment" && f.dropUsers.includes(r.fields.userExternalId)))
    .map((r) => (r.kind === "user" && f.renamed.includes(r.externalId) ? { ...r, fields: { ...r.fields, familyName: "Changed" } } : r));

const shuffle = <A>(xs: ReadonlyArray<A>, seed: number): Array<A> => {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

const run = <A>(effect: Effect.Effect<A, unknown, any>) => Effect.runPromise(effect.pipe(Effect.provide(MemoryRosterStore.layer())) as Effect.Effect<A>);

describe("sync properties", () => {
  it("applying the same feed twice equals applying it once", async () => {
    await fc.assert(fc.asyncProperty(feedArb, async (f) => {
      const feed = variant(f);
      const [once, twice] = await run(Effect.gen(function* () {
        yield* syncOnce({ tenantId: "a", records: base.all });
        yield* syncOnce({ tenantId: "b", records: base.all });
        yield* syncOnce({ tenantId: "a", records: feed, overrideSafeguard: true });
        yield* syncOnce({ tenantId: "b", records: feed, overrideSafeguard: true });
        const again = yield* syncOnce({ tenantId: "b", records: feed, overrideSafeguard: true });
        const s = again.run.stats!;
        assert.strictEqual(s.users.created + s.users.updated + s.users.deactivated + s.users.reactivated, 0);
        assert.strictEqual(s.enrollments.created + s.enrollments.deactivated, 0);
        return [yield* rosterView("a"), yield* rosterView("b")];
      }));
      assert.deepStrictEqual(twice, once);
    }), { numRuns: 25 });
  });

  it("the order of input rows does not change the result", async () => {
    await fc.assert(fc.asyncProperty(feedArb, async (f) => {
      const feed = variant(f);
      const [ordered, shuffled] = await run(Effect.gen(function* () {
        yield* syncOnce({ tenantId: "a", records: feed });
        yield* syncOnce({ tenantId: "b", records: shuffle(feed, f.seed) });
        return [yield* rosterView("a"), yield* rosterView("b")];
      }));
      assert.deepStrictEqual(shuffled, ordered);
    }), { numRuns: 25 });
  });
});
