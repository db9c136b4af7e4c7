import { assert, describe, it } from "@effect/vitest";
import * as ClassLinkRosterServer from "../src/ClassLinkRosterServer";

const base = (tenantId: string, baseUrl?: string) => ClassLinkRosterServer.baseUrlFor(baseUrl === undefined ? { tenantId } : { tenantId, baseUrl });

describe("ClassLinkRosterServer.baseUrlFor", () => {
  it("derives the district's Roster Server from its name, with or without the -v2 suffix", () => {
    assert.strictEqual(base("hernandocountysd-fl"), "https://hernandocountysd-fl-v2.rosterserver.com/ims/oneroster/v1p1");
    assert.strictEqual(base(" SpringtownISD-TX-v2 "), "https://springtownisd-tx-v2.rosterserver.com/ims/oneroster/v1p1");
    assert.strictEqual(base("classlinkcertification3-vn"), "https://classlinkcertification3-vn-v2.rosterserver.com/ims/oneroster/v1p1");
  });

  it("takes a full host name as it is (older *.oneroster.com hosts)", () => {
    assert.strictEqual(base("adobe-ca-v2.oneroster.com"), "https://adobe-ca-v2.oneroster.com/ims/oneroster/v1p1");
  });

  it("prefers an explicit base URL, adding the API root to a bare host", () => {
    assert.strictEqual(base("2", "https://sandbox-vn-v2.oneroster.com"), "https://sandbox-vn-v2.oneroster.com/ims/oneroster/v1p1");
    assert.strictEqual(
      base("2", "https://oneroster-proxy.apis.classlink.com/proxy/v1p0/MoYPlyQWmG0%3D/ims/oneroster/v1p1/"),
      "https://oneroster-proxy.apis.classlink.com/proxy/v1p0/MoYPlyQWmG0%3D/ims/oneroster/v1p1",
    );
  });

  it("refuses what names no host, saying what to do", () => {
    assert.throws(() => base("1176"), /numeric ClassLink tenant id.*set baseUrl/);
    assert.throws(() => base("https://x-v2.rosterserver.com"), /looks like a URL; put the Roster Server URL in baseUrl/);
    assert.throws(() => base("district_42"), /not a Roster Server name/);
  });
});
