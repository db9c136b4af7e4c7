import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import type { Kind } from "../src/Roster";
import { RosterStore, type SealHint } from "../src/RosterStore";
import { SeenIds } from "../src/SeenIds";
import * as F from "../src/testing/Fixtures";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";
import { syncOnce } from "../src/testing/RosterStoreContract";
import { overriding } from "./support/Overriding";

describe("SeenIds", () => {
  it("notices a repeated id among many distinct ones, through its growth", () => {
    const ids = new SeenIds();
    for (let i = 0; i < 50_000; i++) ids.add(`enr-${i}`);
    assert.strictEqual(ids.size, 50_000);
    assert.isFalse(ids.repeated);
    ids.add("enr-31337");
    assert.isTrue(ids.repeated);
    assert.strictEqual(ids.size, 50_000);
  });
});

/** The in-memory ports, with the hint of every `sealKind` call recorded. */
const recording = (hints: Map<Kind, SealHint | undefined>) =>
  overriding(MemoryRosterStore.layer(), RosterStore, (inner) => ({
    ...inner,
    sealKind: (scope, kind, hint) => {
      hints.set(kind, hint);
      return inner.sealKind(scope, kind, hint);
    },
  }));

describe("duplicate ids", () => {
  it.effect("the engine tells the store which kinds may hold a repeated id, and the repeats are still found", () => {
    const hints = new Map<Kind, SealHint | undefined>();
    return Effect.gen(function* () {
      const d = F.district({ schools: 2, classesPerSchool: 2, students: 6, classesPerStudent: 2 });
      const clean = yield* syncOnce({ tenantId: "t1", records: d.all });
      assert.strictEqual(clean.run.status, "SUCCESS");
      for (const kind of ["school", "class", "user", "enrollment"] as const) assert.deepStrictEqual(hints.get(kind), { repeatsPossible: false }, kind);

      // A first sync elsewhere: every id is new to the digest, so only the engine's record of ids can tell.
      const twice = { ...F.user("stu2", { givenName: "Again" }), origin: { file: "users.csv", line: 41 } };
      const out = yield* syncOnce({ tenantId: "t2", records: [...d.all.filter((r) => r.kind !== "enrollment"), twice] });
      assert.strictEqual(out.run.status, "PARTIAL");
      assert.deepStrictEqual(hints.get("user"), { repeatsPossible: true });
      assert.deepStrictEqual(hints.get("class"), { repeatsPossible: false });
      const u = out.run.stats!.users;
      assert.deepStrictEqual([u.created, u.errors], [d.users.length, 1]);
    }).pipe(Effect.provide(recording(hints)));
  });
});
