/**
 * The reference adapter: every store port kept in plain Maps. It defines the semantics the
 * PostgreSQL adapter must match (both run `RosterStoreContract`) and backs fast engine tests. Its
 * `planInStore` applies `Plan.decide` row by row, the statement the SQL version is held to.
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ContentDigest } from "../ContentDigest";
import { uuidv7 } from "../EntityId";
import * as Plan from "../Plan";
import { ProviderRepository, RunRepository, type NewProvider, type Provider, type StoredIssue, type SyncRun } from "../Providers";
import { normalizeEmail, type Kind } from "../Roster";
import { RosterReader, type RosterEntity, type RosterFilter } from "../RosterReader";
import type { FeedMode } from "../RosterSource";
import {
  LeaseLostError, RosterStore, type DeactivationPreview, type MatchCandidate, type PlanCandidate, type PlanDecision,
  type RosterStoreShape, type RunScope, type StagedRow,
} from "../RosterStore";
import type { RowIssue } from "../RowIssue";
import { REF_KINDS } from "../Validate";

interface Entity {
  id: string;
  tenantId: string;
  active: boolean;
  deactivatedAt: Date | null;
  data: Record<string, unknown>;
  refIds: ReadonlyArray<string>;
}

interface Link {
  tenantId: string;
  providerId: string;
  kind: Kind;
  externalId: string;
  entityId: string;
  hash: string | null;
  active: boolean;
}

interface Staged extends StagedRow {
  duplicate: boolean;
}

interface MemoryRun extends SyncRun {
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
}

/** The whole in-memory database; exposed so tests can inspect or tamper with it. */
export interface MemoryState {
  readonly providers: Map<string, Provider>;
  readonly runs: Map<string, MemoryRun>;
  readonly issues: Array<StoredIssue>;
  readonly entities: Record<Kind, Map<string, Entity>>;
  readonly links: Map<string, Link>;
  readonly staging: Map<string, Record<Kind, Array<Staged>>>;
  readonly plans: Map<string, Record<Kind, Map<number, PlanDecision>>>;
}

export const makeState = (): MemoryState => ({
  providers: new Map(),
  runs: new Map(),
  issues: [],
  entities: { school: new Map(), class: new Map(), user: new Map(), enrollment: new Map() },
  links: new Map(),
  staging: new Map(),
  plans: new Map(),
});

const linkKey = (providerId: string, kind: Kind, externalId: string) => `${providerId}\u0000${kind}\u0000${externalId}`;
const emptyByKind = <A>(make: () => A): Record<Kind, A> => ({ school: make(), class: make(), user: make(), enrollment: make() });

