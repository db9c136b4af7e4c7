#!/usr/bin/env node
/**
 * The scheduler + worker process, for split deployments (`pnpm --filter @sis-sync/scheduler start`):
 * PostgreSQL when `DATABASE_URL` is set, else the embedded database in `SIS_DATA_DIR` (then this
 * must be the only process using it). SIGTERM / SIGINT drain gracefully; a second signal exits at once.
 */
import { startBackground } from "./Background";
import { ConfigError, fromEnv } from "./BackgroundConfig";

const say = (level: "INFO" | "WARN" | "ERROR", message: string) =>
  process.stderr.write(`${JSON.stringify({ message, level, timestamp: new Date().toISOString(), annotations: { component: "main" } })}\n`);

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const main = async (): Promise<void> => {
  let config;
  try {
    config = fromEnv(process.env);
  } catch (error) {
    say("ERROR", `invalid configuration: ${describe(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  if (config.worker === null && config.scheduler === null) {
    say("ERROR", "invalid configuration: SIS_WORKER and SIS_SCHEDULER are both off, so there is nothing to run");
    process.exit(2);
  }
  const background = await startBackground({ config }).catch((error: unknown) => {
    say("ERROR", `cannot start: ${describe(error)}`);
    process.exit(1);
  });
  say("INFO", `running: ${[config.scheduler && "scheduler", config.worker && "worker"].filter(Boolean).join(" + ")} on ${process.env["DATABASE_URL"] ? "PostgreSQL" : "the embedded database"}`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      say("WARN", `${signal} again: exiting now; runs still held end FAILURE ("lock timed out") when their lease expires`);
      process.exit(130);
    }
    say("INFO", `${signal}: shutting down (no new runs; running ones get the grace period)`);
    background.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        say("ERROR", `shutdown failed: ${describe(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
};

await main();
