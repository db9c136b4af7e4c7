// @ts-check
/**
 * The CSV parsing thread. csv-parse is the single largest cost of a sync (about 2 µs a row, a
 * 700 000-row export takes seconds), so it runs here, on the other core, while the main thread maps,
 * hashes and stages the rows it already has. Plain JavaScript (not TypeScript) so Node loads it the
 * same way from the sources, the tests and the built package.
 *
 * Protocol, per session (one file being read), with the main thread (`CsvRows.ts`):
 *   in:  { type: "open", id } · { type: "data", id, bytes } · { type: "end", id } · { type: "close", id }
 *   out: exactly one { type: "rows", id, text, lines, arrays, final } per "data" and per "end"
 *        (final: true after "end"), or one { type: "error", id, code, message, line }.
 * Rows travel as one string (fields joined by U+001F, rows by U+001E) plus their line numbers: one
 * string is far cheaper to pass between threads than an array per row. Once a file's bytes hold one
 * of those separators, its rows travel as arrays instead.
 */
import { Parser } from "csv-parse";
import { isUtf8 } from "node:buffer";
import { parentPort } from "node:worker_threads";

const FIELD = "\u001f";
const ROW = "\u001e";

/** Far above any real row; bounds memory when a stray quote turns the rest of a file into one field. */
const MAX_RECORD_CHARS = 1_000_000;

/** @param {ReadonlyArray<string>} fields */
const isBlank = (fields) => fields.length === 1 && fields[0] === "";

/**
 * csv-parse counts both characters of a CRLF inside a quoted field as line breaks.
 * @param {ReadonlyArray<string>} fields
 */
const countCrLf = (fields) => {
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
 * Collects the records of each written chunk, numbered from csv-parse's live line counter, which at
 * push time is the line a record ends on (cheaper than `info: true`, which copies the counters twice
 * per row).
 */
class ChunkParser extends Parser {
  constructor() {
    super({ bom: true, relax_column_count: true, relax_quotes: true, max_record_size: MAX_RECORD_CHARS });
    /** @type {Array<Array<string>>} */
    this.rows = [];
    /** @type {Array<number>} */
    this.lines = [];
    this.previousEnd = 0;
    this.drift = 0;
  }

  /** The line the record being parsed starts on: where an unreadable record begins. */
  get nextLine() {
    return this.previousEnd + 1;
  }

  /**
   * @param {unknown} chunk
   * @param {BufferEncoding} [encoding]
   */
  push(chunk, encoding) {
    if (chunk === null) return super.push(null, encoding);
    const fields = /** @type {Array<string>} */ (chunk);
    const line = this.previousEnd + 1;
    let end = this.info.lines - this.drift;
    if (end > line) {
      const overcount = countCrLf(fields);
      this.drift += overcount;
      end -= overcount;
    }
    this.previousEnd = end;
    if (!isBlank(fields)) {
      this.rows.push(fields);
      this.lines.push(line);
    }
    return true;
  }
}

/**
 * How many bytes at the end of `bytes` begin a character the chunk does not finish (0–3): they are
 * checked with the next chunk.
 * @param {Buffer} bytes
 */
const unfinished = (bytes) => {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = /** @type {number} */ (bytes[bytes.length - back]);
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
};

/**
 * Offset of the first byte that is not valid UTF-8 (only called once the chunk failed the check).
 * @param {Buffer} bytes
 */
const firstInvalid = (bytes) => {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let low = 0;
  let high = bytes.length;
  // The shortest failing prefix: a prefix that decodes (a cut inside a character aside) is clean.
  while (high - low > 4) {
    const mid = (low + high) >>> 1;
    try {
      decoder.decode(bytes.subarray(0, mid - unfinished(bytes.subarray(0, mid))));
      low = mid;
    } catch {
      high = mid;
    }
  }
  for (let at = low; at < high; at++) {
    try {
      decoder.decode(bytes.subarray(0, at + 1 - unfinished(bytes.subarray(0, at + 1))));
    } catch {
      // A lead byte whose sequence breaks off (0xE9 then a CR) is the byte to name.
      return at - unfinished(bytes.subarray(0, at));
    }
  }
  return low;
};

/**
 * Physical line breaks (LF, CRLF or a lone CR) in `bytes` before `end`: the line an editor shows
 * for a byte, whatever the parser has made of quoted values so far. A CR that ended the previous
 * chunk counts here unless this chunk goes on with its LF.
 * @param {Session} session
 * @param {Buffer} bytes
 * @param {number} end
 */
const lineBreaks = (session, bytes, end) => {
  let count = session.lastCr && bytes[0] !== 0x0a ? 1 : 0;
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) count++;
  for (let at = bytes.indexOf(0x0d); at !== -1 && at < end; at = bytes.indexOf(0x0d, at + 1)) {
    // A CR followed by LF is one break (counted with the LF); one ending the chunk waits for the next.
    if (at + 1 < bytes.length && bytes[at + 1] !== 0x0a) count++;
  }
  return count;
};

