/**
 * Streams the records of one CSV file with the physical line each starts on, so row issues point
 * at the line an administrator sees in an editor. Accepts BOM or not, CRLF/LF/CR, a missing final
 * newline and quoted multi-line fields; memory stays at one read chunk plus csv-parse's buffer.
 */
import { CsvError, Parser } from "csv-parse";
import { pipeline, type Readable, type TransformCallback } from "node:stream";

export interface CsvRow {
  readonly fields: ReadonlyArray<string>;
  /** 1-based physical line the record starts on (the header is line 1). */
  readonly line: number;
}

/** The file cannot be split into records at all (an unclosed quote swallows the rest of it). */
export class CsvSyntaxError extends Error {
  readonly line: number;
  readonly detail: string;
  constructor(line: number, detail: string) {
    super(detail);
    this.line = line;
    this.detail = detail;
  }
}

/** Far above any real row; bounds memory when a stray quote turns the rest of a file into one field. */
const MAX_RECORD_CHARS = 1_000_000;

const isBlank = (fields: ReadonlyArray<string>): boolean => fields.length === 1 && fields[0] === "";

/** csv-parse counts both characters of a CRLF inside a quoted field as line breaks. */
const countCrLf = (fields: ReadonlyArray<string>): number => {
  let count = 0;
  for (const field of fields) {
    let at = field.indexOf("\r\n");
    while (at !== -1) {
      count++;
      at = field.indexOf("\r\n", at + 2);
    }
  }
  return count;
};

/**
 * csv-parse pushes one readable item per record; at ~1M rows the per-item stream and promise
 * machinery (and its garbage) costs as much as parsing. This parser gathers the records of each
 * input chunk into one array, and numbers them from its live line counter, which at push time is
 * the line a record ends on (cheaper than `info: true`, which copies the counters twice per row).
 */
class ChunkParser extends Parser {
  private pending: Array<CsvRow> = [];
  private previousEnd = 0;
  private drift = 0;

  /** The line the record being parsed starts on: where an unreadable record begins. */
  get nextLine(): number {
    return this.previousEnd + 1;
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      this.release();
      return super.push(null, encoding);
    }
    const fields = chunk as Array<string>;
    const line = this.previousEnd + 1;
    let end = this.info.lines - this.drift;
    if (end > line) {
      const overcount = countCrLf(fields);
      this.drift += overcount;
      end -= overcount;
    }
    this.previousEnd = end;
    if (!isBlank(fields)) this.pending.push({ fields, line });
    return true;
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    super._transform(chunk, encoding, (error, data) => {
      this.release();
      callback(error, data);
    });
  }

  override _flush(callback: TransformCallback): void {
    super._flush((error, data) => {
      this.release();
      callback(error, data);
    });
  }

  private release(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    super.push(rows);
  }
}

/**
 * Yields the non-blank records of the opened input in arrays (one per read chunk), header first.
 * Rows are arrays of fields, not objects: callers map them with column indexes resolved once from
 * the header. Fails with `CsvSyntaxError` on unreadable quoting, and with the input's own error when
 * the input fails.
 */
export async function* readCsvChunks(open: () => Promise<Readable>): AsyncGenerator<ReadonlyArray<CsvRow>, void, undefined> {
  // Opened on the first pull, so a generator that is never started holds no file handle.
  const input = await open();
  const parser = new ChunkParser({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  // pipeline (unlike pipe) destroys the input when the parser is destroyed by an early return.
  pipeline(input, parser, () => {});
  try {
    for await (const rows of parser) yield rows as ReadonlyArray<CsvRow>;
  } catch (error) {
    if (error instanceof CsvError) {
      throw new CsvSyntaxError(
        parser.nextLine,
        error.code === "CSV_QUOTE_NOT_CLOSED" || error.code === "CSV_MAX_RECORD_SIZE"
          ? "a quoted field is never closed, so the rest of the file cannot be split into rows"
          : error.message,
      );
    }
    throw error;
  } finally {
    parser.destroy();
  }
}

/** The records one at a time; for small files and header peeks. */
export async function* readCsvRows(open: () => Promise<Readable>): AsyncGenerator<CsvRow, void, undefined> {
  for await (const rows of readCsvChunks(open)) yield* rows;
}
