/**
 * The API process: settings and auth from the environment (refusing to start in production
 * without auth), storage from `DATABASE_URL` (embedded PGlite in `SIS_DATA_DIR` when unset), the
 * Hono app on `PORT` / `HOST`, the scheduler and run worker in the same process over the same
 * database (`SIS_SCHEDULER=off` / `SIS_WORKER=off` turn them off), and a graceful stop on SIGTERM /
 * SIGINT (stop answering, drain the worker, close the database).
 */
import { serve } from "@hono/node-server";
import { PgStorage } from "@sis-sync/storage-pg";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as ManagedRuntime from "effect/ManagedRuntime";
import * as References from "effect/References";
import { makeApp } from "./App";
import { logLine, type LogEntry } from "./AppContext";
import { authFromEnv } from "./auth/Jwt";
import { ConfigError, settingsFromEnv } from "./Config";
import { startBackground } from "@sis-sync/scheduler";

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const EFFECT_LEVELS = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const;

const main = async () => {
  const env = process.env;
  const settings = settingsFromEnv(env);
  const log = (entry: LogEntry) => {
    if (LEVELS[entry.level] >= LEVELS[settings.logLevel]) process.stdout.write(logLine(entry));
  };
  const auth = authFromEnv(env);
  for (const notice of auth.notices) log({ level: notice.startsWith("warning") ? "warn" : "info", msg: notice });
  if (settings.allowPrivateNetwork) {
    log({ level: "warn", msg: "SIS_ALLOW_PRIVATE_NETWORK=true: provider URLs may reach private and loopback addresses" });
  }

  const layer = PgStorage.layerFromEnv(env).pipe(
    Layer.provideMerge(Layer.mergeAll(
      Logger.layer([Logger.withConsoleLog(Logger.formatJson)]),
      Layer.succeed(References.MinimumLogLevel, EFFECT_LEVELS[settings.logLevel]),
    )),
  );
  const runtime = ManagedRuntime.make(layer);
  await runtime.runPromise(runtime.contextEffect); // open and migrate the database before answering

  const app = makeApp({
    runtime,
    authenticator: auth.authenticator,
    production: settings.production,
    allowPrivateNetwork: settings.allowPrivateNetwork,
    localImportRoot: settings.localImportRoot,
    log,
  });
  const background = await startBackground({ runtime, env });
  log({
    level: "info",
    msg: `background: scheduler ${background.config.scheduler === null ? "off" : "on"}, worker ${background.config.worker === null ? "off" : `on (${background.config.worker.maxConcurrent} at once)`}`,
  });
  const server = serve({ fetch: app.fetch, port: settings.port, ...(settings.host ? { hostname: settings.host } : {}) }, (info) => {
    log({ level: "info", msg: `sis-sync API listening on http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port} (docs at /docs)` });
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ level: "info", msg: `${signal}: shutting down` });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    server.close(async () => {
      try {
        await background.stop();
        await runtime.dispose();
      } finally {
        clearTimeout(force);
        process.exit(0);
      }
    });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
};

main().catch((error: unknown) => {
  process.stderr.write(`sis-sync api: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  // A setting it cannot use is bad usage (2), as for the scheduler; anything else is a failure (1).
  process.exit(error instanceof ConfigError ? 2 : 1);
});
