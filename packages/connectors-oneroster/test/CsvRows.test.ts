import { assert, describe, it } from "@effect/vitest";
import { Readable } from "node:stream";
import { CsvSyntaxError, readCsvRows, type CsvRow } from "../src/csv/CsvRows";

/** Feeds `text` in chunks of `size` bytes, so records and CRLFs straddle chunk boundaries. */
const rows = async (text: string | Buffer, size = 1): Promise<Array<CsvRow>> => {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
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

  for (const size of [1, 2, 3, 5, 9, 10, 64 * 1024]) {
    it(`fails a file that is not UTF-8 on the line of the first bad byte (chunks of ${size})`, async () => {
      // Windows-1252: "José" with é as the single byte 0xE9, on line 3 of a CRLF file.
      const latin = Buffer.concat([Buffer.from("sourcedId,givenName\r\nu1,Zoë\r\nu2,Jos", "utf8"), Buffer.from([0xe9]), Buffer.from("\r\n", "utf8")]);
      const error = await rows(latin, size).then(() => null, (e: unknown) => e);
      assert.instanceOf(error, CsvSyntaxError);
      assert.strictEqual((error as CsvSyntaxError).line, 3);
      assert.strictEqual((error as CsvSyntaxError).detail,
        "the file is not UTF-8: byte 0xE9 is not part of a UTF-8 character (a Windows-1252 or Latin-1 export?); export it as UTF-8");
    });

    it(`names the physical line of a bad byte at a line's start, after CR-only breaks, inside a quoted value (chunks of ${size})`, async () => {
      const lineOf = async (...parts: Array<string | number>) => {
        const bytes = Buffer.concat(parts.map((p) => (typeof p === "number" ? Buffer.from([p]) : Buffer.from(p, "utf8"))));
        const error = await rows(bytes, size).then(() => null, (e: unknown) => e);
        assert.instanceOf(error, CsvSyntaxError);
        return (error as CsvSyntaxError).line;
      };
      assert.strictEqual(await lineOf("a,b\nu1,x\n", 0xe9, ",y\n"), 3);
      assert.strictEqual(await lineOf("a,b\ru1,x\ru2,", 0xe9, "\r"), 3);
      assert.strictEqual(await lineOf('a,b\r\nu1,"one\r\ntwo\r\nthr', 0xe9, 'e"\r\n'), 4);
    });

    it(`reads 2-, 3- and 4-byte characters cut by chunk boundaries, and fails one cut by the end of the file (chunks of ${size})`, async () => {
      const text = "a,b\né,€\n𝄞,健\n";
      assert.deepStrictEqual(lines(await rows(text, size)), ["1:a|b", "2:é|€", "3:𝄞|健"]);
      const cut = Buffer.from("a,b\n1,€", "utf8").subarray(0, -1);
      const error = await rows(cut, size).then(() => null, (e: unknown) => e);
      assert.instanceOf(error, CsvSyntaxError);
      assert.strictEqual((error as CsvSyntaxError).line, 2);
    });
  }

  it("reads a UTF-16LE export (it starts with the FF FE byte-order mark)", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("sourcedId,givenName\r\nu1,José\r\n", "utf16le")]);
    assert.deepStrictEqual(lines(await rows(utf16, 64 * 1024)), ["1:sourcedId|givenName", "2:u1|José"]);
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

  it("keeps fields holding the control characters rows travel between threads with", async () => {
    // U+001E and U+001F separate rows and fields on the way back from the parser thread; a file
    // that holds them must still come back exactly, including rows parsed before they appeared.
    const text = "a,b\n1,2\nx\u001fy,\"p\u001eq\"\n3,4\n";
    for (const size of [1, 5, 1024]) {
      assert.deepStrictEqual((await rows(text, size)).map((row) => row.fields), [["a", "b"], ["1", "2"], ["x\u001fy", "p\u001eq"], ["3", "4"]]);
    }
  });

  it("reads several files at once without mixing their rows", async () => {
    const file = (name: string, n: number) =>
      `id,name\n${Array.from({ length: n }, (_, i) => `${name}-${i},"${name} ${i}"`).join("\n")}\n`;
    const [a, b, c] = await Promise.all([rows(file("a", 2000), 512), rows(file("b", 1500), 100), rows(file("c", 10), 3)]);
    for (const [name, out, n] of [["a", a, 2000], ["b", b, 1500], ["c", c, 10]] as const) {
      assert.strictEqual(out.length, n + 1);
      out.slice(1).forEach((row, i) => {
        assert.deepStrictEqual(row.fields, [`${name}-${i}`, `${name} ${i}`]);
        assert.strictEqual(row.line, i + 2);
      });
    }
  });

  it("fails one file without disturbing another read at the same time", async () => {
    const good = rows(`id\n${Array.from({ length: 500 }, (_, i) => `g${i}`).join("\n")}\n`, 64);
    const bad = rows('a,b\n1,"never closed\n2,3\n', 4);
    const [goodResult, badResult] = await Promise.allSettled([good, bad]);
    assert.strictEqual(goodResult.status, "fulfilled");
    assert.strictEqual(goodResult.status === "fulfilled" ? goodResult.value.length : 0, 501);
    assert.strictEqual(badResult.status, "rejected");
    assert.instanceOf(badResult.status === "rejected" ? badResult.reason : null, CsvSyntaxError);
  });

  it("passes on the input's own error", async () => {
    const failing = async () =>
      new Readable({
        read() {
          this.push(Buffer.from("a,b\n1,2\n"));
          this.destroy(new Error("disk went away"));
        },
      });
    const out: Array<CsvRow> = [];
    try {
      for await (const row of readCsvRows(failing)) out.push(row);
      assert.fail("expected the input's error");
    } catch (error) {
      assert.strictEqual((error as Error).message, "disk went away");
    }
  });

  it("stops reading when the consumer stops early, and reads the next file normally", async () => {
    const big = `id\n${Array.from({ length: 5000 }, (_, i) => `r${i}`).join("\n")}\n`;
    for await (const row of readCsvRows(async () => Readable.from([Buffer.from(big)]))) if (row.line === 10) break;
    assert.deepStrictEqual(lines(await rows("a\n1\n", 1)), ["1:a", "2:1"]);
  });
});
