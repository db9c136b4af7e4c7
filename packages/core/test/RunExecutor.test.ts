import { assert, describe, it } from "@effect/vitest";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as References from "effect/References";
import * as Stream from "effect/Stream";
import { RosterSource, RosterSourceError } from "../src/RosterSource";
import * as RunExecutor from "../src/RunExecutor";
import { ProviderRepository, RunRepository, type RunPhase } from "../src/Providers";
import * as F from "../src/testing/Fixtures";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";
import { syncOnce } from "../src/testing/RosterStoreContract";
import { overriding } from "./support/Overriding";

interface Write {
  readonly phase: RunPhase;
  readonly staged: Readonly<Record<string, number>>;
}

/** The in-memory ports, with every progress write the executor makes recorded. */
const recording = (writes: Array<Write>) =>
  overriding(MemoryRosterStore.layer(), RunRepository, (inner) => ({
    ...inner,
    setPhase: (runId, phase, progress) => {
      writes.push({ phase, staged: { ...progress?.staged } });
      return inner.setPhase(runId, phase, progress);
    },
  }));

describe("RunExecutor progress", () => {
  it.effect("writes every phase and each kind's first batch, not every batch", () => {
    const writes: Array<Write> = [];
    return Effect.gen(function* () {
      const d = F.district({ schools: 3, classesPerSchool: 4, students: 60, classesPerStudent: 3 });
      // syncOnce stages 7 records a batch: about 45 batches for this district.
      const out = yield* syncOnce({ tenantId: "t1", records: d.all });
      assert.strictEqual(out.run.status, "SUCCESS");
      const batches = Math.ceil(d.schools.length / 7) + Math.ceil(d.classes.length / 7) + Math.ceil(d.users.length / 7) +
        Math.ceil(d.enrollments.length / 7);
      const extract = writes.filter((w) => w.phase === "extract");
      assert.isBelow(extract.length, batches / 4, `${extract.length} progress writes for ${batches} batches`);
      for (const kind of ["schools", "classes", "users", "enrollments"]) {
        assert.isTrue(extract.some((w) => (w.staged[kind] ?? 0) > 0), `a write shows ${kind} as soon as they arrive`);
      }
      const phases = writes.map((w) => w.phase).filter((p, i, all) => p !== all[i - 1]);
      assert.deepStrictEqual(phases, ["extract", "plan", "safeguard", "load", "finish"]);
      assert.deepStrictEqual(writes.at(-1)!.staged, { schools: 3, classes: 12, users: 72, enrollments: 192 });
    }).pipe(Effect.provide(recording(writes)));
  });

  it.effect("a finished run is its provider's last sync; a dry run is not", () =>
    Effect.gen(function* () {
      const providers = yield* ProviderRepository;
      const records = F.district({ schools: 1, classesPerSchool: 1, students: 3, classesPerStudent: 1 }).all;
      const dry = yield* syncOnce({ tenantId: "t-last", records, dryRun: true });
      assert.strictEqual((yield* providers.get(dry.run.providerId))?.lastSyncAt, null);
      const real = yield* syncOnce({ tenantId: "t-last", records });
      assert.strictEqual((yield* providers.get(real.run.providerId))?.lastSyncAt, real.run.completedAt);
    }).pipe(Effect.provide(MemoryRosterStore.layer())));

  it.effect("scrubs the provider's secrets from the run's stored error message", () =>
    Effect.gen(function* () {
      const providers = yield* ProviderRepository;
      const runs = yield* RunRepository;
      const secret = "s3cret-Value/with+chars";
      const provider = yield* providers.create({
        tenantId: "t-scrub", providerType: "ONEROSTER_API", name: "api",
        config: { baseUrl: "https://sis.example.com/ims/oneroster/v1p1", clientId: "id", clientSecret: secret },
      });
      const { run } = yield* runs.enqueue({ tenantId: "t-scrub", providerId: provider.id, isManual: true });
      const started = yield* runs.start(run.id);
      const leaky = Layer.succeed(RosterSource, {
        extract: Stream.fail(new RosterSourceError({ reason: "Unauthorized", message: `401: bad client_secret=${encodeURIComponent(secret)} (${secret})` })),
        testConnection: Effect.succeed("ok"),
      });
      const { run: finished, outcome } = yield* RunExecutor.execute(started, provider).pipe(
        Effect.provide(leaky),
        Effect.provideService(References.MinimumLogLevel, "Warn"),
      );
      assert.strictEqual(finished.status, "FAILURE");
      assert.include(finished.errorMessage ?? "", "401: bad client_secret=*** (***)");
      assert.notInclude(finished.errorMessage ?? "", "s3cret");
      assert.strictEqual(outcome.errorMessage, finished.errorMessage);
      assert.strictEqual((yield* runs.get(run.id))?.errorMessage, finished.errorMessage);
    }).pipe(Effect.provide(MemoryRosterStore.layer())));
});
