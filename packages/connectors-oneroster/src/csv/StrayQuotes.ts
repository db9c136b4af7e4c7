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

/**
 * The id a swallowed line starts a row with, or null. A line without a comma is the rest of a value
 * (`Dee` / `Anne`), not a row of its own.
 */
const idIn = (line: string, index: number): string | null => {
  if (!line.includes(",")) return null;
  const value = line.split(",")[index]?.trim();
  return value === undefined || value === "" || value.includes('"') ? null : value;
};

/**
 * The issues for a record whose values run over lines: one for the record (under its own id), and
 * one for each line inside it that starts a row of its own (under the id found in that line).
 */
export const swallowedRowIssues = (
  kind: Kind | null,
  file: string,
  fields: ReadonlyArray<string>,
  line: number,
  idIndex: number,
): Array<RowIssue> => {
  const inner = fields.filter((f) => LINE_BREAK.test(f)).flatMap((f) => f.split(LINE_BREAK).slice(1));
  const last = line + inner.length;
  const where = `a value runs from line ${line} to line ${last} (a stray quote?); OneRoster values hold no line breaks`;
  const own = fields[idIndex]?.trim() || null;
  const issues = [rowIssue(kind, "error", "invalid_row", `${where}: row skipped, with the ${inner.length} line${inner.length === 1 ? "" : "s"} inside it`, {
    origin: { file, line }, externalId: own,
  })];
  inner.forEach((text, i) => {
    const id = idIn(text, idIndex);
    if (id !== null && id !== own) {
      issues.push(rowIssue(kind, "error", "invalid_row", `inside ${where}: row skipped`, { origin: { file, line: line + i + 1 }, externalId: id }));
    }
  });
  return issues;
};