const makeRosterStore = (db: MemoryState): RosterStoreShape => {
  const stagingOf = (runId: string) => {
    let s = db.staging.get(runId);
    if (!s) db.staging.set(runId, (s = emptyByKind(() => [] as Array<Staged>)));
    return s;
  };
  const planOf = (runId: string) => {
    let p = db.plans.get(runId);
    if (!p) db.plans.set(runId, (p = emptyByKind(() => new Map<number, PlanDecision>())));
    return p;
  };
  const resolveRef = (scope: RunScope, kind: Kind, externalId: string, modes: Partial<Record<Kind, FeedMode>>): string | null => {
    const staged = stagingOf(scope.runId)[kind].find((r) => r.externalId === externalId && !r.duplicate);
    const link = db.links.get(linkKey(scope.providerId, kind, externalId));
    if (staged) {
      if (staged.state === "rejected" || staged.status !== "active") return null;
      const planned = planOf(scope.runId)[kind].get(staged.seq);
      if (planned) return planned.action === "delete" ? null : planned.entityId;
      return link ? link.entityId : null;
    }
    if (modes[kind] === "bulk") return null;
    return link?.active ? link.entityId : null;
  };

  const candidatesBy = (scope: RunScope, externalId: string, key: "emailKey" | "studentNumberKey", value: string | null): Array<MatchCandidate> => {
    if (value === null) return [];
    const out: Array<MatchCandidate> = [];
    for (const user of db.entities.user.values()) {
      if (user.tenantId !== scope.tenantId || user.data[key] !== value) continue;
      const linkedByThisProvider = [...db.links.values()].some((l) =>
        l.active && l.providerId === scope.providerId && l.kind === "user" && l.entityId === user.id && l.externalId !== externalId);
      out.push({ entityId: user.id, active: user.active, linkedByThisProvider });
      if (out.length === 2) break;
    }
    return out;
  };

  const isUnchanged = (row: StagedRow, link: Link | undefined, kind: Kind) =>
    link !== undefined && link.active && link.hash === row.hash && db.entities[kind].get(link.entityId)?.active === true;

  const deactivationSet = (scope: RunScope, kind: Kind, mode: FeedMode): Array<Link> => {
    if (mode === "delta") {
      return [...planOf(scope.runId)[kind].values()]
        .filter((d) => d.action === "delete")
        .map((d) => db.links.get(linkKey(scope.providerId, kind, d.externalId))!)
        .filter((l) => l?.active);
    }
    const staged = new Set(stagingOf(scope.runId)[kind].map((r) => r.externalId));
    return [...db.links.values()].filter((l) => l.providerId === scope.providerId && l.kind === kind && l.active && !staged.has(l.externalId));
  };

  /** Entities that lose their last active link when `dropped` go, counting links this run creates. */
  const orphaned = (scope: RunScope, kind: Kind, dropped: ReadonlyArray<Link>): Set<string> => {
    const droppedKeys = new Set(dropped.map((l) => linkKey(l.providerId, l.kind, l.externalId)));
    const kept = new Set<string>();
    for (const [key, l] of db.links) if (l.kind === kind && l.active && !droppedKeys.has(key)) kept.add(l.entityId);
    for (const d of planOf(scope.runId)[kind].values()) if (d.action !== "delete") kept.add(d.entityId);
    return new Set(dropped.map((l) => l.entityId).filter((id) => !kept.has(id) && db.entities[kind].get(id)?.active));
  };

  /** What `planCandidates` returns, without the chunking. */
  const candidates = (scope: RunScope, kind: Kind, modes: Partial<Record<Kind, FeedMode>>, afterSeq: number, limit: number): Array<PlanCandidate> => {
    const out: Array<PlanCandidate> = [];
    const rows = stagingOf(scope.runId)[kind]
      .filter((r) => r.seq > afterSeq && r.state === "valid" && !r.duplicate)
      .sort((a, b) => a.seq - b.seq);
    const planned = planOf(scope.runId)[kind];
    for (const row of rows) {
      if (out.length >= limit) break;
      if (planned.has(row.seq)) continue;
      const link = db.links.get(linkKey(scope.providerId, kind, row.externalId));
      if (row.status === "active" && isUnchanged(row, link, kind)) continue;
      const entity = link ? db.entities[kind].get(link.entityId) : undefined;
      const refKinds: ReadonlyArray<Kind> = REF_KINDS[kind];
      out.push({
        seq: row.seq,
        externalId: row.externalId,
        status: row.status,
        data: row.data,
        hash: row.hash,
        file: row.file,
        line: row.line,
        link: link ? { entityId: link.entityId, linkActive: link.active, entityActive: entity?.active ?? false, hash: link.hash } : null,
        byEmail: kind === "user" && !link ? candidatesBy(scope, row.externalId, "emailKey", row.emailKey) : [],
        byStudentNumber: kind === "user" && !link ? candidatesBy(scope, row.externalId, "studentNumberKey", row.studentNumberKey) : [],
        refEntityIds: row.refs.map((ref, i) => resolveRef(scope, refKinds[i]!, ref, modes)),
      });
    }
    return out;
  };

  const recordIssues = (scope: RunScope, issues: ReadonlyArray<RowIssue>) => {
    for (const issue of issues) db.issues.push({ ...issue, id: db.issues.length + 1, runId: scope.runId });
    const run = db.runs.get(scope.runId);
    if (run) db.runs.set(run.id, { ...run, issueCount: run.issueCount + issues.length });
  };

  const savePlan = (scope: RunScope, kind: Kind, decisions: ReadonlyArray<PlanDecision>) => {
    const plan = planOf(scope.runId)[kind];
    for (const d of decisions) plan.set(d.seq, d);
  };

  return {
    contentDigest: (scope, kind) =>
      Effect.sync(() => {
        const active = [...db.links.values()].filter((l) => l.providerId === scope.providerId && l.kind === kind && l.active);
        const known = active.filter((l) => l.hash !== null && db.entities[kind].get(l.entityId)?.active === true);
        const digest = ContentDigest.withCapacity(known.length, active.length);
        for (const link of known) digest.add(link.externalId, link.hash!);
        return digest;
      }),
    stage: (scope, kind, rows) =>
      Effect.sync(() => {
        stagingOf(scope.runId)[kind].push(...rows.map((r) => ({ ...r, duplicate: false })));
      }),
    recordIssues: (scope, issues) => Effect.sync(() => recordIssues(scope, issues)),
    sealKind: (scope, kind, hint) =>
      Effect.suspend(() => {
        const seen = new Set<string>();
        const duplicates = [];
        for (const row of [...stagingOf(scope.runId)[kind]].sort((a, b) => a.seq - b.seq)) {
          if (seen.has(row.externalId)) {
            if (row.state === "valid") {
              row.duplicate = true;
              duplicates.push({ externalId: row.externalId, file: row.file, line: row.line });
            }
          } else if (row.state === "valid") seen.add(row.externalId);
        }
        // A wrong hint would make a store that trusts it keep duplicates: fail loudly here instead.
        if (hint?.repeatsPossible === false && duplicates.length > 0) {
          return Effect.die(new Error(`sealKind was told no ${kind} id repeats, but ${duplicates[0]!.externalId} does`));
        }
        return Effect.succeed(duplicates);
      }),
    countStaged: (scope, kind) =>
      Effect.sync(() => {
        const rows = stagingOf(scope.runId)[kind].filter((r) => r.state === "valid" && !r.duplicate);
        const unchanged = rows.filter((r) => r.status === "active" && isUnchanged(r, db.links.get(linkKey(scope.providerId, kind, r.externalId)), kind));
        return { valid: rows.length, unchanged: unchanged.length };
      }),
    planCandidates: (scope, kind, modes, afterSeq, limit) => Effect.sync(() => candidates(scope, kind, modes, afterSeq, limit)),
    savePlan: (scope, kind, decisions) => Effect.sync(() => savePlan(scope, kind, decisions)),
    planInStore: (scope, kind, modes, { createUsers }) =>
      Effect.sync(() => {
        const result = { created: 0, updated: 0, reactivated: 0, deleted: 0, rejected: 0 };
        const policy: Plan.PlanPolicy = { createUsers, newId: () => uuidv7() };
        const decisions: Array<PlanDecision> = [];
        const issues: Array<RowIssue> = [];
        for (const candidate of candidates(scope, kind, modes, 0, Infinity)) {
          if (Plan.needsMatching(kind, candidate)) continue;
          // Without creation an unmatched user is the engine's to reject.
          if (kind === "user" && !createUsers && candidate.link === null && candidate.status !== "tobedeleted") continue;
          const outcome = Plan.decide(kind, candidate, policy);
          if (outcome.type === "reject") issues.push(outcome.issue);
          if (outcome.type !== "decision") continue;
          decisions.push(outcome.decision);
          const action = outcome.decision.action;
          if (action === "create") result.created++;
          else if (action === "delete") result.deleted++;
          else if (action === "reactivate") result.reactivated++;
          else result.updated++;
        }
        savePlan(scope, kind, decisions);
        recordIssues(scope, issues);
        return { ...result, rejected: issues.length };
      }),
    previewDeactivations: (scope, kind, mode, hint) =>
      Effect.suspend(() => {
        const dropped = deactivationSet(scope, kind, mode);
        if (dropped.length === 0) return Effect.succeed<DeactivationPreview>({ links: 0, entities: 0, activeLinks: 0 });
        const activeLinks = [...db.links.values()].filter((l) => l.providerId === scope.providerId && l.kind === kind && l.active).length;
        // A wrong hint would make a store that trusts it keep links the feed dropped: fail loudly here instead.
        if (hint?.noneDropped === true) {
          return Effect.die(new Error(`previewDeactivations was told no ${kind} link drops, but ${dropped[0]!.externalId} does`));
        }
        if (hint?.activeLinks !== undefined && hint.activeLinks !== activeLinks) {
          return Effect.die(new Error(`previewDeactivations was told of ${hint.activeLinks} active ${kind} links, but there are ${activeLinks}`));
        }
        return Effect.succeed<DeactivationPreview>({ links: dropped.length, entities: orphaned(scope, kind, dropped).size, activeLinks });
      }),
    apply: (scope, kinds) =>
      Effect.gen(function* () {
        if (scope.leaseToken !== undefined) {
          const run = db.runs.get(scope.runId);
          const held = run?.leaseToken === scope.leaseToken && run.leaseExpiresAt !== null && run.leaseExpiresAt > new Date();
          if (!held) return yield* new LeaseLostError({ runId: scope.runId, message: "lock timed out: another worker owns this run" });
        }
        const now = new Date();
        const deactivated = emptyByKind(() => 0);
        for (const { kind, mode } of kinds) {
          const staged = new Map(stagingOf(scope.runId)[kind].map((r) => [r.seq, r]));
          const dropped = deactivationSet(scope, kind, mode);
          const orphans = orphaned(scope, kind, dropped);
          for (const d of planOf(scope.runId)[kind].values()) {
            if (d.action === "delete") continue;
            const row = staged.get(d.seq)!;
            const data = row.data as Record<string, unknown>;
            db.entities[kind].set(d.entityId, {
              id: d.entityId,
              tenantId: scope.tenantId,
              active: true,
              deactivatedAt: null,
              data: kind === "user" ? { ...data, emailKey: row.emailKey, studentNumberKey: row.studentNumberKey } : data,
              refIds: d.refEntityIds,
            });
            db.links.set(linkKey(scope.providerId, kind, d.externalId), {
              tenantId: scope.tenantId, providerId: scope.providerId, kind, externalId: d.externalId,
              entityId: d.entityId, hash: row.hash, active: true,
            });
          }
          for (const link of dropped) link.active = false;
          for (const id of orphans) {
            const entity = db.entities[kind].get(id)!;
            entity.active = false;
            entity.deactivatedAt = now;
          }
          deactivated[kind] = orphans.size;
        }
        return { deactivated };
      }),
    pruneStaging: (providerId, keep) =>
      Effect.sync(() => {
        const runs = [...db.runs.values()].filter((r) => r.providerId === providerId).sort((a, b) => +b.createdAt - +a.createdAt);
        let pruned = 0;
        for (const run of runs.slice(keep)) {
          if (db.staging.delete(run.id)) pruned++;
          db.plans.delete(run.id);
        }
        return pruned;
      }),
  };
};

