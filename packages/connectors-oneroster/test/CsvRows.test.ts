import { assert, describe, it } from "@effect/vitest";
import { Readable } from "node:stream";
import { CsvSyntaxError, readCsvRows, type CsvRow } from "../src/csv/CsvRows";

/** Feeds `text` in chunks of `size` bytes, so records and CRLFs straddle chunk boundaries. */
const rows = async (text: string, size = 1): Promise<Array<CsvRow>> => {
  const bytes = Buffer.from(text, "utf8");
  const chunks: Array<Buffer> = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const out: Array<CsvRow> = [];
  for await (const row of readCsvRows(async () => Readable.from(chunks))) out.push(row);
  return out;
};

const lines = (out: ReadonlyArray<CsvRow>) => out.map((row) => `${row.line}:${row.fields.join("|")}`);

describe("readCsvRows", () => {
  for (const size of [1, 3, 64 * 1024]) {
    it(`numbers physical lines with CRLF and no final newline (chunks of ${size})`, async () => {
      assert.deepStrictEqual(lines(await rows("a,b\r\n1,2\r\n3,4", size)), ["1:a|b", "2:1|2", "3:3|4"]);
    });

    it(`starts a multi-line quoted record on its first line, LF and CRLF (chunks of ${size})`, async () => {
      assert.deepStrictEqual(
        lines(await rows('a,b\n1,"x\ny\nz"\n3,4\n', size)),
        ["1:a|b", "2:1|x\ny\nz", "5:3|4"],
      );
      assert.deepStrictEqual(
        lines(await rows('a,b\r\n1,"x\r\ny"\r\n3,4\r\n"5","6\r\n7\r\n8"\r\n9,10', size)),
        ["1:a|b", "2:1|x\r\ny", "4:3|4", "5:5|6\r\n7\r\n8", "8:9|10"],
      );
    });
  }

  it("reads old Mac CR line endings", async () => {
    assert.deepStrictEqual(lines(await rows("a,b\r1,2\r3,4\r", 2)), ["1:a|b", "2:1|2", "3:3|4"]);
  });

  it("strips a UTF-8 BOM and keeps multibyte text intact across chunks", async () => {
    const out = await rows("\uFEFFsourcedId,givenName\nu1,健二\n", 1);
    assert.deepStrictEqual(out[0]?.fields, ["sourcedId", "givenName"]);
    assert.deepStrictEqual(out[1]?.fields, ["u1", "健二"]);
  });

  it("skips blank lines without shifting line numbers, and keeps ragged rows for the caller", async () => {
    assert.deepStrictEqual(lines(await rows("a,b\n\n1,2\n\n3\n4,5,6\n\n")), ["1:a|b", "3:1|2", "5:3", "6:4|5|6"]);
  });

  it("reads all-quoted fields with embedded quotes and commas", async () => {
    assert.deepStrictEqual(lines(await rows('"a","b"\n"x ""y""","09,10"\n')), ['1:a|b', '2:x "y"|09,10']);
  });

  it("fails with the line of the record whose quote is never closed", async () => {
    try {
      await rows('a,b\n1,2\n3,"abc\n5,6\n', 4);
      assert.fail("expected a CsvSyntaxError");
    } catch (error) {
      assert.instanceOf(error, CsvSyntaxError);
      assert.strictEqual((error as CsvSyntaxError).line, 3);
    }
  });
});
