/**
 * Cross-transport equivalence: one generated district served as a CSV folder on local disk, as a zip
 * over SFTP (a real sshd) and by the fake OneRoster REST server must leave identical roster tables
 * after a sync with the real engine: same entities, same fields, same links modulo provider. Run on
 * the in-memory store and, when TEST_DATABASE_URL is set, on PostgreSQL (storage-pg's layerTest).
 */
import { afterAll, assert, beforeAll, layer } from "@effect/vitest";
import {
  KINDS, ProviderRepository, RosterSource, RunExecutor, RunRepository, type Kind, type NewProvider, type RosterEntity,
  type RosterSourceShape, type SyncRun,
} from "@sis-sync/core";
import { MemoryRosterStore, rosterOf, type StorePorts } from "@sis-sync/core/testing";
import { layerTest } from "@sis-sync/storage-pg/testing";
import * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import * as References from "effect/References";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OneRosterCsvSource, OneRosterRestSource, OneRosterSftpSource } from "../../src/index";
import { writeOneRosterCsv, writeZip } from "../../src/testing/index";
import { FakeDistrict, FakeOneRosterServer } from "../../src/testing/rest";
import { TestSshd } from "../../src/testing/sftp";
import { downloadsParent, exportFiles, leftIn, removeAll } from "./helpers";

const noSshd = TestSshd.unavailableReason();
if (noSshd !== null) console.warn(`[Equivalence] the SFTP leg is skipped: ${noSshd}`);
const databaseUrl = process.env["TEST_DATABASE_URL"];
if (!databaseUrl) console.warn("[Equivalence] the PostgreSQL variant is skipped: TEST_DATABASE_URL is not set");

const STORES: ReadonlyArray<readonly [string, () => Layer.Layer<StorePorts, unknown>]> = [
  ["in-memory store", () => MemoryRosterStore.layer()],
  ...(databaseUrl ? [["PostgreSQL (storage-pg)", () => layerTest("pg")] as const] : []),
];

let sshd: TestSshd.TestSshd | null = null;
let work: string;
let downloads: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oneroster-equivalence-"));
  downloads = await downloadsParent();
  if (noSshd === null) sshd = await TestSshd.start();
});
afterAll(async () => {
  await sshd?.stop();
  await removeAll(work, downloads);
});

let tenants = 0;
const newTenant = (leg: string) => `eq-${leg}-${Date.now().toString(36)}-${(tenants++).toString(36)}`;

/** Creates the provider and runs one sync of it through `RunExecutor` with `source`. */
const syncWith = (tenantId: string, provider: Omit<NewProvider, "tenantId">, source: RosterSourceShape) =>
  Effect.gen(function* () {
    const providers = yield* ProviderRepository;
    const runs = yield* RunRepository;
    const created = yield* providers.create({ ...provider, tenantId });
    const { run } = yield* runs.enqueue({ tenantId, providerId: created.id, isManual: true, dryRun: false, overrideSafeguard: false });
    const started = yield* runs.start(run.id);
    const out = yield* RunExecutor.execute(started, created).pipe(
      Effect.provideService(RosterSource, source),
      Effect.provideService(References.MinimumLogLevel, "Error"),
    );
    return out.run;
  });

interface Row {
  /** The entity, named by its kind and the external ids that link to it (ids differ per store and tenant). */
  readonly key: string;
  readonly active: boolean;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Links without their provider: external id and whether it is active. */
  readonly links: ReadonlyArray<string>;
}

const REF_FIELDS: Readonly<Record<string, Kind>> = { schoolId: "school", classId: "class", userId: "user" };

