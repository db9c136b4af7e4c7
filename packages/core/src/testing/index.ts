/**
 * Test kit for adapters and apps: the reference in-memory store, a static source, record builders
 * and the store contract suite.
 */
export * as MemoryRosterStore from "./MemoryRosterStore";
export * as StaticRosterSource from "./StaticRosterSource";
export * as Fixtures from "./Fixtures";
export { rosterStoreContract, syncOnce, rosterOf, type StorePorts, type SyncRequest } from "./RosterStoreContract";
