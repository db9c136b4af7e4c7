/**
 * The OneRoster 1.1 REST client: authenticated GETs and limit/offset paging that survives real
 * servers. A page loop, a silently capped `limit`, a short total or a success-shaped body without
 * the collection is an error, never a smaller roster (spec §1.4, §7.1-7.3, §7.14).
 */
import { createHash } from "node:crypto";
import { percentEncode } from "./OAuth1";
import type { Authenticator } from "./RestAuth";
import { RestFailure, parseStatusInfo, statusFailure, statusInfoOf } from "./RestFailure";
import * as RestHttp from "./RestHttp";

export interface Collection {
  /** Path under the base URL. */
  readonly path: string;
  /** Envelope keys accepted for it, the spec's first (spec §1.3, §7.3). */
  readonly keys: ReadonlyArray<string>;
}

/** The six collections a roster read needs, in the order it reads them. */
export const COLLECTIONS = {
  orgs: { path: "orgs", keys: ["orgs", "schools"] },
  academicSessions: { path: "academicSessions", keys: ["academicSessions", "terms"] },
  courses: { path: "courses", keys: ["courses"] },
  classes: { path: "classes", keys: ["classes"] },
  users: { path: "users", keys: ["users", "students", "teachers"] },
  enrollments: { path: "enrollments", keys: ["enrollments"] },
} as const satisfies Record<string, Collection>;

export interface ClientOptions {
  /** Absolute, without a trailing slash, e.g. `https://host/ims/oneroster/v1p1`. */
  readonly baseUrl: string;
  readonly auth: Authenticator;
  readonly transport: RestHttp.Transport;
  readonly pageSize: number;
  /** Sends `sort=sourcedId&orderBy=asc` for a stable order across pages (dropped if the server refuses it). */
  readonly sort: boolean;
  /** ClassLink: a 502 usually means the page was too heavy, so retry it with half the limit. */
  readonly shrinkOn502: boolean;
  readonly minPageSize: number;
  /** Runaway protection per collection. */
  readonly maxPages: number;
  /**
   * Without `X-Total-Count`, a short page with no full page before it could be the end or a silent
   * cap. One extra request after it tells them apart; turning this off trusts it (not recommended).
   */
  readonly verifyShortPages: boolean;
  readonly userAgent: string;
}

export interface Page {
  readonly collection: Collection;
  readonly records: ReadonlyArray<unknown>;
  readonly offset: number;
  /** `X-Total-Count` when the server sent a readable one. */
  readonly total: number | null;
}

export interface OneRosterRestClient {
  /** Every page of a collection, in order; fails rather than end early or loop. */
  readonly pages: (collection: Collection, signal: AbortSignal) => AsyncGenerator<Page, void, undefined>;
  /** One cheap authenticated call (`/orgs?limit=1`); resolves with a short summary. */
  readonly ping: (signal: AbortSignal) => Promise<string>;
}

/** Answers to a request past the end that some servers give instead of an empty page. */
const OUT_OF_RANGE: ReadonlySet<number> = new Set([400, 404, 416, 422]);

const queryString = (params: ReadonlyArray<readonly [string, string]>) =>
  params.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");

const totalOf = (headers: Headers): number | null => {
  const value = headers.get("x-total-count")?.trim();
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : null;
};

/** Ids identify a page even when the server re-serialises it; the text covers records without ids. */
const fingerprint = (records: ReadonlyArray<unknown>, text: string): string => {
  const ids = records.map((r) => (r !== null && typeof r === "object" ? (r as Record<string, unknown>)["sourcedId"] : undefined));
  const material = ids.every((id) => typeof id === "string") ? ids.join("\n") : text;
  return createHash("sha1").update(material).digest("hex");
};

const envelope = (body: unknown, c: Collection, what: string): ReadonlyArray<unknown> => {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === "object") {
    for (const key of c.keys) {
      if (!Object.hasOwn(body, key)) continue;
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value;
      throw new RestFailure("BadResponse", `${what}: the "${key}" field of the response is not an array`);
    }
  }
  const info = statusInfoOf(body);
  const status = info ? ` (it carries a status: ${[info.codeMajor, info.severity, info.codeMinor].filter(Boolean).join(" / ")})` : "";
  throw new RestFailure(
    "BadResponse",
    `${what}: HTTP 200 without the "${c.keys[0]}" envelope${status}; refusing to read it as an empty collection`,
  );
};

interface FetchedPage {
  readonly records: ReadonlyArray<unknown>;
  readonly total: number | null;
  readonly limit: number;
  readonly fingerprint: string;
}

