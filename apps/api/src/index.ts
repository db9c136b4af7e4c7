/**
 * @sis-sync/api: the HTTP API (Hono). `makeApp` builds the app over a runtime that provides the
 * storage services; `OutboundUrl` (re-exported from the scheduler, which applies it at run time) is the outbound-safety module.
 */
export { makeApp, makeContext, routeTable, type AppOptions } from "./App";
export type { ApiRuntime, ApiServices, AppContext, LogEntry } from "./AppContext";
export * as Jwt from "./auth/Jwt";
export * as Config from "./Config";
export { OutboundUrl } from "@sis-sync/scheduler";
export * as LocalPath from "./security/LocalPath";
export * as ProviderTargets from "./security/ProviderTargets";
export { openApiDocument } from "./http/OpenApi";
