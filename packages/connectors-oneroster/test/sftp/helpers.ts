/**
 * Shared plumbing for the SFTP suites: exports built from a generated district, a parent folder for
 * the source's private downloads (to prove they are gone), and collecting a source's batches.
 */
import type { AnyRecord, RosterSourceError, RosterSourceShape, SourceBatch } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestRows, type CsvRows, type FileContent } from "../../src/testing/index";
import { FakeDistrict } from "../../src/testing/rest";

/** manifest.csv plus the six 1.1 files of a generated district, all bulk. */
export const exportFiles = (generated: FakeDistrict.Generated): Record<string, FileContent> => {
  const tables: Record<string, CsvRows> = FakeDistrict.toCsvTables(generated.district);
  const modes = Object.fromEntries(Object.keys(tables).map((file) => [file.replace(/\.csv$/, ""), "bulk" as const]));
  return { "manifest.csv": manifestRows(modes), ...tables };
};

export const district = (prefix = "", students = 30) =>
  FakeDistrict.generate({ prefix, schools: 2, classesPerSchool: 3, students, classesPerStudent: 2 });

/** A fresh folder to hand the source as `tempDir`. */
export const downloadsParent = (): Promise<string> => mkdtemp(join(tmpdir(), "sftp-downloads-"));

/** What is left in a `tempDir` (the source must leave nothing). */
export const leftIn = (parent: string): Promise<Array<string>> => readdir(parent);

export const removeAll = (...paths: ReadonlyArray<string>) => Promise.all(paths.map((p) => rm(p, { recursive: true, force: true })));

export const collect = (source: RosterSourceShape): Effect.Effect<ReadonlyArray<SourceBatch>, RosterSourceError> =>
  Effect.map(Stream.runCollect(source.extract), (chunk) => [...chunk]);

export const recordsOf = (batches: ReadonlyArray<SourceBatch>): ReadonlyArray<AnyRecord> => batches.flatMap((b) => b.records);

/** The error `extract` fails with. */
export const extractError = (source: RosterSourceShape) => Effect.flip(collect(source));

/** Resolves once `test` holds, polling every few milliseconds (fails after `ms`). */
export const until = async (test: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};
