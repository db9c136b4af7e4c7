/**
 * Every storage service over one database, for composition roots: the four core store ports plus
 * run leasing and the audit log.
 */
import type { ProviderRepository, RosterReader, RosterStore, RosterStoreError, RunRepository } from "@sis-sync/core";
import * as Layer from "effect/Layer";
import * as ConfigCipher from "./ConfigCipher";
import * as PgAuditLog from "./PgAuditLog";
import * as PgDatabase from "./PgDatabase";
import * as PgProviderRepository from "./PgProviderRepository";
import * as PgRosterReader from "./PgRosterReader";
import * as PgRosterStore from "./PgRosterStore";
import * as PgRunLeases from "./PgRunLeases";
import * as PgRunRepository from "./PgRunRepository";

export type StorageServices =
  | RosterStore | ProviderRepository | RunRepository | RosterReader
  | PgRunLeases.PgRunLeases | PgAuditLog.PgAuditLog | PgDatabase.PgDatabase;

/** All services over the `PgDatabase` and `ConfigCipher` already in context, the roster store tuned by `store`. */
export const layerNoDepsWith = (store: PgRosterStore.PgRosterStoreOptions) => Layer.mergeAll(
  PgRosterStore.layerWith(store), PgProviderRepository.layer, PgRunRepository.layer, PgRosterReader.layer, PgRunLeases.layer, PgAuditLog.layer,
);

/** All services over the `PgDatabase` and `ConfigCipher` already in context. */
export const layerNoDeps = layerNoDepsWith({});

/**
 * @example
 * const StorageLive = PgStorage.layer({ databaseUrl: process.env.DATABASE_URL, dataDir: "./.data" }, ConfigCipher.layerFromEnv())
 */
export const layer = <E>(
  options: PgDatabase.OpenOptions,
  cipher: Layer.Layer<ConfigCipher.ConfigCipher, E>,
): Layer.Layer<StorageServices | ConfigCipher.ConfigCipher, RosterStoreError | E> =>
  layerNoDeps.pipe(Layer.provideMerge(Layer.merge(PgDatabase.layer(options), cipher)));

/** Database from `DATABASE_URL` / `SIS_DATA_DIR`, keys from `SIS_ENCRYPTION_KEY` (dev key file outside production). */
export const layerFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env) => {
  const options = PgDatabase.optionsFromEnv(env);
  return layer(options, ConfigCipher.layerFromEnv(env, { dataDir: options.dataDir }));
};
