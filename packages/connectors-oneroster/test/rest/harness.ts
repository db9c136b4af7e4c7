/**
 * Shared test plumbing for the REST suites: running the real engine (in-memory store) against a
 * source, reading the roster back, and collecting a source's batches.
 */
import { ProviderRepository, RosterSource, RunExecutor, RunRepository, type AnyRecord, type Kind, type RosterSourceShape, type SourceBatch } from "@sis-sync/core";
import { rosterOf } from "@sis-sync/core/testing";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as References from "effect/References";
import * as Stream from "effect/Stream";

/** Test policy: real retries, tiny waits. */
export const FAST = {
  timeoutMs: 2_000,
  retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 },
} as const;

let tenants = 0;
export const newTenant = () => `rest-${Date.now().toString(36)}-${(tenants++).toString(36)}`;

/** Creates the provider on first use and runs one sync of it through `RunExecutor` with `source`. */
export const syncWith = (tenantId: string, source: RosterSourceShape, opts: { readonly provider?: string; readonly overrideSafeguard?: boolean } = {}) =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const name = opts.provider ?? "rest";
    const provider = (yield* providers.findByName(tenantId, name)) ??
      (yield* providers.create({ tenantId, providerType: "ONEROSTER_API", name, config: { baseUrl: "http://fake", clientId: "x", clientSecret: "y" } }));
    const { run } = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: true, dryRun: false, overrideSafeguard: opts.overrideSafeguard ?? false });
    const started = yield* runs.start(run.id);
    const out = yield* RunExecutor.execute(started, provider).pipe(
      Effect.provide(Layer.succeed(RosterSource, source)),
      Effect.provideService(References.MinimumLogLevel, "Error"),
    );
    return out.run;
  });

/** Active entities of a kind with the external ids that feed them. */
export const activeRoster = (tenantId: string, kind: Kind) =>
  Effect.map(rosterOf(tenantId, kind), (rows) =>
    rows.filter((r) => r.active).map((r) => ({ fields: r.fields, externalIds: r.links.filter((l) => l.active).map((l) => l.externalId).sort() })));

export const collect = (source: RosterSourceShape): Effect.Effect<ReadonlyArray<SourceBatch>, unknown> =>
  Effect.map(Stream.runCollect(source.extract), (chunk) => [...chunk]);

export const recordsOf = (batches: ReadonlyArray<SourceBatch>): ReadonlyArray<AnyRecord> => batches.flatMap((b) => b.records);
