/**
 * Resolves a file's header row against a table spec once, so each row is mapped by precomputed
 * indexes. Exact names win, then a case-insensitive match, then 1.0 aliases; a missing required
 * column fails the file, unknown columns are kept (in `raw`) and listed once.
 */
import type { TableSpec } from "./Tables";

export interface Header<C extends string> {
  readonly file: string;
  /** Index of each spec column in a row, `-1` when the file lacks an optional one. */
  readonly index: { readonly [K in C]: number };
  /** Non-empty names outside OneRoster 1.1 that are not `metadata.*`/`ext_*` extensions. */
  readonly unknown: ReadonlyArray<string>;
  /** Row width problem for this header, or `null` when the row lines up. */
  readonly widthProblem: (fields: ReadonlyArray<string>) => string | null;
  /** The whole row keyed by header name, extension columns included. */
  readonly raw: (fields: ReadonlyArray<string>) => Record<string, string>;
}

export class MissingColumnError extends Error {
  readonly file: string;
  readonly column: string;
  constructor(file: string, column: string) {
    super(`${file}: missing required column "${column}"`);
    this.file = file;
    this.column = column;
  }
}

const isExtension = (name: string): boolean => {
  const lower = name.toLowerCase();
  return lower.startsWith("metadata.") || lower.startsWith("ext_") || lower.startsWith("ext.");
};

export const resolveHeader = <C extends string>(spec: TableSpec<C>, header: ReadonlyArray<string>): Header<C> => {
  const names = header.map((name) => name.trim());
  const exact = new Map<string, number>();
  const folded = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === "") return;
    if (!exact.has(name)) exact.set(name, i);
    const lower = name.toLowerCase();
    if (!folded.has(lower)) folded.set(lower, i);
  });
  const find = (name: string): number => exact.get(name) ?? folded.get(name.toLowerCase()) ?? -1;

  const index: Partial<Record<C, number>> = {};
  const understood = new Set<number>();
  for (const column of Object.keys(spec.columns) as Array<C>) {
    const { required, aliases = [] } = spec.columns[column];
    let at = find(column);
    for (const alias of aliases) if (at === -1) at = find(alias);
    if (at === -1 && required) throw new MissingColumnError(spec.file, column);
    index[column] = at;
    understood.add(at);
  }
  const standard = new Set(spec.standard.map((name) => name.toLowerCase()));
  const unknown = names.filter((name, i) =>
    name !== "" && !understood.has(i) && !standard.has(name.toLowerCase()) && !isExtension(name)
  );

  const width = names.length;
  // Exporters pad headers with empty trailing columns (`a,b,,`) and may leave the padding off rows.
  let minWidth = width;
  while (minWidth > 0 && names[minWidth - 1] === "") minWidth--;
  const widthProblem = (fields: ReadonlyArray<string>): string | null => {
    const n = fields.length;
    if (n === width || (n >= minWidth && n < width)) return null;
    if (n > width) {
      let extraEmpty = true;
      for (let i = width; i < n; i++) if (fields[i] !== "") extraEmpty = false;
      if (extraEmpty) return null;
    }
    return `wrong number of fields: the header has ${minWidth}, this row has ${n}`;
  };

  const keys: Array<string> = [];
  const positions: Array<number> = [];
  header.forEach((name, i) => {
    if (name.trim() !== "" && name !== "__proto__") {
      keys.push(name);
      positions.push(i);
    }
  });
  const keepProto = header.indexOf("__proto__");
  const raw = (fields: ReadonlyArray<string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let k = 0; k < keys.length; k++) out[keys[k]!] = fields[positions[k]!] ?? "";
    // An assignment would set the prototype instead of a column.
    if (keepProto !== -1) {
      Object.defineProperty(out, "__proto__", {
        value: fields[keepProto] ?? "", enumerable: true, writable: true, configurable: true,
      });
    }
    return out;
  };

  return { file: spec.file, index: index as { readonly [K in C]: number }, unknown, widthProblem, raw };
};
