/**
 * The ClassLink Roster Server adapter of core's `RosterSource` port: the OneRoster 1.1 REST source
 * pointed at the district's Roster Server, signed with OAuth 1.0a HMAC-SHA256 as ClassLink's own
 * libraries do, with ClassLink's paging habits (large pages, halve the page on a 502).
 *
 * ClassLink's value quirks (string booleans, `""` for absent values, GUIDRefs of type `org` whose
 * `href` points at another host) are absorbed by the shared OneRoster mapping, which resolves
 * references by sourcedId only and never follows an href.
 *
 * sourcedIds are kept as ClassLink sends them: they are unique per tenant (spec §4.3), and sis-sync
 * already keys every link by provider, and one provider is one tenant's connection. A
 * `<tenant>|<sourcedId>` prefix would only be needed if one provider mixed tenants, which this
 * config cannot express; it would also make the ids differ from the district's CSV export.
 */
import { decodeProviderConfig, RosterSource, RosterSourceError, type ClassLinkConfig, type RosterSourceShape } from "@sis-sync/core";
import { OneRosterRestSource, RestFailure } from "@sis-sync/connectors-oneroster";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as ClassLinkRosterServer from "./ClassLinkRosterServer";

export interface ClassLinkOptions extends Omit<OneRosterRestSource.OneRosterRestOptions, "label" | "oauth2"> {
  /** HMAC-SHA256 (default, ClassLink's libraries) or HMAC-SHA1 (ClassLink's older .NET library). */
  readonly signatureMethod?: "HMAC-SHA256" | "HMAC-SHA1";
}

/** ClassLink accepts up to 10 000 per page (spec §4.5); 1000 keeps pages light enough to avoid 502s. */
export const DEFAULT_PAGE_SIZE = 1000;

const LABEL = "ClassLink";

/**
 * The source for a `CLASSLINK` provider. `config` is a `ClassLinkConfig`; an invalid config, or a
 * tenant whose Roster Server cannot be derived, fails `extract` and `testConnection` with reason
 * "Configuration".
 */
export const make = (config: unknown, options: ClassLinkOptions = {}): RosterSourceShape => {
  const decoded = decodeProviderConfig("CLASSLINK", config);
  if (Exit.isFailure(decoded)) {
    return OneRosterRestSource.failing(new RosterSourceError({
      reason: "Configuration",
      message: `${LABEL} config is invalid: expected { clientId, clientSecret, tenantId, baseUrl? }`,
    }));
  }
  const c = decoded.value as ClassLinkConfig;
  let baseUrl: string;
  try {
    baseUrl = ClassLinkRosterServer.baseUrlFor(c);
  } catch (e) {
    const message = e instanceof RestFailure ? e.message : "the Roster Server URL could not be derived";
    return OneRosterRestSource.failing(new RosterSourceError({ reason: "Configuration", message: `${LABEL} ${message}` }));
  }
  const { signatureMethod, ...rest } = options;
  return OneRosterRestSource.make(
    { baseUrl, clientId: c.clientId, clientSecret: c.clientSecret, authMethod: "oauth1", signatureMethod: signatureMethod ?? "HMAC-SHA256" },
    { pageSize: DEFAULT_PAGE_SIZE, shrinkOn502: true, ...rest, label: LABEL },
  );
};

/**
 * @example
 * const source = ClassLinkRosterSource.layer({ clientId, clientSecret, tenantId: "springtownisd-tx" }, { requestsPerMinute: 300 })
 * yield* RunExecutor.execute(run, provider).pipe(Effect.provide(source))
 */
export const layer = (config: unknown, options: ClassLinkOptions = {}): Layer.Layer<RosterSource> =>
  Layer.succeed(RosterSource, make(config, options));