/**
 * Not UTF-8 (a Windows-1252 or Latin-1 export, typically): every accented name would be read as
 * U+FFFD and stored that way, so the file fails instead, naming the line and the byte.
 * @param {Session} session
 * @param {Buffer} bytes
 */
const encodingError = (session, bytes) => {
  const at = firstInvalid(bytes);
  const line = 1 + session.breaks + lineBreaks(session, bytes, at);
  const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
  return {
    code: "NOT_UTF8",
    message: `the file is not UTF-8: byte 0x${byte} is not part of a UTF-8 character (a Windows-1252 or Latin-1 export?); export it as UTF-8`,
    line,
  };
};

/**
 * @typedef {{ parser: ChunkParser, failed: boolean, plain: boolean, carry: Buffer, started: boolean, utf16: boolean,
 *   breaks: number, lastCr: boolean }} Session
 * `breaks`: line breaks in the bytes checked so far; `lastCr`: they ended with a CR.
 */
/** @type {Map<number, Session>} */
const sessions = new Map();
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

/**
 * @param {number} id
 * @param {Session} session
 * @param {boolean} final
 */
const sendRows = (id, session, final) => {
  const { parser } = session;
  const rows = parser.rows;
  const lines = Int32Array.from(parser.lines);
  parser.rows = [];
  parser.lines = [];
  if (session.plain) {
    let text = "";
    for (let i = 0; i < rows.length; i++) text += (i === 0 ? "" : ROW) + rows[i].join(FIELD);
    port.postMessage({ type: "rows", id, text, lines, arrays: null, final }, [lines.buffer]);
  } else {
    port.postMessage({ type: "rows", id, text: "", lines, arrays: rows, final }, [lines.buffer]);
  }
};

/**
 * @param {number} id
 * @param {Session} session
 * @param {unknown} error
 */
const fail = (id, session, error) => {
  if (session.failed) return;
  session.failed = true;
  const e = /** @type {{ code?: unknown, message?: unknown, line?: unknown }} */ (error ?? {});
  port.postMessage({
    type: "error",
    id,
    code: typeof e.code === "string" ? e.code : null,
    message: typeof e.message === "string" ? e.message : String(error),
    line: typeof e.line === "number" ? e.line : session.parser.nextLine,
  });
};

/**
 * Checks a chunk is UTF-8; a character cut at its end is checked with the next chunk.
 * @param {Session} session
 * @param {Buffer} bytes
 * @returns {ReturnType<typeof encodingError> | null}
 */
const checkEncoding = (session, bytes) => {
  const first = !session.started;
  session.started = true;
  // A UTF-16LE export announces itself with FF FE, and csv-parse (bom: true) decodes it.
  if (session.utf16 || (first && bytes[0] === 0xff && bytes[1] === 0xfe)) {
    session.utf16 = true;
    return null;
  }
  const all = session.carry.length === 0 ? bytes : Buffer.concat([session.carry, bytes]);
  const cut = unfinished(all);
  const whole = all.subarray(0, all.length - cut);
  if (!isUtf8(whole)) return encodingError(session, whole);
  session.carry = Buffer.from(all.subarray(all.length - cut));
  session.breaks += lineBreaks(session, bytes, bytes.length);
  session.lastCr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d;
  return null;
};

port.on("message", (/** @type {{ type: string, id: number, bytes?: Uint8Array }} */ message) => {
  const { id } = message;
  if (message.type === "open") {
    const session = { parser: new ChunkParser(), failed: false, plain: true, carry: Buffer.alloc(0), started: false, utf16: false, breaks: 0, lastCr: false };
    session.parser.on("error", (error) => fail(id, session, error));
    // Records are taken from `rows`; nothing is read from the stream side.
    session.parser.resume();
    sessions.set(id, session);
    return;
  }
  const session = sessions.get(id);
  if (session === undefined) return;
  if (message.type === "close") {
    sessions.delete(id);
    session.parser.destroy();
    return;
  }
  if (session.failed) return;
  if (message.type === "data") {
    const bytes = Buffer.from(/** @type {Uint8Array} */ (message.bytes));
    const notUtf8 = checkEncoding(session, bytes);
    if (notUtf8 !== null) return fail(id, session, notUtf8);
    if (bytes.includes(0x1e) || bytes.includes(0x1f)) session.plain = false;
    session.parser.write(bytes, (error) => {
      if (error) fail(id, session, error);
      else sendRows(id, session, false);
    });
    return;
  }
  if (message.type === "end") {
    if (session.carry.length > 0) return fail(id, session, encodingError(session, Buffer.concat([session.carry, Buffer.from([0x0a])])));
    session.parser.end(() => {
      if (!session.failed) sendRows(id, session, true);
    });
  }
});