const makeProviders = (db: MemoryState) => {
  const store = ProviderRepository.of({
    create: (p: NewProvider) =>
      Effect.sync(() => {
        const now = new Date();
        const provider: Provider = {
          id: crypto.randomUUID(), tenantId: p.tenantId, providerType: p.providerType, name: p.name, config: p.config,
          enabled: p.enabled ?? true, syncSchedule: p.syncSchedule ?? null, timezone: p.timezone ?? "UTC",
          options: p.options ?? {}, lastSyncAt: null, createdAt: now, updatedAt: now,
        };
        db.providers.set(provider.id, provider);
        return provider;
      }),
    get: (id) => Effect.sync(() => db.providers.get(id) ?? null),
    findByName: (tenantId, name) => Effect.sync(() => [...db.providers.values()].find((p) => p.tenantId === tenantId && p.name === name) ?? null),
    list: (tenantId) => Effect.sync(() => [...db.providers.values()].filter((p) => tenantId === null || p.tenantId === tenantId)),
    update: (id, patch) =>
      Effect.sync(() => {
        const current = db.providers.get(id);
        if (!current) return null;
        const next: Provider = { ...current, ...patch, updatedAt: new Date() } as Provider;
        db.providers.set(id, next);
        return next;
      }),
    remove: (id) => Effect.sync(() => db.providers.delete(id)),
  });
  return store;
};

