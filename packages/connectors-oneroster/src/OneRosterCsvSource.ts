/**
 * The OneRoster 1.1 CSV adapter of the `RosterSource` port: reads an export already on local disk
 * (a folder with manifest.csv, a zip, or a folder of dated exports) and streams it as batches.
 * Transports that fetch exports (SFTP) download first and reuse this reader on the local path.
 */
import { RosterSource, RosterSourceError, type RosterSourceShape } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import * as ExportReader from "./csv/ExportReader";

/** Where the export is and how finely to batch it. */
export interface Options {
  /** A folder holding manifest.csv, a `.zip`, or a folder of dated exports (the newest is read). */
  readonly localPath: string;
  /** Most records per batch; `DEFAULT_BATCH_SIZE` when omitted. */
  readonly batchSize?: number;
}

/** Records per batch when `batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = ExportReader.DEFAULT_BATCH_SIZE;

/** The port implementation over a local export path. */
export const make = (options: Options): RosterSourceShape => {
  const { localPath, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    const error = new RosterSourceError({
      reason: "Configuration",
      message: `batchSize must be a positive integer, got ${batchSize}`,
    });
    return RosterSource.of({ extract: Stream.fail(error), testConnection: Effect.fail(error) });
  }
  return RosterSource.of({
    extract: Stream.fromAsyncIterable(
      ExportReader.readExport(localPath, { batchSize }),
      (error) => ExportReader.toSourceError(error),
    ),
    testConnection: Effect.tryPromise({
      try: () => ExportReader.describeExport(localPath),
      catch: (error) => ExportReader.toSourceError(error),
    }).pipe(Effect.withSpan("OneRosterCsvSource.testConnection")),
  });
};

/**
 * `RosterSource` reading a OneRoster 1.1 CSV export from local disk.
 *
 * @example
 * ```ts
 * const summary = Effect.gen(function*() {
 *   const source = yield* RosterSource
 *   return yield* source.testConnection
 * }).pipe(Effect.provide(OneRosterCsvSource.layer({ localPath: "/srv/sftp/district-42" })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<RosterSource> => Layer.succeed(RosterSource, make(options));
