/**
 * Where a `localPath` set through the API may point: inside `SIS_LOCAL_IMPORT_ROOT` (after
 * resolving `..` and symbolic links of the part that exists), or anywhere outside production when
 * no root is configured. In production without a root, local paths are refused.
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

/** Checks a local path and returns it normalized (absolute, relative paths taken from the root). */
export const checkLocalPath = (raw: string, policy: LocalPathPolicy): LocalPathVerdict => {
  if (raw.includes("\u0000")) return { ok: false, reason: "is not a valid path" };
  if (policy.root === null) {
    if (policy.production) return { ok: false, reason: "local imports are disabled: set SIS_LOCAL_IMPORT_ROOT to allow paths inside it" };
    return { ok: true, path: resolve(raw) };
  }
  const root = realpathOfExisting(resolve(policy.root));
  const candidate = realpathOfExisting(resolve(policy.root, raw));
  if (!inside(root, candidate)) return { ok: false, reason: "must be inside SIS_LOCAL_IMPORT_ROOT" };
  return { ok: true, path: candidate };
};
