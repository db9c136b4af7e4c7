/**
 * Command-line parsing shared by the commands: strict flags, and one error type that the entry
 * point turns into exit code 2 with the usage text.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

export const USAGE = `Usage: sis-sync <command> [options]

Commands:
  sync    --tenant <id> --provider <name> --oneroster-csv <folder-or-zip>
          [--dry-run] [--override-safeguard] [--json]
          Sync a OneRoster 1.1 CSV export (creating the provider on first use).
  sync    --tenant <id> --provider <name> --type <CLEVER|CLASSLINK|ONEROSTER_API|ONEROSTER_CSV>
          --config <file.json> [--dry-run] [--override-safeguard] [--json]
          Sync any provider type; the JSON file holds its config (see the README).
  roster  --tenant <id> --kind <schools|classes|users|enrollments> [--json]
          List the tenant's roster with provider links.
  migrate Apply database migrations.
  token   --role <PLATFORM_ADMIN|DISTRICT_ADMIN> [--tenant <id>] [--sub <subject>] [--ttl <1h|15m|7d|seconds>]
          Print a bearer token for the API (HS256 with AUTH_JWT_SECRET, or outside production the
          development secret in SIS_DATA_DIR). --tenant is required for DISTRICT_ADMIN.

Environment: DATABASE_URL (PostgreSQL; unset = embedded PGlite in SIS_DATA_DIR, default ./.data),
LOG_LEVEL (debug|info|warn|error; default info), AUTH_JWT_SECRET, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE (token).`;

export const parse = <const T extends NonNullable<ParseArgsConfig["options"]>>(args: ReadonlyArray<string>, options: T) => {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
};

export const required = (values: Record<string, unknown>, name: string): string => {
  const value = values[name];
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`missing --${name}`);
  return value;
};
