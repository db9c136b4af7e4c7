/**
 * A roster source serving a fixed feed, for engine and store tests: records in batches, per-kind
 * modes, injected issues and an optional failure part-way through (a truncated read).
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { KINDS, type AnyRecord, type Kind } from "../Roster";
import { RosterSource, RosterSourceError, type FeedMode, type SourceBatch } from "../RosterSource";
import type { RowIssue } from "../RowIssue";

export interface StaticFeed {
  readonly records: ReadonlyArray<AnyRecord>;
  /** Mode of each kind the feed carries; kinds left out are absent. Defaults to bulk for all four. */
  readonly modes?: Partial<Record<Kind, FeedMode>>;
  readonly issues?: ReadonlyArray<RowIssue>;
  readonly batchSize?: number;
  /** Fails the stream after this many batches, as a read that breaks off would. */
  readonly failAfterBatches?: number;
}

export const batches = (feed: StaticFeed): Array<SourceBatch> => {
  const modes = feed.modes ?? { school: "bulk", class: "bulk", user: "bulk", enrollment: "bulk" };
  const size = feed.batchSize ?? 1000;
  const out: Array<SourceBatch> = [];
  for (const kind of KINDS) {
    const mode = modes[kind];
    if (mode === undefined) continue;
    const records = feed.records.filter((r) => r.kind === kind);
    const issues = (feed.issues ?? []).filter((i) => i.kind === kind);
    if (records.length === 0) out.push({ kind, mode, records: [], issues });
    for (let i = 0; i < records.length; i += size) {
      out.push({ kind, mode, records: records.slice(i, i + size), issues: i === 0 ? issues : [] });
    }
  }
  return out;
};

export const make = (feed: StaticFeed) =>
  RosterSource.of({
    extract: Stream.fromIterable(batches(feed)).pipe(
      Stream.zipWithIndex,
      Stream.mapEffect(([batch, index]) =>
        feed.failAfterBatches !== undefined && index >= feed.failAfterBatches
          ? Effect.fail(new RosterSourceError({ reason: "Transport", message: "connection reset while reading the feed" }))
          : Effect.succeed(batch)),
    ),
    testConnection: Effect.succeed(`static feed of ${feed.records.length} records`),
  });

export const layer = (feed: StaticFeed) => Layer.succeed(RosterSource, make(feed));
