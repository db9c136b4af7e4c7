/**
 * One sync in a process of its own, so its wall time and peak memory are its own: prints one JSON
 * line `{ ms, maxRssMb, status, stats }`. Used by the benchmark; not a user command.
 */
import { ProviderRepository, RunExecutor, RunRepository } from "@sis-sync/core";
import { OneRosterCsvSource } from "@sis-sync/connectors-oneroster";
import { PgStorage } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as References from "effect/References";

const [databaseUrl, dir, tenantId] = process.argv.slice(2);
if (!databaseUrl || !dir || !tenantId) throw new Error("usage: SyncChild <databaseUrl> <exportDir> <tenantId>");

const program = Effect.gen(function* () {
  const providers = yield* ProviderRepository;
  const runs = yield* RunRepository;
  const existing = yield* providers.findByName(tenantId, "bench");
  const provider = existing
    ? (yield* providers.update(existing.id, { config: { localPath: dir } }))!
    : yield* providers.create({ tenantId, providerType: "ONEROSTER_CSV", name: "bench", config: { localPath: dir } });
  const { run } = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: true });
  const started = yield* runs.start(run.id);
  const t0 = performance.now();
  const { run: finished } = yield* RunExecutor.execute(started, provider).pipe(Effect.provide(OneRosterCsvSource.layer({ localPath: dir })));
  return { ms: performance.now() - t0, status: finished.status, error: finished.errorMessage, stats: finished.stats };
});

const result = await Effect.runPromise(
  program.pipe(
    Effect.provide(PgStorage.layerFromEnv({ DATABASE_URL: databaseUrl, NODE_ENV: "development", SIS_DATA_DIR: "./.data" })),
    Effect.provideService(References.MinimumLogLevel, process.env["LOG_LEVEL"] === "debug" ? "Debug" : "Warn"),
  ),
);
process.stdout.write(JSON.stringify({ ...result, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");