/** The tenant's roster tables with entity ids replaced by their keys (references included). */
const tablesOf = (tenantId: string) =>
  Effect.gen(function* () {
    const rows = new Map<Kind, ReadonlyArray<RosterEntity>>();
    const keyOf = new Map<string, string>();
    for (const kind of KINDS) {
      const entities = yield* rosterOf(tenantId, kind);
      rows.set(kind, entities);
      for (const e of entities) keyOf.set(e.id, `${kind}:${e.links.map((l) => l.externalId).sort().join("|")}`);
    }
    const tables: Record<string, ReadonlyArray<Row>> = {};
    for (const kind of KINDS) {
      tables[kind] = rows.get(kind)!.map((e): Row => ({
        key: keyOf.get(e.id)!,
        active: e.active,
        fields: Object.fromEntries(Object.entries(e.fields).map(([name, value]) =>
          name in REF_FIELDS && typeof value === "string" ? [name, keyOf.get(value) ?? `unresolved ${REF_FIELDS[name]} ${value}`] : [name, value])),
        links: e.links.map((l) => `${l.externalId}${l.active ? "" : " (inactive)"}`).sort(),
      })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    return tables;
  });

const countsOf = (run: SyncRun) =>
  Object.fromEntries((["schools", "classes", "users", "enrollments"] as const).map((k) => {
    const s = run.stats![k];
    return [k, { created: s.created, updated: s.updated, unchanged: s.unchanged, deactivated: s.deactivated, errors: s.errors }];
  }));

for (const [storeName, makeStore] of STORES) {
  layer(makeStore(), { excludeTestServices: true, timeout: "120 seconds" })(`Equivalence on the ${storeName}`, (it) => {
    it.effect("a CSV folder, a zip over SFTP and the REST server produce identical roster tables", () =>
      Effect.gen(function* () {
        const generated = FakeDistrict.generate({ prefix: "eq-", schools: 3, classesPerSchool: 4, students: 80, classesPerStudent: 3 });
        const files = exportFiles(generated);
        const stamp = `${storeName.replace(/\W+/g, "-")}-${Date.now().toString(36)}`;

        const legs: Array<{ readonly name: string; readonly provider: Omit<NewProvider, "tenantId">; readonly source: RosterSourceShape }> = [];

        const folder = yield* Effect.promise(() => writeOneRosterCsv(join(work, stamp, "district-export"), files));
        const localConfig = { localPath: folder };
        legs.push({
          name: "CSV folder on local disk",
          provider: { providerType: "ONEROSTER_CSV", name: "csv-local", config: localConfig },
          source: OneRosterCsvSource.make({ ...localConfig, batchSize: 50 }),
        });

        if (sshd !== null) {
          const drop = join(sshd.root, stamp);
          yield* Effect.promise(async () => {
            await mkdir(drop, { recursive: true });
            await writeZip(join(drop, "2026-11-24.zip"), files);
          });
          const sftpConfig = { sftp: sshd.settings(), remotePath: drop };
          legs.push({
            name: "zip over SFTP",
            provider: { providerType: "ONEROSTER_CSV", name: "csv-sftp", config: sftpConfig },
            source: OneRosterSftpSource.make(sftpConfig, { tempDir: downloads, batchSize: 50 }),
          });
        }

        const server = yield* FakeOneRosterServer.scoped({ district: generated.district });
        const restConfig = { baseUrl: server.baseUrl, clientId: server.clientId, clientSecret: server.clientSecret };
        legs.push({
          name: "REST fake server",
          provider: { providerType: "ONEROSTER_API", name: "rest", config: restConfig },
          source: OneRosterRestSource.make(restConfig, { pageSize: 40 }),
        });

        const results: Array<{ readonly name: string; readonly run: SyncRun; readonly tables: Record<string, ReadonlyArray<Row>> }> = [];
        for (const leg of legs) {
          const tenantId = newTenant(leg.provider.name);
          const run = yield* syncWith(tenantId, leg.provider, leg.source);
          assert.strictEqual(run.status, "SUCCESS", `${leg.name}: ${run.errorMessage}`);
          results.push({ name: leg.name, run, tables: yield* tablesOf(tenantId) });
        }

        const [reference, ...others] = results;
        // The reference is complete: every generated record became an active entity with one link.
        const expected = { school: 0, class: 0, user: 0, enrollment: 0 };
        for (const r of generated.records) expected[r.kind]++;
        for (const kind of KINDS) {
          const rows = reference!.tables[kind]!;
          assert.strictEqual(rows.length, expected[kind], `${kind} entities`);
          assert.ok(rows.every((row) => row.active && row.links.length === 1), `${kind}: active, one link each`);
          assert.ok(rows.every((row) => !JSON.stringify(row.fields).includes("unresolved")), `${kind}: references resolved`);
        }
        // …and holds the generated values: every canonical field of every record, as generated.
        const rowOf = new Map(KINDS.flatMap((kind) => reference!.tables[kind]!.map((row) => [row.key, row] as const)));
        for (const record of generated.records) {
          const row = rowOf.get(`${record.kind}:${record.externalId}`);
          assert.ok(row !== undefined, `${record.kind} ${record.externalId} is in the roster`);
          const stored = Object.fromEntries(Object.keys(record.fields).map((name) => [name, row.fields[name]]));
          assert.deepStrictEqual(stored, { ...record.fields }, `${record.kind} ${record.externalId} fields`);
        }
        for (const other of others) {
          assert.deepStrictEqual(countsOf(other.run), countsOf(reference!.run), `${other.name} vs ${reference!.name}: run counts`);
          for (const kind of KINDS) {
            assert.deepStrictEqual(other.tables[kind], reference!.tables[kind], `${other.name} vs ${reference!.name}: ${kind} table`);
          }
        }
        assert.strictEqual(results.length, sshd === null ? 2 : 3);
        assert.deepStrictEqual(yield* Effect.promise(() => leftIn(downloads)), [], "the SFTP download is removed");
      }));
  });
}