const makeRuns = (db: MemoryState) => {
  const update = (runId: string, patch: Partial<MemoryRun>) => {
    const run = db.runs.get(runId);
    if (!run) throw new Error(`unknown run ${runId}`);
    const next = { ...run, ...patch };
    db.runs.set(runId, next);
    return next;
  };
  return RunRepository.of({
    enqueue: (r) =>
      Effect.sync(() => {
        const open = [...db.runs.values()].find((x) => x.providerId === r.providerId && (x.status === "PENDING" || x.status === "IN_PROGRESS"));
        if (open) return { run: open, created: false };
        const run: MemoryRun = {
          id: crypto.randomUUID(), tenantId: r.tenantId, providerId: r.providerId, status: "PENDING", phase: "queued", progress: null,
          isManual: r.isManual, dryRun: r.dryRun ?? false, overrideSafeguard: r.overrideSafeguard ?? false, stats: null,
          errorMessage: null, issueCount: 0, createdAt: new Date(), startedAt: null, completedAt: null, cancelRequestedAt: null,
          leaseToken: null, leaseExpiresAt: null,
        };
        db.runs.set(run.id, run);
        return { run, created: true };
      }),
    start: (runId) => Effect.sync(() => update(runId, { status: "IN_PROGRESS", phase: "extract", startedAt: new Date() })),
    setPhase: (runId, phase, progress) => Effect.sync(() => void update(runId, { phase, progress })),
    finish: (runId, outcome) =>
      Effect.sync(() => {
        const run = update(runId, { status: outcome.status, stats: outcome.stats, errorMessage: outcome.errorMessage, phase: "finish", completedAt: new Date() });
        const provider = db.providers.get(run.providerId);
        if (!run.dryRun && provider) db.providers.set(provider.id, { ...provider, lastSyncAt: run.completedAt });
        return run;
      }),
    get: (runId) => Effect.sync(() => db.runs.get(runId) ?? null),
    list: (providerId, page) =>
      Effect.sync(() =>
        [...db.runs.values()].filter((r) => r.providerId === providerId).sort((a, b) => +b.createdAt - +a.createdAt)
          .slice(page.offset, page.offset + page.limit)),
    issues: (runId, page, filter = {}) =>
      Effect.sync(() =>
        db.issues.filter((i) => i.runId === runId && (filter.kind === undefined || i.kind === filter.kind) &&
          (filter.severity === undefined || i.severity === filter.severity)).slice(page.offset, page.offset + page.limit)),
    requestCancel: (runId) =>
      Effect.sync(() => {
        const run = db.runs.get(runId);
        if (!run) return null;
        if (run.status === "PENDING") return update(runId, { status: "CANCELLED", cancelRequestedAt: new Date(), completedAt: new Date() });
        return update(runId, { cancelRequestedAt: new Date() });
      }),
    isCancelRequested: (runId) => Effect.sync(() => db.runs.get(runId)?.cancelRequestedAt != null),
  });
};

