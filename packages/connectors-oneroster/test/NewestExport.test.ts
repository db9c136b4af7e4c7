/**
 * The newest export of a folder of exports, as the local reader and the SFTP transport pick it.
 */
import { assert, describe, it } from "@effect/vitest";
import { newestFirst } from "../src/csv/NewestExport";

const newest = (...entries: Array<[string, number?]>) =>
  entries.map(([name, mtimeMs = 0]) => ({ name, mtimeMs })).sort(newestFirst).map((e) => e.name);

describe("newestFirst", () => {
  it("reads dates in the forms exports use, zips and folders alike", () => {
    assert.deepStrictEqual(newest(["2026-11-20.zip"], ["2026-11-24"], ["2026-11-01"]), ["2026-11-24", "2026-11-20.zip", "2026-11-01"]);
    assert.deepStrictEqual(newest(["20261120"], ["20261124.zip"]), ["20261124.zip", "20261120"]);
  });

  it("compares digit runs as numbers: export_10 is newer than export_9", () => {
    assert.deepStrictEqual(newest(["export_9"], ["export_10"], ["export_2"]), ["export_10", "export_9", "export_2"]);
    assert.deepStrictEqual(newest(["run-007"], ["run-10"]), ["run-10", "run-007"]);
    assert.deepStrictEqual(newest(["v1.9"], ["v1.10"], ["v2.0"]), ["v2.0", "v1.10", "v1.9"]);
  });

  it("never takes a folder without digits over a dated export (archive/, old/)", () => {
    assert.deepStrictEqual(newest(["archive", 5], ["2026-11-24", 1], ["old", 9]), ["2026-11-24", "old", "archive"]);
  });

  it("breaks a tie, and orders names without dates, by the newer modification time", () => {
    assert.deepStrictEqual(newest(["2026-11-24", 1], ["2026-11-24.zip", 2]), ["2026-11-24.zip", "2026-11-24"]);
    assert.deepStrictEqual(newest(["current", 1], ["latest", 3]), ["latest", "current"]);
  });
});
