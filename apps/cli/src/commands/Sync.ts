/**
 * `sis-sync sync`: one sync of a OneRoster CSV export on disk, as an operator runs it by hand. The
 * run goes through the same queue, lease and executor as scheduled runs, so it cannot overlap a
 * worker's run of the same provider.
 */
import { ProviderRepository, RunExecutor, RunRepository, type Provider, type StoredIssue, type SyncRun } from "@sis-sync/core";
import { Connectors } from "@sis-sync/scheduler";
import { PgRunLeases } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runCommand } from "../Runtime";
import { parse, required, UsageError } from "../Usage";
import { printSummary } from "./Summary";

const LEASE_MS = 5 * 60_000;

class CliFailure extends Error {}

const ensureProvider = Effect.fn("cli.ensureProvider")(function* (tenantId: string, name: string, localPath: string) {
  const providers = yield* ProviderRepository;
  const existing = yield* providers.findByName(tenantId, name);
  if (!existing) return yield* providers.create({ tenantId, providerType: "ONEROSTER_CSV", name, config: { localPath } });
  if (existing.providerType !== "ONEROSTER_CSV") {
    return yield* Effect.die(new UsageError(`provider "${name}" of tenant "${tenantId}" is a ${existing.providerType} provider, not ONEROSTER_CSV`));
  }
  const current = (existing.config as { localPath?: string }).localPath;
  if (current === localPath) return existing;
  return (yield* providers.update(existing.id, { config: { localPath } })) as Provider;
});

const syncOnce = (input: { tenantId: string; name: string; localPath: string; dryRun: boolean; overrideSafeguard: boolean }) =>
  Effect.gen(function* () {
    const runs = yield* RunRepository;
    const leases = yield* PgRunLeases.PgRunLeases;
    yield* leases.expire();
    const provider = yield* ensureProvider(input.tenantId, input.name, input.localPath);
    const { run, created } = yield* runs.enqueue({
      tenantId: input.tenantId, providerId: provider.id, isManual: true, dryRun: input.dryRun, overrideSafeguard: input.overrideSafeguard,
    });
    if (!created) {
      return yield* Effect.die(new CliFailure(`provider "${input.name}" already has a ${run.status} run (${run.id}); wait for it to finish or cancel it`));
    }
    const started = yield* runs.start(run.id);
    const token = yield* leases.grant(run.id, `cli:${process.pid}`, LEASE_MS);
    if (token === null) return yield* Effect.die(new CliFailure(`could not take the lease of run ${run.id}`));
    yield* leases.renew(run.id, token, LEASE_MS).pipe(Effect.repeat(Schedule.spaced(LEASE_MS / 3)), Effect.forkScoped);
    const { run: finished } = yield* RunExecutor.execute(started, provider, { leaseToken: token }).pipe(
      Effect.provide(Connectors.layerFor(provider)),
    );
    const issues = yield* runs.issues(finished.id, { limit: 1_000_000, offset: 0 });
    return { run: finished, issues };
  });

const jsonResult = (run: SyncRun, issues: ReadonlyArray<StoredIssue>) => ({
  runId: run.id,
  status: run.status,
  ...(run.errorMessage ? { error: run.errorMessage } : {}),
  stats: run.stats,
  issues: issues.map((i) => ({ kind: i.kind, severity: i.severity, file: i.file, line: i.line, externalId: i.externalId, message: i.message })),
});

export const sync = async (args: ReadonlyArray<string>): Promise<number> => {
  const values = parse(args, {
    tenant: { type: "string" },
    provider: { type: "string" },
    "oneroster-csv": { type: "string" },
    "dry-run": { type: "boolean" },
    "override-safeguard": { type: "boolean" },
    json: { type: "boolean" },
  });
  const tenantId = required(values, "tenant");
  const name = required(values, "provider");
  const localPath = resolve(required(values, "oneroster-csv"));
  if (!existsSync(localPath)) throw new UsageError(`--oneroster-csv: no such file or folder: ${localPath}`);
  try {
    const { run, issues } = await runCommand(syncOnce({
      tenantId, name, localPath, dryRun: values["dry-run"] === true, overrideSafeguard: values["override-safeguard"] === true,
    }));
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
