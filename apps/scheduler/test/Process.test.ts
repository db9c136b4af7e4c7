/**
 * The process contract of `main.ts` and `startBackground`: SIGTERM drains (a run past the grace
 * period ends CANCELLED, no orphan lease, exit 0); the JSON log lines of a run carry run, provider
 * and tenant ids, LOG_LEVEL=debug shows per-batch progress and no secret appears; bad settings
 * exit 2; and the whole background runs in another app's runtime on the embedded database.
 */
import { ProviderRepository, RunRepository, type SyncRun } from "@sis-sync/core";
import { FakeCleverServer } from "@sis-sync/connectors-clever/testing";
import { PgStorage } from "@sis-sync/storage-pg";
import { Effect, Layer, ManagedRuntime, References } from "effect";
import { join } from "node:path";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import { startBackground } from "../src/Background";
import { workerConfig } from "../src/BackgroundConfig";
import * as RunJob from "../src/RunJob";
import {
  ENCRYPTION_KEY, MAPLEWOOD, TEST_WORKER, isWorkerReady, openDb, skipReason, startProcess, tempDir, waitFor, type Db, type Proc,
} from "./support/Harness";

const skip = await skipReason();

let db: Db;
let fake: FakeCleverServer.FakeCleverServer;
const procs: Array<Proc> = [];
const SECRET = "s3cr3t-client-Zq9XwV";
const TOKEN = "tok-5ecret-0a1b2c3d4e5f60718293";

beforeAll(async () => {
  if (skip) return;
  db = await openDb();
  fake = await FakeCleverServer.start({ clientSecret: SECRET, token: TOKEN });
});
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await fake?.close();
  await db?.close();
});

const spawn = (env: Record<string, string>, script?: string) => {
  const proc = startProcess(db, { SIS_SCHEDULER: "off", SYNC_POLL_INTERVAL: "50", ...env }, script);
  procs.push(proc);
  return proc;
};

const getRun = (runId: string) => db.run(Effect.gen(function* () {
  return (yield* (yield* RunRepository).get(runId))!;
}));
const ended = (run: SyncRun) => !["PENDING", "IN_PROGRESS"].includes(run.status);

