/**
 * A worker process for tests: the real background (`startBackground`, settings from the
 * environment) with test hooks switched on by environment variables:
 * - `TEST_STOP_BEFORE_APPLY=1`: right before a run's load, print `HOOK before-apply <runId>` on
 *   stdout and stop this process (SIGSTOP), as a stalled worker would; on SIGCONT the load goes on.
 * - `TEST_BATCH_DELAY_MS=<n>`: every source batch arrives `n` ms late (a slow feed).
 */
import { RosterSource, RosterStore, type Provider } from "@sis-sync/core";
import { PgStorage } from "@sis-sync/storage-pg";
import { Effect, Layer, Stream } from "effect";
import { startBackground } from "../../src/Background";
import * as Connectors from "../../src/Connectors";

const env = process.env;
const stopBeforeApply = env["TEST_STOP_BEFORE_APPLY"] === "1";
const batchDelayMs = Number(env["TEST_BATCH_DELAY_MS"] ?? "0");

const hooks = Layer.effect(
  RosterStore,
  Effect.gen(function* () {
    const store = yield* RosterStore;
    return RosterStore.of({
      ...store,
      apply: (scope, kinds) =>
        Effect.suspend(() => {
          if (stopBeforeApply) {
            process.stdout.write(`HOOK before-apply ${scope.runId}\n`);
            process.kill(process.pid, "SIGSTOP");
          }
          return store.apply(scope, kinds);
        }),
    });
  }),
);

const sourceLayer = (provider: Provider) => {
  if (batchDelayMs <= 0) return Connectors.layerFor(provider);
  const slowed = Layer.effect(
    RosterSource,
    Effect.gen(function* () {
      const source = yield* RosterSource;
      return RosterSource.of({ ...source, extract: source.extract.pipe(Stream.tap(() => Effect.sleep(batchDelayMs))) });
    }),
  );
  return slowed.pipe(Layer.provide(Connectors.layerFor(provider)));
};

const background = await startBackground({
  layer: hooks.pipe(Layer.provideMerge(PgStorage.layerFromEnv(env))),
  worker: { sourceLayer },
});

const stop = () => {
  background.stop().then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
