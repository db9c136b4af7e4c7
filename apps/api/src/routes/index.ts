/**
 * Every resource of `/api/v1`, in mount order, and the flat route table derived from them (used
 * by the OpenAPI document, the audit trail and the authorization matrix test).
 */
import type { Method, Resource, RouteDef } from "../http/Route";
import * as Providers from "./Providers";
import * as SchedulePresets from "./SchedulePresets";
import * as Runs from "./Runs";
import * as Syncs from "./Syncs";
import * as Tenants from "./Tenants";

export const API_BASE = "/api/v1";

export const RESOURCES: ReadonlyArray<Resource> = [Tenants.resource, Providers.resource, Syncs.resource, Runs.resource, SchedulePresets.resource];

export interface TableEntry {
  readonly method: Method;
  /** Full Hono path, e.g. `/api/v1/providers/:providerId/sync`. */
  readonly path: string;
  readonly route: RouteDef;
}

const join = (...parts: ReadonlyArray<string>) => parts.join("").replace(/\/+$/, "") || "/";

export const ROUTE_TABLE: ReadonlyArray<TableEntry> = RESOURCES.flatMap((resource) =>
  resource.routes.map((route) => ({ method: route.method, path: join(API_BASE, resource.prefix, route.path === "/" ? "" : route.path), route })));

const compiled = ROUTE_TABLE.map((entry) => {
  const names: Array<string> = [];
  const pattern = entry.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { entry, names, regex: new RegExp(`^${pattern}/?$`) };
});

/** The route a request path names (with its raw path parameters), or null. */
export const matchRoute = (method: string, path: string): { readonly entry: TableEntry; readonly params: Readonly<Record<string, string>> } | null => {
  for (const { entry, names, regex } of compiled) {
    if (entry.method !== method) continue;
    const m = regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(m[i + 1]!);
      } catch {
        params[name] = m[i + 1]!;
      }
    });
    return { entry, params };
  }
  return null;
};