describe.skipIf(skip !== null)("the scheduler process", () => {
  it("SIGTERM: stops claiming, cancels a run past the grace period, leaves no orphan lease, exits 0", { timeout: 60_000 }, async () => {
    const provider = await db.run(Effect.gen(function* () {
      return yield* (yield* ProviderRepository).create({ tenantId: "drain", providerType: "ONEROSTER_CSV", name: "slow", config: { localPath: MAPLEWOOD } });
    }));
    const proc = spawn({ TEST_BATCH_DELAY_MS: "400", SYNC_SHUTDOWN_GRACE: "200", SYNC_LOCK_TIMEOUT: "60000" }, TEST_WORKER);
    await proc.waitForLog("worker started", isWorkerReady, 60_000);
    const { run } = await db.run(Effect.gen(function* () {
      return yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
    }));
    await waitFor("the run to start", async () => (await getRun(run.id)).status === "IN_PROGRESS" || undefined);
    const signalledAt = Date.now();
    proc.kill("SIGTERM");
    const exit = await proc.exited;
    assert.strictEqual(exit.code, 0);
    assert.isBelow(Date.now() - signalledAt, 10_000);
    const done = await getRun(run.id);
    assert.strictEqual(done.status, "CANCELLED");
    assert.strictEqual(done.errorMessage, RunJob.SHUTDOWN_MESSAGE);
    assert.deepStrictEqual(await db.query("select id from sis_sync_runs where status in ('PENDING', 'IN_PROGRESS') or lease_expires_at is not null"), []);
    assert.isTrue(proc.logs.some((l) => l.message === "worker stopped"));
    // A queued run waits for the next worker instead of being claimed by a stopping one.
  });

  it("logs JSON lines with run, provider and tenant ids; LOG_LEVEL=debug shows batches; no secret is logged", { timeout: 60_000 }, async () => {
    const provider = await db.run(Effect.gen(function* () {
      return yield* (yield* ProviderRepository).create({ tenantId: "district-9", providerType: "CLEVER", name: "clever", config: fake.config });
    }));
    assert.strictEqual(fake.config.clientSecret, SECRET);
    const proc = spawn({ LOG_LEVEL: "debug", CLEVER_API_URL: fake.url, CLEVER_OAUTH_URL: fake.url });
    await proc.waitForLog("worker started", isWorkerReady, 60_000);
    const { run } = await db.run(Effect.gen(function* () {
      return yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true });
    }));
    const done = await waitFor("the run to end", async () => {
      const current = await getRun(run.id);
      return ended(current) ? current : undefined;
    });
    assert.strictEqual(done.status, "SUCCESS", done.errorMessage ?? "");
    await proc.waitForLog("the run's last line", (l) => l.annotations["runId"] === run.id && l.message === "run released");
    proc.kill("SIGTERM");
    assert.strictEqual((await proc.exited).code, 0);

    const runLines = proc.logs.filter((l) => l.annotations["runId"] === run.id);
    const messages = new Set(runLines.map((l) => String(l.message)));
    for (const expected of ["run started", "staged batch", "run finished", "run released"]) assert.isTrue(messages.has(expected), expected);
    assert.isAbove(runLines.filter((l) => l.message === "staged batch").length, 3, "one debug line per staged batch");
    for (const line of runLines) {
      assert.strictEqual(line.annotations["providerId"], provider.id, line.raw);
      assert.strictEqual(line.annotations["tenantId"], "district-9", line.raw);
      assert.isString(line.annotations["workerId"], line.raw);
    }
    for (const line of [...proc.stderr, ...proc.stdout]) {
      for (const secret of [SECRET, TOKEN, ENCRYPTION_KEY.split(":")[1]!]) assert.notInclude(line, secret);
    }
    // Every stderr line is a JSON log line.
    assert.strictEqual(proc.logs.length, proc.stderr.length, proc.stderr.filter((l) => !l.startsWith("{")).join("\n"));
  });

  it("exits 2 with a clear message on a bad setting", { timeout: 30_000 }, async () => {
    const proc = spawn({ MAX_CONCURRENT_SYNCS: "lots" });
    const exit = await proc.exited;
    assert.strictEqual(exit.code, 2);
    assert.isTrue(proc.logs.some((l) => /MAX_CONCURRENT_SYNCS must be a whole number, got "lots"/.test(String(l.message))), proc.stderr.join("\n"));
    const loud = spawn({ LOG_LEVEL: "loud" });
    assert.strictEqual((await loud.exited).code, 2);
    assert.isTrue(loud.logs.some((l) => /LOG_LEVEL must be debug, info, warn or error, got "loud"/.test(String(l.message))), loud.stderr.join("\n"));
  });
});

describe("startBackground inside another app, on the embedded database", () => {
  it("shares the host's runtime (one PGlite), runs queued runs side by side, and stops cleanly", { timeout: 60_000 }, async () => {
    const dir = tempDir("sis-embedded-");
    const env = { SIS_DATA_DIR: join(dir.dir, "data"), SIS_ENCRYPTION_KEY: ENCRYPTION_KEY };
    const runtime = ManagedRuntime.make(Layer.merge(PgStorage.layerFromEnv(env), Layer.succeed(References.MinimumLogLevel, "Error")));
    try {
      const providers = await runtime.runPromise(Effect.forEach(["north", "south"], (tenantId) => Effect.gen(function* () {
        return yield* (yield* ProviderRepository).create({ tenantId, providerType: "ONEROSTER_CSV", name: "csv", config: { localPath: MAPLEWOOD } });
      })));
      const background = await startBackground({
        runtime,
        config: { worker: workerConfig({ pollIntervalMs: 50, maxConcurrent: 2 }), scheduler: { refreshMs: 1_000 } },
      });
      const runs = await runtime.runPromise(Effect.forEach(providers, (provider) => Effect.gen(function* () {
        return (yield* (yield* RunRepository).enqueue({ tenantId: provider.tenantId, providerId: provider.id, isManual: true })).run;
      })));
      for (const run of runs) {
        const done = await waitFor("the run to end", async () => {
          const current = await runtime.runPromise(Effect.gen(function* () {
            return (yield* (yield* RunRepository).get(run.id))!;
          }));
          return ended(current) ? current : undefined;
        });
        assert.strictEqual(done.status, "SUCCESS", done.errorMessage ?? "");
        assert.strictEqual(done.stats!.users.created, 40);
      }
      const run = runs[0]!;
      await background.stop();
      // The host's runtime is still usable after the background stopped.
      const again = await runtime.runPromise(Effect.gen(function* () {
        return (yield* (yield* RunRepository).get(run.id))!.status;
      }));
      assert.strictEqual(again, "SUCCESS");
    } finally {
      await runtime.dispose();
      dir.remove();
    }
  });
});
