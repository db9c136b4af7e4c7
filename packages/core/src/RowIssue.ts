/**
 * Row-level issues: every rejected row and every dropped value is reported with where it came
 * from, so an administrator can fix the export rather than guess.
 */
import type { Kind, Origin } from "./Roster";

export type IssueSeverity = "error" | "warning";

/** Stable machine-readable reasons; `message` carries the human text. */
export type IssueCode =
  | "invalid_row"
  | "missing_field"
  | "invalid_value"
  | "duplicate_id"
  | "unknown_reference"
  | "ambiguous_match"
  | "no_match"
  | "manifest"
  | "unknown_column"
  | "ignored_row";

export interface RowIssue {
  /** `null` for issues about the export as a whole (manifest, unknown files). */
  readonly kind: Kind | null;
  readonly severity: IssueSeverity;
  readonly code: IssueCode;
  readonly file: string | null;
  readonly line: number | null;
  readonly externalId: string | null;
  readonly message: string;
}

export const rowIssue = (
  kind: Kind | null,
  severity: IssueSeverity,
  code: IssueCode,
  message: string,
  at: { readonly origin?: Origin | null; readonly externalId?: string | null } = {},
): RowIssue => ({
  kind,
  severity,
  code,
  file: at.origin?.file ?? null,
  line: at.origin?.line ?? null,
  externalId: at.externalId ?? null,
  message,
});
