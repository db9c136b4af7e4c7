/**
 * Shared test helpers: run the adapter over a path and pick records and issues out of the batches.
 */
import type { AnyRecord, Kind, RowIssue, SourceBatch } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OneRosterCsvSource } from "../src/index";

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), "oneroster-csv-"));

export const extract = (localPath: string, batchSize?: number) =>
  Stream.runCollect(OneRosterCsvSource.make(batchSize === undefined ? { localPath } : { localPath, batchSize }).extract);

export const testConnection = (localPath: string) => OneRosterCsvSource.make({ localPath }).testConnection;

/** The error `extract` fails with. */
export const extractError = (localPath: string) => Effect.flip(extract(localPath));

export type RecordOf<K extends Kind> = Extract<AnyRecord, { readonly kind: K }>;

export const recordsOf = <K extends Kind>(batches: ReadonlyArray<SourceBatch>, kind: K): Array<RecordOf<K>> =>
  batches.flatMap((batch) => batch.records).filter((record): record is RecordOf<K> => record.kind === kind);

export const recordOf = <K extends Kind>(batches: ReadonlyArray<SourceBatch>, kind: K, externalId: string): RecordOf<K> => {
  const found = recordsOf(batches, kind).find((record) => record.externalId === externalId);
  if (found === undefined) throw new Error(`no ${kind} ${externalId} in the batches`);
  return found;
};

export const issuesOf = (batches: ReadonlyArray<SourceBatch>): Array<RowIssue> => batches.flatMap((batch) => batch.issues);

/** Issues reduced to what a test pins down: `code file:line externalId`. */
export const issueKeys = (batches: ReadonlyArray<SourceBatch>): Array<string> =>
  issuesOf(batches).map((issue) => `${issue.severity} ${issue.code} ${issue.file}:${issue.line} ${issue.externalId}`);

/** The kind, mode and record count of each batch, in order. */
export const shape = (batches: ReadonlyArray<SourceBatch>): Array<string> =>
  batches.map((batch) => `${batch.kind} ${batch.mode} ${batch.records.length}`);
