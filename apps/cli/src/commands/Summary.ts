/**
 * Human-readable output of a run: a stats table and the first issues, for an operator's terminal.
 */
import type { StoredIssue, SyncRun } from "@sis-sync/core";

const COLUMNS = ["created", "updated", "unchanged", "deactivated", "reactivated", "errors"] as const;
const KINDS = ["schools", "classes", "users", "enrollments"] as const;
const SHOWN_ISSUES = 20;

const pad = (value: string | number, width: number, left = false) => (left ? String(value).padEnd(width) : String(value).padStart(width));

export const printSummary = (run: SyncRun, issues: ReadonlyArray<StoredIssue>, context: { provider: string; dryRun: boolean }) => {
  const out: Array<string> = [];
  const seconds = run.startedAt && run.completedAt ? ` in ${((+run.completedAt - +run.startedAt) / 1000).toFixed(1)} s` : "";
  out.push(`${context.dryRun ? "Dry run" : "Sync"} of "${context.provider}": ${run.status}${seconds} (run ${run.id})`);
  if (run.errorMessage) out.push(run.errorMessage);
  if (run.stats) {
    out.push("", pad("", 12, true) + COLUMNS.map((c) => pad(c, 12)).join(""));
    for (const kind of KINDS) out.push(pad(kind, 12, true) + COLUMNS.map((c) => pad(run.stats![kind][c], 12)).join(""));
    const m = run.stats.users.matchedBy;
    out.push(`users matched by external id ${m.externalId}, email ${m.email}, student number ${m.studentNumber}`);
  }
  if (issues.length > 0) {
    out.push("", `Issues: ${issues.length}${issues.length > SHOWN_ISSUES ? ` (first ${SHOWN_ISSUES} shown; --json lists all)` : ""}`);
    for (const i of issues.slice(0, SHOWN_ISSUES)) {
      const where = i.file ? `${i.file}${i.line ? `:${i.line}` : ""}` : "";
      out.push(`  ${i.severity.padEnd(7)} ${where} ${i.externalId ?? ""} ${i.message}`.replace(/\s+/g, " ").trimEnd());
    }
  }
  if (context.dryRun) out.push("", "Nothing was applied (dry run).");
  process.stdout.write(out.join("\n") + "\n");
};
