/**
 * The run behind `sis-sync sync`: the provider created or updated, the run queued, claimed and
 * executed the way the worker executes runs (`RunJob`: lease, heartbeat, fencing), so it cannot
 * overlap a worker's run. When a worker claims the queued run first, the CLI follows that run.
 */
import { ProviderRepository, RunRepository, type Provider, type ProviderType } from "@sis-sync/core";
import { Connectors, RunJob } from "@sis-sync/scheduler";
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
    const sentAt = RunJob.monotonic();
    const leased = yield* leases.claimRun(run.id, `cli:${process.pid}`, LEASE_MS);
    if (leased !== null) {
      yield* RunJob.run(leased, RunJob.newControl(LEASE_MS, sentAt), {
        leaseMs: LEASE_MS,
        heartbeatMs: LEASE_MS / 3,
        sourceLayer: (p) => Connectors.layerFor(p),
      });
    }
    // Claimed by a worker in between (or ended by someone else): report that run once it ends.
    // Expiring as it waits, the CLI also ends the run itself should that worker die.
    const finished = yield* leases.expire().pipe(
      Effect.andThen(runs.get(run.id)),
      Effect.flatMap((current) =>
        current === null ? Effect.die(new CliFailure(`run ${run.id} disappeared`)) : Effect.succeed(current)),
      Effect.repeat({ until: (current) => current.status !== "PENDING" && current.status !== "IN_PROGRESS", schedule: Schedule.spaced(500) }),
    );
    const issues = yield* runs.issues(finished.id, { limit: 1_000_000, offset: 0 });
    return { run: finished, issues };
  });

/** Runs one sync with storage from the environment; resolves with the finished run and its issues. */
export const runSync = (input: Target & { dryRun: boolean; overrideSafeguard: boolean }) => runCommand(syncOnce(input));
