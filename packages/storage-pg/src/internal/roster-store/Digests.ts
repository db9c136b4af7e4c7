/**
 * Content digests: every active link of a provider and kind with its content hash, so the engine
 * can tell unchanged rows while it reads the feed and stage them bare.
 */
import { ContentDigest, type Kind, type RunScope } from "@sis-sync/core";
import { checkScope, raw, uuidLit } from "./Sql";
import type { StoreSession } from "./StoreSession";

export const makeDigests = (session: StoreSession) => {
  const { tx } = session;

  /**
   * The digest is read as a few long strings of `external_id<TAB>hash` lines (one per bucket of ids)
   * rather than a row per link: decoding 700 000 rows one by one would cost more than the query.
   * Ids holding a tab or a newline are left out: such rows simply take the planning path. Links
   * alone decide: triggers clear the hash of links whose entity is deactivated, deleted or
   * truncated away outside the sync (migration `2026_11_26_0001_stale_link_hashes`).
   */
  const contentDigest = async (scope: RunScope, kind: Kind): Promise<ContentDigest> => {
    checkScope(scope);
    const provider = uuidLit(scope.providerId);
    const result = await tx(async (trx) => {
      // When the provider and kind filters fool the row estimate (a handful instead of all), the
      // planner sorts every link to group them into buckets; hashing 32 groups is a third faster.
      await raw("set local enable_sort = off").execute(trx);
      // It runs while the extraction keeps both cores busy: parallel workers would only take turns with it.
      await raw("set local max_parallel_workers_per_gather = 0").execute(trx);
      // Every active link is counted (the safeguard's figure, and how the engine learns whether the
      // feed sent them all); the lines hold those the digest can carry.
      const held = "l.content_hash is not null and strpos(l.external_id, E'\\t') = 0 and strpos(l.external_id, E'\\n') = 0";
      return raw(`
        select count(*)::int as total, count(*) filter (where ${held})::int as n,
               string_agg(l.external_id || E'\t' || l.content_hash, E'\n') filter (where ${held}) as lines
        from sis_links l
        where l.provider_id = ${provider} and l.kind = '${kind}' and l.active
        group by hashtext(l.external_id) & 31`).execute(trx);
    });
    const buckets = result.rows as Array<{ total: number; n: number; lines: string | null }>;
    const digest = ContentDigest.withCapacity(buckets.reduce((sum, b) => sum + b.n, 0), buckets.reduce((sum, b) => sum + b.total, 0));
    for (const { lines } of buckets) if (lines !== null) digest.addLines(lines);
    return digest;
  };

  return { contentDigest };
};