const entityView = (db: MemoryState, kind: Kind, e: Entity): RosterEntity => {
  const links = [...db.links.values()]
    .filter((l) => l.kind === kind && l.entityId === e.id)
    .map((l) => ({ providerId: l.providerId, providerName: db.providers.get(l.providerId)?.name ?? "", externalId: l.externalId, active: l.active }));
  const { emailKey: _e, studentNumberKey: _s, ...fields } = e.data;
  const refs = REF_KINDS[kind] as ReadonlyArray<Kind>;
  const refFields = Object.fromEntries(refs.map((k, i) => [`${k}Id`, e.refIds[i] ?? null]));
  return { id: e.id, kind, active: e.active, deactivatedAt: e.deactivatedAt, fields: { ...fields, ...refFields }, links };
};

const makeReader = (db: MemoryState) => {
  const matching = (tenantId: string, kind: Kind, filter: RosterFilter) =>
    [...db.entities[kind].values()]
      .filter((e) => e.tenantId === tenantId)
      .filter((e) => filter.active === undefined || e.active === filter.active)
      .filter((e) => filter.email === undefined || e.data["emailKey"] === normalizeEmail(filter.email))
      .map((e) => entityView(db, kind, e))
      .filter((e) => filter.externalId === undefined || e.links.some((l) => l.externalId === filter.externalId));
  return RosterReader.of({
    list: (tenantId, kind, filter, page) => Effect.sync(() => matching(tenantId, kind, filter).slice(page.offset, page.offset + page.limit)),
    count: (tenantId, kind, filter) => Effect.sync(() => matching(tenantId, kind, filter).length),
  });
};

/** Every store port over one shared in-memory state. */
export const layerFrom = (db: MemoryState) =>
  Layer.mergeAll(
    Layer.succeed(RosterStore, makeRosterStore(db)),
    Layer.succeed(ProviderRepository, makeProviders(db)),
    Layer.succeed(RunRepository, makeRuns(db)),
    Layer.succeed(RosterReader, makeReader(db)),
  );

/** A fresh, empty in-memory store. */
export const layer = () => layerFrom(makeState());

/** Grants a lease to a run, as a worker would (the contract suite uses it for fencing). */
export const grantLease = (db: MemoryState, runId: string, token: string, ttlMs: number) => {
  const run = db.runs.get(runId);
  if (run) db.runs.set(runId, { ...run, leaseToken: token, leaseExpiresAt: new Date(Date.now() + ttlMs) });
};
