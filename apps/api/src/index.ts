/**
 * @sis-sync/api: the HTTP API (Hono). `makeApp` builds the app over a runtime that provides the
 * storage services; `OutboundUrl` is the outbound-safety module other apps may apply at run time.
 */
export { makeApp, makeContext, routeTable, type AppOptions } from "./App";
export type { ApiRuntime, ApiServices, AppContext, LogEntry } from "./AppContext";
export * as Jwt from "./auth/Jwt";
export * as Config from "./Config";
export * as OutboundUrl from "./security/OutboundUrl";
export * as LocalPath from "./security/LocalPath";
export * as ProviderTargets from "./security/ProviderTargets";
export { openApiDocument } from "./http/OpenApi";
