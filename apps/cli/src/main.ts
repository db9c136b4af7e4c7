#!/usr/bin/env node
/**
 * sis-sync command line: one-off operations for operators (migrate, sync an export, list the roster).
 * Exit codes: 0 success (SUCCESS or PARTIAL runs), 1 failure, 2 bad usage.
 */
import { USAGE, UsageError } from "./Usage";

// Commands load lazily: `--help` and usage errors answer without loading drivers and connectors.
const COMMANDS: Record<string, (args: ReadonlyArray<string>) => Promise<number>> = {
  sync: async (args) => (await import("./commands/Sync")).sync(args),
  roster: async (args) => (await import("./commands/Roster")).roster(args),
  migrate: async () => (await import("./commands/Migrate")).migrate(),
  token: async (args) => (await import("./commands/Token")).token(args),
};

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE + "\n");
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command "${command}"`);
    return await run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`sis-sync: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`sis-sync: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
};

process.exitCode = await main(process.argv.slice(2));
