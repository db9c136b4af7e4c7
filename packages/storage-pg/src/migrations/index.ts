/**
 * Every migration, in order. Names are ISO dates plus a counter; entries are never edited or
 * reordered once released, only appended.
 */
import type { Migration } from "kysely/migration";
import * as m20261125_0001_init from "./2026_11_25_0001_init";
import * as m20261126_0001_stale_link_hashes from "./2026_11_26_0001_stale_link_hashes";

export const migrations: Readonly<Record<string, Migration>> = {
  "2026_11_25_0001_init": m20261125_0001_init,
  "2026_11_26_0001_stale_link_hashes": m20261126_0001_stale_link_hashes,
};
