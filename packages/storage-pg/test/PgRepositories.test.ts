/**
 * Migrations, providers (encrypted configs), runs (race-safe enqueue, cancel, issues), leases and
 * the audit log, on PGlite and (when available) PostgreSQL — each on a throwaway database.
 */
import { assert, layer } from "@effect/vitest";
import { ProviderRepository, RosterStore, RunRepository } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { sql } from "kysely";
import { ConfigCipher } from "../src/ConfigCipher";
import { PgAuditLog } from "../src/PgAuditLog";
import { PgDatabase } from "../src/PgDatabase";
import * as PgMigrator from "../src/PgMigrator";
import { migrations } from "../src/migrations/index";
import { PgRunLeases } from "../src/PgRunLeases";
import { layerTest, testBackends } from "../src/testing/index";

let counter = 0;
const tenant = () => `tenant-${Date.now().toString(36)}-${counter++}`;
const csv = { localPath: "/imports/district" };

const newProvider = (tenantId: string, name = "sis") =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    return yield* providers.create({ tenantId, providerType: "ONEROSTER_CSV", name, config: csv });
  });

for (const backend of await testBackends()) {
  layer(layerTest(backend), { excludeTestServices: true, timeout: "120 seconds" })(`storage-pg repositories: ${backend}`, (it) => {
    it.effect("migrations create every table and are idempotent", () =>
      Effect.gen(function* () {
        const { db } = yield* PgDatabase;
        const tables = yield* Effect.promise(() =>
          sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db));
        const names = new Set(tables.rows.map((r) => r.name));
        for (const table of [
          "sis_providers", "sis_sync_runs", "sis_raw_schools", "sis_raw_classes", "sis_raw_users", "sis_raw_enrollments", "sis_sync_plan",
          "schools", "classes", "users", "enrollments", "sis_links", "sis_row_issues", "sis_audit_log",
        ]) assert.ok(names.has(table), table);
        const again = yield* PgMigrator.migrate(db);
        assert.strictEqual(again.length, 0, "nothing left to run");
        const applied = yield* Effect.promise(() => sql<{ name: string }>`select name from kysely_migration order by name`.execute(db));
        assert.deepStrictEqual(applied.rows.map((r) => r.name), Object.keys(migrations));
      }));

    it.effect("the stale-hash migration clears the hashes of links whose entity was already deactivated or deleted", () =>
      Effect.gen(function* () {
        const { db } = yield* PgDatabase;
        const down = yield* Effect.promise(() => PgMigrator.migrator(db).migrateDown());
        assert.strictEqual(down.results?.[0]?.migrationName, "2026_11_26_0001_stale_link_hashes");
        const tenantId = tenant();
        const provider = crypto.randomUUID();
        const ids = { active: crypto.randomUUID(), inactive: crypto.randomUUID(), deleted: crypto.randomUUID() };
        yield* Effect.promise(async () => {
          await sql`insert into schools (id, tenant_id, name, active) values
            (${ids.active}::uuid, ${tenantId}, 'A', true), (${ids.inactive}::uuid, ${tenantId}, 'I', false)`.execute(db);
          for (const [externalId, entityId] of Object.entries(ids)) {
            await sql`insert into sis_links (tenant_id, provider_id, kind, external_id, entity_id, content_hash)
              values (${tenantId}, ${provider}::uuid, 'school', ${externalId}, ${entityId}::uuid, 'h')`.execute(db);
          }
        });
        yield* PgMigrator.migrate(db);
        const hashes = yield* Effect.promise(() =>
          sql<{ external_id: string; content_hash: string | null }>`
            select external_id, content_hash from sis_links where provider_id = ${provider}::uuid order by external_id`.execute(db));
        assert.deepStrictEqual(hashes.rows.map((r) => [r.external_id, r.content_hash]), [["active", "h"], ["deleted", null], ["inactive", null]]);
        // From now on the triggers keep it so.
        yield* Effect.promise(() => sql`delete from schools where id = ${ids.active}::uuid`.execute(db));
        const after = yield* Effect.promise(() =>
          sql<{ n: number }>`select count(*)::int as n from sis_links where provider_id = ${provider}::uuid and content_hash is not null`.execute(db));
        assert.strictEqual(after.rows[0]?.n, 0);
      }));

    it.effect("providers: configs are encrypted at rest and decrypted on read; names are unique per tenant", () =>
      Effect.gen(function* () {
        const providers = yield* ProviderRepository;
        const cipher = yield* ConfigCipher;
        const { db } = yield* PgDatabase;
        const tenantId = tenant();
        const created = yield* providers.create({
          tenantId, providerType: "CLEVER", name: "Clever", config: { clientId: "c", clientSecret: "very-secret", districtId: "d" },
          syncSchedule: "0 2 * * *", options: { safeguardPercent: 10 },
        });
        assert.deepStrictEqual(created.config, { clientId: "c", clientSecret: "very-secret", districtId: "d" });
        assert.strictEqual(created.timezone, "UTC");
        assert.deepStrictEqual(created.options, { safeguardPercent: 10 });
        const row = yield* Effect.promise(() => db.selectFrom("sis_providers").selectAll().where("id", "=", created.id).executeTakeFirstOrThrow());
        assert.notInclude(row.config_ciphertext, "very-secret");
        assert.strictEqual(row.config_key_id, cipher.currentKeyId);

        assert.deepStrictEqual((yield* providers.get(created.id))?.config, created.config);
        assert.strictEqual((yield* providers.findByName(tenantId, "Clever"))?.id, created.id);
        assert.strictEqual(yield* providers.get("not-a-uuid"), null);
        const duplicate = yield* Effect.flip(providers.create({ tenantId, providerType: "CLEVER", name: "Clever", config: {} }));
        assert.match(duplicate.message, /already exists/);

        const updated = yield* providers.update(created.id, { config: { clientId: "c2", clientSecret: "s2", districtId: "d" }, enabled: false });
        assert.deepStrictEqual([updated?.config, updated?.enabled], [{ clientId: "c2", clientSecret: "s2", districtId: "d" }, false]);
        const other = yield* newProvider(tenantId, "Other");
        assert.deepStrictEqual((yield* providers.list(tenantId)).map((p) => p.name), ["Clever", "Other"]);
        assert.ok((yield* providers.list(null)).length >= 2);

        // A ciphertext moved to another provider does not decrypt.
        yield* Effect.promise(() => db.updateTable("sis_providers").set({ config_ciphertext: row.config_ciphertext }).where("id", "=", other.id).execute());
        assert.match((yield* Effect.flip(providers.get(other.id))).message, /cannot decrypt/);
        assert.ok(yield* providers.remove(other.id));
        assert.ok(!(yield* providers.remove(other.id)));
      }));

    it.effect("runs: concurrent enqueues of one provider yield one run; it can start, report, cancel and finish", () =>
      Effect.gen(function* () {
        const runs = yield* RunRepository;
        const tenantId = tenant();
        const provider = yield* newProvider(tenantId);
        const results = yield* Effect.all(
          Array.from({ length: 8 }, () => runs.enqueue({ tenantId, providerId: provider.id, isManual: true, dryRun: true })),
          { concurrency: "unbounded" },
        );
        assert.strictEqual(results.filter((r) => r.created).length, 1);
        assert.strictEqual(new Set(results.map((r) => r.run.id)).size, 1);
        const run = results[0]!.run;
        assert.deepStrictEqual([run.status, run.phase, run.dryRun, run.isManual], ["PENDING", "queued", true, true]);

        const started = yield* runs.start(run.id);
        assert.strictEqual(started.status, "IN_PROGRESS");
        assert.ok(started.startedAt instanceof Date);
        assert.strictEqual((yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: false })).created, false);
        yield* runs.setPhase(run.id, "plan", { staged: { users: 3 }, planned: {}, applied: {} });
        assert.deepStrictEqual((yield* runs.get(run.id))?.progress, { staged: { users: 3 }, planned: {}, applied: {} });

        assert.ok(!(yield* runs.isCancelRequested(run.id)));
        const asked = yield* runs.requestCancel(run.id);
        assert.strictEqual(asked?.status, "IN_PROGRESS", "a running run stops at its next checkpoint");
        assert.ok(yield* runs.isCancelRequested(run.id));

        const store = yield* RosterStore;
        yield* store.recordIssues({ runId: run.id, tenantId, providerId: provider.id }, [
          { kind: "user", severity: "error", code: "invalid_row", file: "users.csv", line: 3, externalId: "u1", message: "bad" },
          { kind: null, severity: "warning", code: "unknown_column", file: "users.csv", line: null, externalId: null, message: "extra column" },
          { kind: "class", severity: "error", code: "missing_field", file: null, line: null, externalId: "c1", message: "no title" },
        ]);
        const issues = yield* runs.issues(run.id, { limit: 10, offset: 0 });
        assert.deepStrictEqual(issues.map((i) => i.code), ["invalid_row", "unknown_column", "missing_field"]);
        assert.deepStrictEqual(issues[0], { ...issues[0]!, runId: run.id, kind: "user", line: 3, externalId: "u1" });
        assert.deepStrictEqual((yield* runs.issues(run.id, { limit: 1, offset: 1 })).map((i) => i.code), ["unknown_column"]);
        assert.deepStrictEqual((yield* runs.issues(run.id, { limit: 10, offset: 0 }, { severity: "error", kind: "class" })).map((i) => i.externalId), ["c1"]);

        const stats = { schools: { created: 1, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 } };
        const finished = yield* runs.finish(run.id, { status: "CANCELLED", stats: stats as never, errorMessage: "Cancelled on request" });
        assert.deepStrictEqual([finished.status, finished.phase, finished.issueCount, finished.errorMessage], ["CANCELLED", "finish", 3, "Cancelled on request"]);
        assert.deepStrictEqual(finished.stats as unknown, stats);
        assert.ok(finished.completedAt instanceof Date);
        const providers = yield* ProviderRepository;
        assert.strictEqual((yield* providers.get(provider.id))?.lastSyncAt, null, "a dry run is not a sync");

        const next = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: false });
        assert.ok(next.created, "a finished run frees the provider");
        const cancelled = yield* runs.requestCancel(next.run.id);
        assert.deepStrictEqual([cancelled?.status, cancelled?.cancelRequestedAt instanceof Date], ["CANCELLED", true], "a pending run is cancelled at once");
        assert.deepStrictEqual((yield* runs.list(provider.id, { limit: 10, offset: 0 })).map((r) => r.id), [next.run.id, run.id]);
        assert.strictEqual(yield* runs.get("nope"), null);
        assert.match((yield* Effect.flip(runs.start(next.run.id))).message, /cannot start: it is CANCELLED/);

        const real = yield* runs.enqueue({ tenantId, providerId: provider.id, isManual: true });
        yield* runs.start(real.run.id);
        const synced = yield* runs.finish(real.run.id, { status: "FAILURE", stats: null, errorMessage: "feed unreadable" });
        assert.strictEqual((yield* providers.get(provider.id))?.lastSyncAt?.toISOString(), synced.completedAt!.toISOString(),
          "a finished run is its provider's last sync, in the same write");
      }));

    it.effect("leases: claim skips locked runs, renew extends a held lease, expiry fails the run; a cron slot enqueues once", () =>
      Effect.gen(function* () {
        const runs = yield* RunRepository;
        const leases = yield* PgRunLeases;
        const tenantId = tenant();
        const p1 = yield* newProvider(tenantId, "one");
        const p2 = yield* newProvider(tenantId, "two");
        const slot = new Date("2026-11-25T02:00:00Z");
        const a = yield* leases.enqueueScheduled({ tenantId, providerId: p1.id, isManual: false }, slot);
        const again = yield* leases.enqueueScheduled({ tenantId, providerId: p1.id, isManual: false }, slot);
        assert.deepStrictEqual([a.created, again.created, again.run.id], [true, false, a.run.id]);
        yield* runs.enqueue({ tenantId, providerId: p2.id, isManual: true });

        const [first, second] = yield* Effect.all([leases.claim("w1", 60_000, 1), leases.claim("w2", 60_000, 1)], { concurrency: "unbounded" });
        const claimed = [...first!, ...second!].filter((l) => l.run.tenantId === tenantId);
        assert.strictEqual(new Set(claimed.map((l) => l.run.id)).size, claimed.length, "no run is claimed twice");
        const mine = claimed.find((l) => l.run.id === a.run.id) ?? (yield* leases.claim("w3", 60_000, 5)).find((l) => l.run.id === a.run.id)!;
        assert.strictEqual(mine.run.status, "IN_PROGRESS");
        assert.ok(yield* leases.renew(mine.run.id, mine.leaseToken, 60_000));
        assert.ok(!(yield* leases.renew(mine.run.id, "stolen", 60_000)));

        // The slot stays taken even after its run ends.
        assert.ok(yield* leases.renew(mine.run.id, mine.leaseToken, 1));
        yield* Effect.sleep("30 millis");
        const expired = yield* leases.expire();
        assert.ok(expired.includes(mine.run.id));
        const failed = yield* runs.get(mine.run.id);
        assert.deepStrictEqual([failed?.status, /lock timed out/.test(failed?.errorMessage ?? "")], ["FAILURE", true]);
        assert.strictEqual((yield* leases.enqueueScheduled({ tenantId, providerId: p1.id, isManual: false }, slot)).created, false);
        assert.ok((yield* runs.enqueue({ tenantId, providerId: p1.id, isManual: true })).created, "the provider is free again");
      }));

    it.effect("the audit log appends and lists, and refuses changes", () =>
      Effect.gen(function* () {
        const audit = yield* PgAuditLog;
        const { db } = yield* PgDatabase;
        const tenantId = tenant();
        for (const action of ["provider.create", "provider.sync"]) {
          yield* audit.append({
            actor: "admin@district", role: "DISTRICT_ADMIN", tenantId, action, targetType: "provider", targetId: "p1",
            outcome: "success", requestId: "req-1", details: { dryRun: false },
          });
        }
        const entries = yield* audit.list(tenantId, { limit: 10, offset: 0 });
        assert.deepStrictEqual(entries.map((e) => e.action), ["provider.sync", "provider.create"]);
        assert.deepStrictEqual(entries[0]!.details, { dryRun: false });
        const update = yield* Effect.flip(Effect.tryPromise(() => sql`update sis_audit_log set outcome = 'forged' where tenant_id = ${tenantId}`.execute(db)));
        assert.match(String((update as { cause?: unknown }).cause ?? update), /append-only/);
        const remove = yield* Effect.flip(Effect.tryPromise(() => sql`delete from sis_audit_log where tenant_id = ${tenantId}`.execute(db)));
        assert.match(String((remove as { cause?: unknown }).cause ?? remove), /append-only/);
        assert.strictEqual((yield* audit.list(tenantId, { limit: 10, offset: 0 })).length, 2);
      }));
  });
}
