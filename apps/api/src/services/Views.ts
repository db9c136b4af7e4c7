/**
 * Domain objects → response bodies: ISO timestamps, secrets redacted, run messages scrubbed of
 * the provider's secrets.
 */
import { Safeguard, type Provider, type RosterEntity, type StoredIssue, type SyncRun } from "@sis-sync/core";
import type * as Schemas from "../http/Schemas";
import { redacted, safeMessage } from "./Secrets";

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const providerView = (p: Provider): Schemas.ProviderView => ({
  id: p.id,
  tenantId: p.tenantId,
  providerType: p.providerType,
  name: p.name,
  config: redacted(p.providerType, p.config),
  enabled: p.enabled,
  syncSchedule: p.syncSchedule,
  timezone: p.timezone,
  options: p.options,
  lastSyncAt: iso(p.lastSyncAt),
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

/** `secrets`: the provider's secret values, scrubbed from the error message (defence in depth). */
export const runView = (r: SyncRun, secrets: ReadonlyArray<string>): Schemas.RunView => ({
  id: r.id,
  tenantId: r.tenantId,
  providerId: r.providerId,
  status: r.status,
  phase: r.phase,
  progress: r.progress === null ? null : { staged: { ...r.progress.staged }, planned: { ...r.progress.planned }, applied: { ...r.progress.applied } },
  isManual: r.isManual,
  dryRun: r.dryRun,
  overrideSafeguard: r.overrideSafeguard,
  safeguardTripped: Safeguard.tripped(r),
  stats: r.stats,
  errorMessage: r.errorMessage === null ? null : safeMessage(r.errorMessage, secrets, 2_000),
  issueCount: r.issueCount,
  createdAt: r.createdAt.toISOString(),
  startedAt: iso(r.startedAt),
  completedAt: iso(r.completedAt),
  cancelRequestedAt: iso(r.cancelRequestedAt),
});

export const issueView = (i: StoredIssue) => ({
  id: i.id,
  runId: i.runId,
  kind: i.kind,
  severity: i.severity,
  code: i.code,
  file: i.file,
  line: i.line,
  externalId: i.externalId,
  message: i.message,
});

export const rosterView = (e: RosterEntity) => ({
  id: e.id,
  kind: e.kind,
  active: e.active,
  deactivatedAt: e.deactivatedAt === null ? null : new Date(e.deactivatedAt).toISOString(),
  fields: e.fields,
  links: e.links.map((l) => ({ providerId: l.providerId, providerName: l.providerName, externalId: l.externalId, active: l.active })),
});
