import { assert, describe, it } from "@effect/vitest";
import * as V from "../src/csv/Values";

describe("Values", () => {
  it("date accepts YYYY-MM-DD and ISO timestamps, keeping the written calendar date", () => {
    assert.strictEqual(V.date("2025-09-01"), "2025-09-01");
    assert.strictEqual(V.date(" 2025-09-01 "), "2025-09-01");
    assert.strictEqual(V.date("2023-05-01T18:25:43.511Z"), "2023-05-01");
    assert.strictEqual(V.date("2026-08-01T00:00:00-05:00"), "2026-08-01");
    assert.strictEqual(V.date("2017-05-06 08:01:05"), "2017-05-06");
    assert.strictEqual(V.date("2024-02-29"), "2024-02-29");
  });

  it("date tells blank (null) from unparseable (undefined)", () => {
    assert.isNull(V.date(""));
    assert.isNull(V.date("   "));
    assert.isNull(V.date(undefined));
    for (const bad of ["15/06/2023", "2023-6-15", "2023-02-29", "2023-13-01", "2023-04-31", "2023-05-01Tnonsense", "June 1"]) {
      assert.isUndefined(V.date(bad), bad);
    }
  });

  it("boolean is case-insensitive, reads the 1/0, yes/no, y/n, t/f spellings, and reports blank and junk apart", () => {
    assert.isTrue(V.boolean("TRUE"));
    assert.isTrue(V.boolean("True"));
    assert.isFalse(V.boolean(" false "));
    assert.isFalse(V.boolean("FALSE"));
    assert.isNull(V.boolean(""));
    assert.isNull(V.boolean("  "));
    for (const no of ["0", "N", "no", " No ", "f", "F"]) assert.isFalse(V.boolean(no), no);
    for (const yes of ["1", "Y", "yes", "YES", "t"]) assert.isTrue(V.boolean(yes), yes);
    assert.isUndefined(V.boolean("maybe"));
    assert.isUndefined(V.boolean("2"));
  });

  it("list splits comma lists, trims items and drops empty ones", () => {
    assert.deepStrictEqual(V.list("09,10,11"), ["09", "10", "11"]);
    assert.deepStrictEqual(V.list("Science, Physics, "), ["Science", "Physics"]);
    assert.deepStrictEqual(V.list(" 1-2 "), ["1-2"]);
    assert.deepStrictEqual(V.list(""), []);
    assert.deepStrictEqual(V.list(","), []);
    assert.deepStrictEqual(V.list(undefined), []);
  });

  it("status maps blank/active to active and tobedeleted/inactive (1.0) to tobedeleted", () => {
    assert.strictEqual(V.status(""), "active");
    assert.strictEqual(V.status("Active"), "active");
    assert.strictEqual(V.status("TOBEDELETED"), "tobedeleted");
    assert.strictEqual(V.status("inactive"), "tobedeleted");
    assert.isUndefined(V.status("archived"));
  });

  it("role lower-cases and keeps parent, guardian and relative", () => {
    assert.strictEqual(V.role("Teacher"), "teacher");
    assert.strictEqual(V.role("parent"), "parent");
    assert.strictEqual(V.role("Guardian"), "guardian");
    assert.strictEqual(V.role("relative"), "relative");
    assert.isUndefined(V.role("pupil"));
    assert.isUndefined(V.role("districtAdministrator"));
  });
});
