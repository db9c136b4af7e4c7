/**
 * @sis-sync/core: the canonical roster model, provider configs, the pure sync rules, the ports and
 * the sync engine. Depends on `effect` only.
 */
export * from "./Roster";
export * from "./RowIssue";
export * from "./RosterSource";
export * from "./RosterStore";
export * from "./RosterReader";
export * from "./Providers";
export * from "./ProviderConfig";
export * from "./SyncStats";
export * as ContentHash from "./ContentHash";
export * as EntityId from "./EntityId";
export * from "./ContentDigest";
export * from "./SeenIds";
export * as Validate from "./Validate";
export * as Plan from "./Plan";
export * as Safeguard from "./Safeguard";
export * as SyncEngine from "./SyncEngine";
export * as RunExecutor from "./RunExecutor";
