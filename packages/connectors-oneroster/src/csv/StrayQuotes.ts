/**
 * A value that runs over several lines. With `relax_quotes`, one field opening with a stray quote
 * (`"Ann ,`) runs until some later quote closes it, and when that quote sits where a field could
 * end, the merged record even has the header's width: the rows in between vanish into one value and
 * would be deactivated without a word. OneRoster values hold no line breaks, so such a record is
 * rejected, and every row swallowed into it is reported under its own id, which keeps that id
 * from being deactivated (a rejected row with an id protects its link).
 */
import { rowIssue, type Kind, type RowIssue } from "@sis-sync/core";

const LINE_BREAK = /\r\n|\r|\n/;

/** Whether any value of the record holds a line break. */
export const spansLines = (fields: ReadonlyArray<string>): boolean => {
  for (const field of fields) if (field.includes("\n") || field.includes("\r")) return true;
  return false;
};

/** The first comma-separated value of a line of CSV, trimmed; null when empty or quoted. */
const firstValue = (line: string): string | null => {
  const value = line.split(",")[0]?.trim();
  return value === undefined || value === "" || value.includes('"') ? null : value;
};

/**
 * The id a swallowed line starts a row with, or null. In the id column itself every line starts
 * with an id (the last one may end right after it). Elsewhere a line without a comma is the rest of
 * a value (`Dee` / `Anne`), not a row of its own.
 */
const idIn = (line: string, index: number, inIdColumn: boolean): string | null => {
  if (inIdColumn) return firstValue(line);
  if (!line.includes(",")) return null;
  return firstValue(line.split(",").slice(index).join(","));
};

/**
 * The issues for a record whose values run over lines: one for the record (under its own id), and
 * one for each line inside it (under the id that line starts with). A line with no id to read is
 * still an error without one: the engine then deactivates nothing of the kind this run, since that
 * line may be any row.
 */
export const swallowedRowIssues = (
  kind: Kind | null,
  file: string,
  fields: ReadonlyArray<string>,
  line: number,
  idIndex: number,
): Array<RowIssue> => {
  const inner = fields.flatMap((field, index) =>
    LINE_BREAK.test(field) ? field.split(LINE_BREAK).slice(1).map((text) => ({ text, inIdColumn: index === idIndex })) : []);
  const last = line + inner.length;
  const where = `a value runs from line ${line} to line ${last} (a stray quote?); OneRoster values hold no line breaks`;
  // When the id column itself runs over lines, its first line starts with the record's id.
  const own = firstValue((fields[idIndex] ?? "").split(LINE_BREAK)[0]!);
  const issues = [rowIssue(kind, "error", "invalid_row", `${where}: row skipped, with the ${inner.length} line${inner.length === 1 ? "" : "s"} inside it`, {
    origin: { file, line }, externalId: own,
  })];
  inner.forEach(({ text, inIdColumn }, i) => {
    const id = idIn(text, idIndex, inIdColumn);
    if (id !== null && id === own) return;
    issues.push(rowIssue(kind, "error", "invalid_row", `inside ${where}: row skipped`, { origin: { file, line: line + i + 1 }, externalId: id }));
  });
  return issues;
};
