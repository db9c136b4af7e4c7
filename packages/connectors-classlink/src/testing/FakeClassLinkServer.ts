/**
 * A ClassLink Roster Server stand-in: the OneRoster fake with OAuth 1.0a only (HMAC-SHA256 and
 * SHA1, as ClassLink accepts both), no `X-Total-Count` (unverified for rosters, and the harder case)
 * and districts written in ClassLink's style: string booleans, `""` for absent values, org GUIDRefs
 * whose hrefs point at the district's own Roster Server host.
 */
import type { ClassLinkConfig } from "@sis-sync/core";
import { FakeDistrict, FakeOneRosterServer } from "@sis-sync/connectors-oneroster/testing";

export type FakeClassLinkServer = FakeOneRosterServer.FakeOneRosterServer;

export const start = (options: FakeOneRosterServer.FakeServerOptions = {}): Promise<FakeClassLinkServer> =>
  FakeOneRosterServer.start({ auth: "oauth1", signatureMethods: ["HMAC-SHA256", "HMAC-SHA1"], totalCount: false, ...options });

export const scoped = (options: FakeOneRosterServer.FakeServerOptions = {}) =>
  FakeOneRosterServer.scoped({ auth: "oauth1", signatureMethods: ["HMAC-SHA256", "HMAC-SHA1"], totalCount: false, ...options });

/** A generated district in ClassLink's style, with the canonical records it should read back as. */
export const generate = (options: FakeDistrict.GenerateOptions): FakeDistrict.Generated => FakeDistrict.generate(options, FakeDistrict.CLASSLINK_STYLE);

/** A provider config that reaches `server` (through the explicit Roster Server URL). */
export const configFor = (server: FakeClassLinkServer, tenantId = "fakedistrict-tx"): ClassLinkConfig => ({
  clientId: server.clientId,
  clientSecret: server.clientSecret,
  tenantId,
  baseUrl: server.baseUrl,
});
