/**
 * Where a district's ClassLink Roster Server lives. ClassLink gives every district its own host,
 * `https://{tenant}-{region}-v2.rosterserver.com/ims/oneroster/v1p1` (spec §4.1), so the tenant's
 * Roster Server name is enough to find it; an explicit URL always wins (older `*.oneroster.com`
 * hosts, the OAuth2 proxy, tests).
 */
import { OneRosterRestSource, RestFailure } from "@sis-sync/connectors-oneroster";

export const ROSTER_SERVER_DOMAIN = "rosterserver.com";
export const API_ROOT = "/ims/oneroster/v1p1";

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HOST = /^[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}$/;

const configuration = (message: string) => new RestFailure("Configuration", message);

/**
 * The Roster Server API root for a ClassLink config:
 * - `baseUrl` when set (a bare host gets `/ims/oneroster/v1p1`);
 * - else from `tenantId` read as the district's Roster Server name: `hernandocountysd-fl` or
 *   `hernandocountysd-fl-v2` → `https://hernandocountysd-fl-v2.rosterserver.com/ims/oneroster/v1p1`;
 *   a full host name (`adobe-ca-v2.oneroster.com`) is used as it is.
 * A numeric tenant id (ClassLink's internal TenantId) names no host, so it needs `baseUrl`.
 */
export const baseUrlFor = (config: { readonly tenantId: string; readonly baseUrl?: string }): string => {
  if (config.baseUrl !== undefined) return OneRosterRestSource.normalizeBaseUrl(config.baseUrl);
  const tenant = config.tenantId.trim().toLowerCase();
  if (tenant.includes("/")) throw configuration("tenantId looks like a URL; put the Roster Server URL in baseUrl instead");
  if (/^\d+$/.test(tenant)) {
    throw configuration(
      `tenantId "${tenant}" is a numeric ClassLink tenant id, which does not name a Roster Server; set baseUrl to the district's Roster Server URL (https://<district>-<region>-v2.${ROSTER_SERVER_DOMAIN}${API_ROOT})`,
    );
  }
  if (tenant.includes(".")) {
    if (!HOST.test(tenant)) throw configuration(`tenantId "${tenant}" is not a valid host name`);
    return `https://${tenant}${API_ROOT}`;
  }
  if (!SLUG.test(tenant)) throw configuration(`tenantId "${tenant}" is not a Roster Server name (letters, digits and dashes, e.g. "springtownisd-tx")`);
  const host = tenant.endsWith("-v2") ? tenant : `${tenant}-v2`;
  return `https://${host}.${ROSTER_SERVER_DOMAIN}${API_ROOT}`;
};