export const make = (o: ClientOptions): OneRosterRestClient => {
  const t = o.transport;

  /** GET with auth per attempt, plus one retry with fresh credentials after a 401 when that can help. */
  const get = async (
    path: string,
    params: () => ReadonlyArray<readonly [string, string]>,
    signal: AbortSignal,
    what: string,
    onRetry?: (status: number | null) => void,
  ): Promise<RestHttp.HttpResponse> => {
    for (let refreshed = false; ;) {
      let used: Readonly<Record<string, string>> = {};
      const res = await RestHttp.send(t, async () => {
        const qs = queryString(params());
        const url = `${o.baseUrl}/${path}${qs ? `?${qs}` : ""}`;
        used = await o.auth.authorize("GET", url, signal);
        return { method: "GET", url, headers: { ...used, accept: "application/json", "user-agent": o.userAgent } };
      }, signal, what, onRetry);
      if (res.status === 401 && !refreshed && o.auth.refresh(used)) {
        refreshed = true;
        continue;
      }
      return res;
    }
  };

  /**
   * One page; `null` when the server refused our `sort` parameters on the first page. `beyond`: the
   * offset is past the announced count, where a server may answer "out of range" instead of an
   * empty page; that reads as the end.
   */
  const fetchPage = async (c: Collection, offset: number, limit: number, sort: boolean, signal: AbortSignal, beyond = false): Promise<FetchedPage | null> => {
    let current = limit;
    const what = `GET /${c.path}?limit=${limit}&offset=${offset}`;
    const params = () => [
      ["limit", String(current)] as const,
      ["offset", String(offset)] as const,
      ...(sort ? [["sort", "sourcedId"] as const, ["orderBy", "asc"] as const] : []),
    ];
    const onRetry = (status: number | null) => {
      if (status === 502 && o.shrinkOn502) current = Math.max(o.minPageSize, Math.floor(current / 2));
    };
    const res = await get(c.path, params, signal, what, onRetry);
    if (res.status === 400 && sort && offset === 0) return null;
    if (beyond && OUT_OF_RANGE.has(res.status)) return { records: [], total: null, limit: current, fingerprint: "" };
    if (res.status < 200 || res.status > 299) {
      throw statusFailure(res.status, what, parseStatusInfo(res.text), { unauthorized: o.auth.unauthorizedHint });
    }
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new RestFailure("BadResponse", `${what}: the response body is not valid JSON (${Buffer.byteLength(res.text)} bytes; truncated?)`);
    }
    const records = envelope(body, c, what);
    return { records, total: totalOf(res.headers), limit: current, fingerprint: fingerprint(records, res.text) };
  };

  async function* pages(c: Collection, signal: AbortSignal): AsyncGenerator<Page, void, undefined> {
    let offset = 0;
    let sort = o.sort;
    let limit = o.pageSize;
    let total: number | null = null;
    const seen = new Map<string, number>();
    const fullSeen = new Set<number>();
    const repeated = (at: number, previous: number) =>
      new RestFailure(
        "BadResponse",
        `GET /${c.path}: the page at offset ${at} repeats the page at offset ${previous}; the provider seems to ignore offset (a page loop), refusing to read on`,
      );
    const capped = (count: number, asked: number, at: number, evidence: string) =>
      new RestFailure(
        "BadResponse",
        `GET /${c.path}: the provider returned ${count} records for limit=${asked} at offset ${at} although more exist (${evidence}): it caps the page size silently. Refusing to continue with a possibly incomplete roster; use a page size of ${count} or less`,
      );

    for (let requests = 0; ; requests++) {
      if (requests >= o.maxPages) {
        throw new RestFailure("BadResponse", `GET /${c.path}: more than ${o.maxPages} pages; stopping (runaway protection)`);
      }
      // Past a reached count only because the last page came back full (see below).
      const beyond = total !== null && offset >= total;
      const page = await fetchPage(c, offset, limit, sort, signal, beyond);
      if (page === null) {
        // Some servers reject sort/orderBy (spec §10.4); read in their own order instead.
        sort = false;
        continue;
      }
      limit = page.limit;
      if (page.total !== null) total = page.total;
      if (page.records.length > 0) {
        const previous = seen.get(page.fingerprint);
        // Past the count, a server that clamps the offset sends its last page again: the end.
        if (previous !== undefined && beyond) return;
        if (previous !== undefined) throw repeated(offset, previous);
        seen.set(page.fingerprint, offset);
      }
      yield { collection: c, records: page.records, offset, total };
      const at = offset;
      // Advance by what arrived, not by the limit asked for: safe when the limit shrank after a 502.
      offset += page.records.length;
      const shortTotal = () =>
        new RestFailure(
          "BadResponse",
          `GET /${c.path}: the provider announced ${total} records (X-Total-Count) but its pages ended after ${offset}; refusing to treat a short read as the whole roster`,
        );
      if (page.records.length === 0) {
        if (total !== null && offset < total) throw shortTotal();
        return;
      }
      const full = page.records.length >= page.limit;
      if (total !== null && offset < total) {
        // A short page after full ones at the same limit is an early end; a short first page is a cap.
        if (!full) throw fullSeen.has(page.limit) ? shortTotal() : capped(page.records.length, page.limit, at, `X-Total-Count is ${total}`);
        fullSeen.add(page.limit);
        continue;
      }
      // A reached count does not end the read while pages come back full: some servers count only
      // the page, or a cached roster that lags the live one, and stopping there drops the rest.
      if (full) {
        fullSeen.add(page.limit);
        continue;
      }
      if (total !== null) return;
      // Without a count, a short page after full ones at this limit is the end. A short page with
      // nothing full before it may be a silent cap: one more request tells which.
      if (!o.verifyShortPages || fullSeen.has(page.limit)) return;
      const probe = await fetchPage(c, offset, limit, sort, signal);
      if (probe === null || probe.records.length === 0) return;
      const previous = seen.get(probe.fingerprint);
      if (previous !== undefined) throw repeated(offset, previous);
      throw capped(page.records.length, page.limit, at, `the request at offset ${offset} returned ${probe.records.length} more`);
    }
  }

  const ping = async (signal: AbortSignal): Promise<string> => {
    const page = await fetchPage(COLLECTIONS.orgs, 0, 1, false, signal);
    const host = new URL(o.baseUrl).host;
    const count = page?.total ?? null;
    return `Connected to ${host} with ${o.auth.description}: ${count === null ? "the orgs endpoint answered" : `${count} orgs`}`;
  };

  return { pages, ping };
};
