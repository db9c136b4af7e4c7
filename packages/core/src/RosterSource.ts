/**
 * The source port: a provider's roster as a stream of batches in dependency order
 * (schools → classes → users → enrollments). Connectors adapt their wire format to it.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import * as Schema from "effect/Schema";
import type * as Stream from "effect/Stream";
import type { AnyRecord, Kind } from "./Roster";
import type { RowIssue } from "./RowIssue";

/** `bulk`: the batch set of a kind is complete, omission means deletion. `delta`: only changes. */
export type FeedMode = "bulk" | "delta";

export interface SourceBatch {
  readonly kind: Kind;
  readonly mode: FeedMode;
  readonly records: ReadonlyArray<AnyRecord>;
  readonly issues: ReadonlyArray<RowIssue>;
}

export const SourceErrorReason = Schema.Literals([
  "Unauthorized", "Forbidden", "NotFound", "RateLimited", "Timeout", "Transport", "BadResponse", "BadInput",
  "Configuration", "Cancelled",
]);
export type SourceErrorReason = typeof SourceErrorReason.Type;

/** A failure to read the feed as a whole. The message is safe to show: it never holds secrets or upstream bodies. */
export class RosterSourceError extends Schema.TaggedError<RosterSourceError>()("RosterSourceError", {
  reason: SourceErrorReason,
  message: Schema.String,
}) {}

export interface RosterSourceShape {
  /**
   * Batches grouped by kind in `KINDS` order. Every kind the feed carries yields at least one batch
   * (an empty bulk file yields one empty batch, so the safeguard sees it); a kind the feed does not
   * carry yields none and is left untouched. A structural problem fails the stream.
   */
  readonly extract: Stream.Stream<SourceBatch, RosterSourceError>;
  /** One cheap authenticated call; succeeds with a human summary ("12 files, newest 2026-11-24"). */
  readonly testConnection: Effect.Effect<string, RosterSourceError>;
}

export class RosterSource extends Context.Service<RosterSource, RosterSourceShape>()("@sis-sync/core/RosterSource") {}
