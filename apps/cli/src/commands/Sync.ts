/**
 * `sis-sync sync`: flags and output. Arguments are checked before anything heavy loads, so a usage
 * error answers at once; the run itself lives in `SyncRun`.
 */
import { configProblem, PROVIDER_TYPES, type ProviderType, type StoredIssue, type SyncRun } from "@sis-sync/core";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse, required, UsageError } from "../Usage";
import { printSummary } from "./Summary";

const jsonResult = (run: SyncRun, issues: ReadonlyArray<StoredIssue>) => ({
  runId: run.id,
  status: run.status,
  ...(run.errorMessage ? { error: run.errorMessage } : {}),
  stats: run.stats,
  issues: issues.map((i) => ({ kind: i.kind, severity: i.severity, file: i.file, line: i.line, externalId: i.externalId, message: i.message })),
});

/** `--oneroster-csv <path>`, or `--type <TYPE> --config <file.json>` for any provider type. */
const providerFrom = (values: Record<string, unknown>): { providerType: ProviderType; config: unknown } => {
  if (values["oneroster-csv"] !== undefined) {
    if (values["type"] !== undefined || values["config"] !== undefined) throw new UsageError("use either --oneroster-csv or --type with --config");
    const localPath = resolve(required(values, "oneroster-csv"));
    if (!existsSync(localPath)) throw new UsageError(`--oneroster-csv: no such file or folder: ${localPath}`);
    return { providerType: "ONEROSTER_CSV", config: { localPath } };
  }
  const type = required(values, "type").toUpperCase();
  if (!(PROVIDER_TYPES as ReadonlyArray<string>).includes(type)) throw new UsageError(`--type must be one of ${PROVIDER_TYPES.join(", ")}`);
  const providerType = type as ProviderType;
  const file = required(values, "config");
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`--config: cannot read JSON from ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (providerType === "ONEROSTER_CSV" && typeof (config as { localPath?: unknown }).localPath === "string") {
    config = { ...(config as object), localPath: resolve((config as { localPath: string }).localPath) };
  }
  const problem = configProblem(providerType, config);
  if (problem !== null) throw new UsageError(`--config does not fit ${providerType}: ${problem}`);
  return { providerType, config };
};

export const sync = async (args: ReadonlyArray<string>): Promise<number> => {
  const values = parse(args, {
    tenant: { type: "string" },
    provider: { type: "string" },
    "oneroster-csv": { type: "string" },
    type: { type: "string" },
    config: { type: "string" },
    "dry-run": { type: "boolean" },
    "override-safeguard": { type: "boolean" },
    json: { type: "boolean" },
  });
  const tenantId = required(values, "tenant");
  const name = required(values, "provider");
  const { providerType, config } = providerFrom(values);
  try {
    const { runSync } = await import("./SyncRun");
    const { run, issues } = await runSync({
      tenantId, name, providerType, config, dryRun: values["dry-run"] === true, overrideSafeguard: values["override-safeguard"] === true,
    });
    if (values.json) process.stdout.write(JSON.stringify(jsonResult(run, issues)) + "\n");
    else printSummary(run, issues, { provider: name, dryRun: values["dry-run"] === true });
    return run.status === "SUCCESS" || run.status === "PARTIAL" ? 0 : 1;
  } catch (error) {
    const cause = error instanceof Error ? error : new Error(String(error));
    if (cause instanceof UsageError) throw cause;
    process.stderr.write(`sis-sync: ${cause.message}\n`);
    return 1;
  }
};
