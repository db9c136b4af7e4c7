/**
 * The run behind `sis-sync sync`: the provider created or updated, the run queued, leased and
 * executed through the same executor as scheduled runs, so it cannot overlap a worker's run.
 */
import { ProviderRepository, RunExecutor, RunRepository, type Provider, type ProviderType } from "@sis-sync/core";
import { Connectors } from "@sis-sync/scheduler";
import { PgRunLeases } from "@sis-sync/storage-pg";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import { runCommand } from "../Runtime";
import { UsageError } from "../Usage";

const LEASE_MS = 5 * 60_000;

export class CliFailure extends Error {}

export interface Target {
  readonly tenantId: string;
  readonly name: string;
  readonly providerType: ProviderType;
  readonly config: unknown;
}

/** The named provider, created on first use and kept in step with the config given on the command line. */
const ensureProvider = Effect.fn("cli.ensureProvider")(function* (target: Target) {
  const providers = yield* ProviderRepository;
  const { tenantId, name, providerType, config } = target;
  const existing = yield* providers.findByName(tenantId, name);
  if (!existing) return yield* providers.create({ tenantId, providerType, name, config });
  if (existing.providerType !== providerType) {
    return yield* Effect.die(new UsageError(`provider "${name}" of tenant "${tenantId}" is a ${existing.providerType} provider, not ${providerType}`));
  }
  if (JSON.stringify(existing.config) === JSON.stringify(config)) return existing;
  return (yield* providers.update(existing.id, { config })) as Provider;
});

const syncOnce = (input: Target & { dryRun: boolean; overrideSafeguard: boolean }) =>
  Effect.gen(function* () {
    const runs = yield* RunRepository;
    const leases = yield* PgRunLeases.PgRunLeases;
    yield* leases.expire();
    const provider = yield* ensureProvider(input);
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

/** Runs one sync with storage from the environment; resolves with the finished run and its issues. */
export const runSync = (input: Target & { dryRun: boolean; overrideSafeguard: boolean }) => runCommand(syncOnce(input));
