/**
 * Where a `localPath` set through the API may point: inside the tenant's own folder of
 * `SIS_LOCAL_IMPORT_ROOT` (`<root>/<tenantId>`, after resolving `..` and symbolic links of the part
 * that exists), or anywhere outside production when no root is configured. In production without a
 * root, local paths are refused. One folder per tenant: with a shared root, one district's admin
 * could point a provider at another district's exports (or key files) and import them.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

export interface LocalPathPolicy {
  /** `SIS_LOCAL_IMPORT_ROOT`, or null. */
  readonly root: string | null;
  readonly production: boolean;
}

export type LocalPathVerdict = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/** The real path of the longest existing prefix, with the rest appended (files may arrive later). */
const realpathOfExisting = (path: string): string => {
  const missing: Array<string> = [];
  let current = path;
  for (;;) {
    try {
      return missing.length === 0 ? realpathSync(current) : join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      missing.push(basename(current));
      current = parent;
    }
  }
};

const inside = (root: string, candidate: string): boolean => {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
};

/** A tenant id that can name a folder: one plain path segment. */
const isFolderName = (name: string): boolean => name !== "" && name !== "." && name !== ".." && !/[/\\\u0000]/.test(name);

/**
 * Checks a local path of a tenant's provider and returns it normalized (absolute; relative paths
 * are taken from the tenant's folder).
 */
export const checkLocalPath = (raw: string, policy: LocalPathPolicy, tenantId: string): LocalPathVerdict => {
  if (raw.includes("\u0000")) return { ok: false, reason: "is not a valid path" };
  if (policy.root === null) {
    if (policy.production) return { ok: false, reason: "local imports are disabled: set SIS_LOCAL_IMPORT_ROOT to allow paths inside it" };
    return { ok: true, path: resolve(raw) };
  }
  if (!isFolderName(tenantId)) return { ok: false, reason: "local imports need a tenant id that can name a folder of SIS_LOCAL_IMPORT_ROOT" };
  const tenantRoot = resolve(policy.root, tenantId);
  const root = realpathOfExisting(tenantRoot);
  const candidate = realpathOfExisting(resolve(tenantRoot, raw));
  if (!inside(root, candidate)) return { ok: false, reason: `must be inside the tenant's folder SIS_LOCAL_IMPORT_ROOT/${tenantId}` };
  return { ok: true, path: candidate };
};
