/**
 * Provider config → roster source: the one place that knows which connector serves which
 * provider type. Configs are decoded again here, so a stored config that no longer fits its type
 * fails the run with a clear message instead of a connector crash. Tenant-supplied hosts are
 * checked again at run time (DNS may have changed since the API accepted them).
 */
import { decodeProviderConfig, resolveOptions, RosterSourceError, type Provider, type RosterSourceShape } from "@sis-sync/core";
import { ClassLinkRosterSource } from "@sis-sync/connectors-classlink";
import { CleverRosterSource } from "@sis-sync/connectors-clever";
import { OneRosterCsvSource, OneRosterRestSource, OneRosterSftpSource } from "@sis-sync/connectors-oneroster";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { RosterSource } from "@sis-sync/core";
import * as OutboundUrl from "./OutboundUrl";

export interface ConnectorEnv {
  /** Where connectors read base-URL overrides (`CLEVER_API_URL`, …); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** DNS resolution for the outbound checks; defaults to `dns.lookup` (tests replace it). */
  readonly resolve?: OutboundUrl.OutboundPolicy["resolve"];
}

/** `SIS_ALLOW_PRIVATE_NETWORK=true` lets provider hosts resolve to private and loopback addresses. */
export const outboundPolicy = (
  env: Readonly<Record<string, string | undefined>>,
  resolve?: OutboundUrl.OutboundPolicy["resolve"],
): OutboundUrl.OutboundPolicy => ({
  allowPrivateNetwork: env["SIS_ALLOW_PRIVATE_NETWORK"] === "true",
  ...(resolve === undefined ? {} : { resolve }),
});

const refusedHost = (host: string, reason: string) =>
  new RosterSourceError({ reason: "Forbidden", message: `SFTP host ${host} is not allowed: ${reason}` });

const configError = (message: string) => new RosterSourceError({ reason: "Configuration", message });

/** Builds the source for a provider, or fails with a `Configuration` error naming the problem. */
export const sourceFor = (provider: Provider, options: ConnectorEnv = {}): Effect.Effect<RosterSourceShape, RosterSourceError> =>
  Effect.gen(function* () {
    const decoded = decodeProviderConfig(provider.providerType, provider.config);
    if (Exit.isFailure(decoded)) {
      return yield* configError(`The stored ${provider.providerType} configuration is invalid; edit the provider and save it again.`);
    }
    const config = decoded.value as Record<string, unknown>;
    const env = options.env ?? process.env;
    const resolved = resolveOptions(provider.options);
    const pacing = resolved.requestsPerMinute === null ? {} : { requestsPerMinute: resolved.requestsPerMinute };
    const policy = outboundPolicy(env, options.resolve);
    // Every request (and redirect hop) of a tenant-configured REST provider is checked before it connects.
    const guarded = { ...pacing, fetch: OutboundUrl.guardedFetch(policy) };
    switch (provider.providerType) {
      case "CLEVER":
        // Clever's hosts come from the operator's environment, not from tenant input.
        return CleverRosterSource.make(config, { env, ...pacing });
      case "ONEROSTER_API":
        return OneRosterRestSource.make(config, guarded);
      case "CLASSLINK":
        return ClassLinkRosterSource.make(config, guarded);
      case "ONEROSTER_CSV": {
        if (typeof config["localPath"] === "string") return OneRosterCsvSource.make({ localPath: config["localPath"] });
        const host = String((config["sftp"] as { host: string }).host);
        const verdict = yield* Effect.promise(() => OutboundUrl.checkHost(host, policy));
        if (!verdict.ok) return yield* refusedHost(host, verdict.reason);
        // Checked again when connecting, and connected to the very address checked: a name that
        // resolves outward now and inward a second later (DNS rebinding) never reaches the inside.
        return OneRosterSftpSource.make(config, {
          connectTo: async (name) => {
            const pinned = await OutboundUrl.checkHost(name, policy);
            if (!pinned.ok) throw refusedHost(name, pinned.reason);
            // One address is connected to: an IPv4 one when there is one (more often reachable than IPv6).
            return pinned.addresses.find((a) => !a.includes(":")) ?? pinned.addresses[0]!;
          },
        });
      }
    }
  });

/** A source that fails every call, so a misconfigured provider's run ends FAILURE with the reason. */
const failing = (error: RosterSourceError): RosterSourceShape => ({ extract: Stream.fail(error), testConnection: Effect.fail(error) });

/** `sourceFor` as a layer for `RunExecutor.execute`; configuration problems surface as the run's failure. */
export const layerFor = (provider: Provider, options: ConnectorEnv = {}) =>
  Layer.effect(RosterSource, sourceFor(provider, options).pipe(Effect.catch((error) => Effect.succeed(failing(error)))));
