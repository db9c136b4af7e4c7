/**
 * Streams the records of one CSV file with the physical line each starts on, so row issues point
 * at the line an administrator sees in an editor. Accepts BOM or not, CRLF/LF/CR, a missing final
 * newline and quoted multi-line fields; memory stays at a few read chunks.
 *
 * Parsing (csv-parse) runs on a worker thread (`csvWorker.mjs`) shared by every file being read:
 * the main thread sends it the file's bytes a few chunks ahead and gets the records back, so
 * parsing overlaps with mapping, hashing and staging instead of adding to them.
 */
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";

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

const FIELD = "\u001f";
const ROW = "\u001e";
/** Input chunks sent ahead of the records handed out: enough to keep the parser busy, little memory. */
const AHEAD = 3;

type WorkerMessage =
  | { readonly type: "rows"; readonly id: number; readonly text: string; readonly lines: Int32Array; readonly arrays: Array<Array<string>> | null; readonly final: boolean }
  | { readonly type: "error"; readonly id: number; readonly code: string | null; readonly message: string; readonly line: number };

interface Session {
  readonly queue: Array<WorkerMessage>;
  wake: (() => void) | null;
}

/** The parsing thread, started on first use and kept (unreferenced) while no file is being read. */
const parserThread = (() => {
  let worker: Worker | null = null;
  let nextId = 1;
  const sessions = new Map<number, Session>();

  const location = (): URL => {
    // Next to this module in the sources (.mjs) and in the built package (.js).
    for (const name of ["./csvWorker.mjs", "./csvWorker.js"]) {
      const url = new URL(name, import.meta.url);
      if (existsSync(url)) return url;
    }
    throw new Error(`the CSV parser worker is missing next to ${import.meta.url}`);
  };

  const deliver = (session: Session, message: WorkerMessage) => {
    session.queue.push(message);
    const wake = session.wake;
    session.wake = null;
    wake?.();
  };

  const start = (): Worker => {
    // Plain JavaScript: the worker needs none of the parent's loaders (under tsx they double its start-up).
    const w = new Worker(location(), { execArgv: [] });
    w.on("message", (message: WorkerMessage) => {
      const session = sessions.get(message.id);
      if (session !== undefined) deliver(session, message);
    });
    const crash = (error: unknown) => {
      worker = null;
      const message = error instanceof Error ? error.message : `exited with code ${String(error)}`;
      for (const [id, session] of sessions) deliver(session, { type: "error", id, code: "WORKER", message: `the CSV parser thread failed: ${message}`, line: 0 });
    };
    w.on("error", crash);
    w.on("exit", (code) => {
      if (worker === w) crash(code);
    });
    return w;
  };

  return {
    open: () => {
      worker ??= start();
      const w = worker;
      const id = nextId++;
      const session: Session = { queue: [], wake: null };
      sessions.set(id, session);
      w.ref();
      w.postMessage({ type: "open", id });
      return {
        send: (bytes: Uint8Array) => {
          // A private copy is transferred; the stream may reuse its buffer's memory.
          const copy = new Uint8Array(bytes);
          w.postMessage({ type: "data", id, bytes: copy }, [copy.buffer]);
        },
        end: () => w.postMessage({ type: "end", id }),
        receive: async (): Promise<WorkerMessage> => {
          while (session.queue.length === 0) await new Promise<void>((wake) => (session.wake = wake));
          return session.queue.shift()!;
        },
        close: () => {
          sessions.delete(id);
          if (worker === w) {
            w.postMessage({ type: "close", id });
            if (sessions.size === 0) w.unref();
          }
        },
      };
    },
  };
})();

const decode = (message: Extract<WorkerMessage, { type: "rows" }>): Array<CsvRow> => {
  const { lines } = message;
  const out: Array<CsvRow> = new Array(lines.length);
  if (message.arrays !== null) {
    for (let i = 0; i < lines.length; i++) out[i] = { fields: message.arrays[i]!, line: lines[i]! };
  } else if (lines.length > 0) {
    const rows = message.text.split(ROW);
    for (let i = 0; i < lines.length; i++) out[i] = { fields: rows[i]!.split(FIELD), line: lines[i]! };
  }
  return out;
};

/**
 * Yields the non-blank records of the opened input in arrays (one per read chunk), header first.
 * Rows are arrays of fields, not objects: callers map them with column indexes resolved once from
 * the header. Fails with `CsvSyntaxError` on unreadable quoting, and with the input's own error when
 * the input fails. `ahead`: read chunks sent to the parser before their records are asked for; 1
 * for a caller that only peeks at the header, so the parser is not kept busy with rows nobody reads.
 */
export async function* readCsvChunks(open: () => Promise<Readable>, ahead = AHEAD): AsyncGenerator<ReadonlyArray<CsvRow>, void, undefined> {
  // Opened on the first pull, so a generator that is never started holds no file handle.
  const input = await open();
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  const session = parserThread.open();
  let pending = 0;
  let ended = false;
  const feed = async () => {
    while (!ended && pending < ahead) {
      const next = await chunks.next();
      if (next.done === true) {
        ended = true;
        session.end();
      } else {
        session.send(typeof next.value === "string" ? Buffer.from(next.value) : next.value);
      }
      pending++;
    }
  };
  try {
    for (;;) {
      await feed();
      const message = await session.receive();
      pending--;
      if (message.type === "error") {
        if (message.code === "WORKER") throw new Error(message.message);
        throw new CsvSyntaxError(
          message.line,
          message.code === "CSV_QUOTE_NOT_CLOSED" || message.code === "CSV_MAX_RECORD_SIZE"
            ? "a quoted field is never closed, so the rest of the file cannot be split into rows"
            : message.message,
        );
      }
      const rows = decode(message);
      if (rows.length > 0) yield rows;
      if (message.final) return;
    }
  } finally {
    session.close();
    input.destroy();
  }
}

/** The records one at a time; for small files and header peeks. */
export async function* readCsvRows(open: () => Promise<Readable>): AsyncGenerator<CsvRow, void, undefined> {
  for await (const rows of readCsvChunks(open)) yield* rows;
}
