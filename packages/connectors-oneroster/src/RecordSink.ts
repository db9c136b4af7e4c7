/**
 * Where a mapper puts what it made of its input: records, and issues for what it could not use.
 * Shared by the CSV row mappers and the REST record mappers, which apply the same OneRoster rules.
 */
import type { AnyRecord, RowIssue } from "@sis-sync/core";

export interface RecordSink {
  readonly records: Array<AnyRecord>;
  readonly issues: Array<RowIssue>;
}

export const newSink = (): RecordSink => ({ records: [], issues: [] });
