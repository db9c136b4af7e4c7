/**
 * Providers and runs as the engine's callers see them, and the repository ports that keep them.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import type { ProviderOptions, ProviderType } from "./ProviderConfig";
import type { RosterStoreError } from "./RosterStore";
import type { Kind } from "./Roster";
import type { IssueSeverity, RowIssue } from "./RowIssue";
import type { SyncStats } from "./SyncStats";

export interface Provider {
  readonly id: string;
  readonly tenantId: string;
  readonly providerType: ProviderType;
  readonly name: string;
  /** Decrypted config; only the composition root ever sees it. */
  readonly config: unknown;
  readonly enabled: boolean;
  readonly syncSchedule: string | null;
  readonly timezone: string;
  readonly options: ProviderOptions;
  readonly lastSyncAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewProvider {
  readonly tenantId: string;
  readonly providerType: ProviderType;
  readonly name: string;
  readonly config: unknown;
  readonly enabled?: boolean;
  readonly syncSchedule?: string | null;
  readonly timezone?: string;
  readonly options?: ProviderOptions;
}

export class ProviderRepository extends Context.Service<ProviderRepository, {
  readonly create: (provider: NewProvider) => Effect.Effect<Provider, RosterStoreError>;
  readonly get: (id: string) => Effect.Effect<Provider | null, RosterStoreError>;
  readonly findByName: (tenantId: string, name: string) => Effect.Effect<Provider | null, RosterStoreError>;
  readonly list: (tenantId: string | null) => Effect.Effect<ReadonlyArray<Provider>, RosterStoreError>;
  readonly update: (id: string, patch: Partial<Omit<NewProvider, "tenantId" | "providerType">>) => Effect.Effect<Provider | null, RosterStoreError>;
  readonly remove: (id: string) => Effect.Effect<boolean, RosterStoreError>;
}>()("@sis-sync/core/ProviderRepository") {}

export const RUN_STATUSES = ["PENDING", "IN_PROGRESS", "SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type FinalStatus = Extract<RunStatus, "SUCCESS" | "PARTIAL" | "FAILURE" | "CANCELLED">;

export type RunPhase = "queued" | "extract" | "plan" | "safeguard" | "load" | "finish";

export interface RunProgress {
  readonly staged: Readonly<Record<string, number>>;
  readonly planned: Readonly<Record<string, number>>;
  readonly applied: Readonly<Record<string, number>>;
}

export interface SyncRun {
  readonly id: string;
  readonly tenantId: string;
  readonly providerId: string;
  readonly status: RunStatus;
  readonly phase: RunPhase;
  readonly progress: RunProgress | null;
  readonly isManual: boolean;
  readonly dryRun: boolean;
  readonly overrideSafeguard: boolean;
  readonly stats: SyncStats | null;
  readonly errorMessage: string | null;
  readonly issueCount: number;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly cancelRequestedAt: Date | null;
}

export interface NewRun {
  readonly tenantId: string;
  readonly providerId: string;
  readonly isManual: boolean;
  readonly dryRun?: boolean;
  readonly overrideSafeguard?: boolean;
}

/** Narrows `RunRepository.issues`; absent fields match every issue. */
export interface IssueFilter {
  readonly kind?: Kind | undefined;
  readonly severity?: IssueSeverity | undefined;
}

export interface StoredIssue extends RowIssue {
  readonly id: number;
  readonly runId: string;
}

export class RunRepository extends Context.Service<RunRepository, {
  /** Creates a PENDING run, or returns the provider's pending / running one (`created: false`). */
  readonly enqueue: (run: NewRun) => Effect.Effect<{ readonly run: SyncRun; readonly created: boolean }, RosterStoreError>;
  /** Moves a PENDING run to IN_PROGRESS (used by one-shot callers such as the CLI). */
  readonly start: (runId: string) => Effect.Effect<SyncRun, RosterStoreError>;
  readonly setPhase: (runId: string, phase: RunPhase, progress: RunProgress | null) => Effect.Effect<void, RosterStoreError>;
  /**
   * Records the run's outcome. A finished run that is not a dry run becomes its provider's last sync
   * (`lastSyncAt` = its `completedAt`) in the same write, so no reader sees one without the other.
   */
  readonly finish: (runId: string, outcome: {
    readonly status: FinalStatus;
    readonly stats: SyncStats | null;
    readonly errorMessage: string | null;
  }) => Effect.Effect<SyncRun, RosterStoreError>;
  readonly get: (runId: string) => Effect.Effect<SyncRun | null, RosterStoreError>;
  readonly list: (providerId: string, page: { readonly limit: number; readonly offset: number }) => Effect.Effect<ReadonlyArray<SyncRun>, RosterStoreError>;
  readonly issues: (
    runId: string,
    page: { readonly limit: number; readonly offset: number },
    filter?: IssueFilter,
  ) => Effect.Effect<ReadonlyArray<StoredIssue>, RosterStoreError>;
  readonly requestCancel: (runId: string) => Effect.Effect<SyncRun | null, RosterStoreError>;
  readonly isCancelRequested: (runId: string) => Effect.Effect<boolean, RosterStoreError>;
}>()("@sis-sync/core/RunRepository") {}
