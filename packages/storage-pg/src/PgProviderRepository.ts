/**
 * Providers in `sis_providers`. The config is encrypted with `ConfigCipher` (authenticated with the
 * provider id, so a ciphertext cannot be moved to another provider) and decrypted on read.
 */
import { ProviderRepository, RosterStoreError, type NewProvider, type Provider, type ProviderOptions, type ProviderType } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { randomUUID } from "node:crypto";
import type { ProviderRow } from "./Database";
import { ConfigCipher, type ConfigCipherShape } from "./ConfigCipher";
import { PgDatabase, errorMessage, type PgHandle } from "./PgDatabase";
import { isUuid, makePartitions, runIdOfPartition } from "./internal/Partitions";

const toProvider = (cipher: ConfigCipherShape, row: ProviderRow): Provider => ({
  id: row.id,
  tenantId: row.tenant_id,
  providerType: row.provider_type as ProviderType,
  name: row.name,
  config: cipher.decrypt({ ciphertext: row.config_ciphertext, keyId: row.config_key_id }, row.id),
  enabled: row.enabled,
  syncSchedule: row.sync_schedule,
  timezone: row.timezone,
  options: (row.options ?? {}) as ProviderOptions,
  lastSyncAt: row.last_sync_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === "23505";

/** The repository over an open database and a cipher. */
export const makeWith = (handle: PgHandle, cipher: ConfigCipherShape) => {
  const db = handle.db;
  const attempt = <A>(label: string, run: () => Promise<A>) =>
    Effect.tryPromise({
      try: run,
      catch: (cause) =>
        new RosterStoreError({
          message: isUniqueViolation(cause) ? `${label}: a provider with this name already exists for the tenant` : `${label}: ${errorMessage(cause)}`,
          cause,
        }),
    });

  const get = async (id: string): Promise<Provider | null> => {
    if (!isUuid(id)) return null;
    const row = await db.selectFrom("sis_providers").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toProvider(cipher, row) : null;
  };

  return ProviderRepository.of({
    create: (p: NewProvider) =>
      attempt("create provider", async () => {
        const id = randomUUID();
        const sealed = cipher.encrypt(p.config, id);
        const row = await db.insertInto("sis_providers").values({
          id,
          tenant_id: p.tenantId,
          provider_type: p.providerType,
          name: p.name,
          config_ciphertext: sealed.ciphertext,
          config_key_id: sealed.keyId,
          enabled: p.enabled ?? true,
          sync_schedule: p.syncSchedule ?? null,
          timezone: p.timezone ?? "UTC",
          options: JSON.stringify(p.options ?? {}),
        }).returningAll().executeTakeFirstOrThrow();
        return toProvider(cipher, row);
      }),
    get: (id) => attempt("get provider", () => get(id)),
    findByName: (tenantId, name) =>
      attempt("find provider", async () => {
        const row = await db.selectFrom("sis_providers").selectAll().where("tenant_id", "=", tenantId).where("name", "=", name).executeTakeFirst();
        return row ? toProvider(cipher, row) : null;
      }),
    list: (tenantId) =>
      attempt("list providers", async () => {
        let q = db.selectFrom("sis_providers").selectAll();
        if (tenantId !== null) q = q.where("tenant_id", "=", tenantId);
        const rows = await q.orderBy("created_at").orderBy("id").execute();
        return rows.map((row) => toProvider(cipher, row));
      }),
    update: (id, patch) =>
      attempt("update provider", async () => {
        if (!isUuid(id)) return null;
        const set: Record<string, unknown> = { updated_at: new Date() };
        if (patch.name !== undefined) set["name"] = patch.name;
        if (patch.enabled !== undefined) set["enabled"] = patch.enabled;
        if (patch.syncSchedule !== undefined) set["sync_schedule"] = patch.syncSchedule;
        if (patch.timezone !== undefined) set["timezone"] = patch.timezone;
        if (patch.options !== undefined) set["options"] = JSON.stringify(patch.options);
        if ("config" in patch && patch.config !== undefined) {
          const sealed = cipher.encrypt(patch.config, id);
          set["config_ciphertext"] = sealed.ciphertext;
          set["config_key_id"] = sealed.keyId;
        }
        const row = await db.updateTable("sis_providers").set(set).where("id", "=", id).returningAll().executeTakeFirst();
        return row ? toProvider(cipher, row) : null;
      }),
    remove: (id) =>
      attempt("remove provider", async () => {
        if (!isUuid(id)) return false;
        // The provider's runs go with it (cascade); their staging partitions are dropped first.
        const runs = new Set((await db.selectFrom("sis_sync_runs").select("id").where("provider_id", "=", id).execute()).map((r) => r.id));
        const partitions = makePartitions(handle.db, handle.backend);
        await partitions.drop((await partitions.list()).filter((name) => runs.has(runIdOfPartition(name)?.runId ?? "")));
        const result = await db.deleteFrom("sis_providers").where("id", "=", id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      }),
  });
};

/** Re-encrypts every provider config whose key is not the newest (after adding a key). Returns the count. */
export const reencryptAll = (handle: PgHandle, cipher: ConfigCipherShape) =>
  Effect.tryPromise({
    try: async () => {
      const rows = await handle.db.selectFrom("sis_providers").select(["id", "config_ciphertext", "config_key_id"])
        .where("config_key_id", "<>", cipher.currentKeyId).execute();
      for (const row of rows) {
        const config = cipher.decrypt({ ciphertext: row.config_ciphertext, keyId: row.config_key_id }, row.id);
        const sealed = cipher.encrypt(config, row.id);
        await handle.db.updateTable("sis_providers").set({ config_ciphertext: sealed.ciphertext, config_key_id: sealed.keyId })
          .where("id", "=", row.id).where("config_key_id", "=", row.config_key_id).execute();
      }
      return rows.length;
    },
    catch: (cause) => new RosterStoreError({ message: `re-encrypt provider configs: ${errorMessage(cause)}`, cause }),
  });

export const make = Effect.gen(function* () {
  const handle = yield* PgDatabase;
  const cipher = yield* ConfigCipher;
  return makeWith(handle, cipher);
});

/**
 * @example
 * const ProvidersLive = PgProviderRepository.layer.pipe(Layer.provide([PgDatabase.layerFromEnv(), ConfigCipher.layerFromEnv()]))
 */
export const layer: Layer.Layer<ProviderRepository, never, PgDatabase | ConfigCipher> = Layer.effect(ProviderRepository, make);
