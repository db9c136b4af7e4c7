/**
 * A fake Clever on loopback (Hono on @hono/node-server, 127.0.0.1, port 0) for connector and end-to-end
 * tests: the OAuth token list, the v3.0 list endpoints in the recorded envelope shapes with cursor
 * paging, `X-RateLimit-*` accounting over a configurable window, and fault injection.
 */
import { serve, type HttpBindings, type ServerType } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { Hono, type Context } from "hono";
import type { AddressInfo } from "node:net";
import * as FakeDistrict from "./FakeDistrict";

export type FaultKind =
  /** 429 with `X-RateLimit-Reset` `resetInMs` ahead (and `Retry-After` if `retryAfterSeconds`). */
  | "throttle"
  /** `status` (default 503) with an HTML error page. */
  | "serverError"
  /** Answers normally after `delayMs`, unless the client gives up first. */
  | "slow"
  /** 404 with Express' HTML page, as Clever answers a wrong token type. */
  | "html404"
  /** Sends half the body, then breaks the connection. */
  | "truncated"
  /** Lists end with a `next` link to an empty page, which has a `next` link itself. */
  | "emptyPageWithNext"
  /** Every non-empty page's `next` link points at the page itself. */
  | "loopingNext"
  /** 200 with `{"resources": []}`, the non-standard envelope seen on `/resources`. */
  | "badEnvelope"
  /** 401 whatever the token. */
  | "unauthorized";

export interface Fault {
  readonly kind: FaultKind;
  /** Applies to paths starting with this (default: every `/v3.0` request). */
  readonly path?: string;
  /** How many matching requests it hits (default: all). */
  readonly times?: number;
  /** Matching requests let through before it starts. */
  readonly skip?: number;
  readonly status?: number;
  readonly delayMs?: number;
  readonly resetInMs?: number;
  readonly retryAfterSeconds?: number;
}

export interface FakeCleverOptions {
  readonly district?: FakeDistrict.FakeDistrict | FakeDistrict.DistrictShape;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly token?: string;
  /** Requests allowed per window; windows are aligned to multiples of `windowMs` since the epoch. Default 1200 per minute. */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  readonly faults?: ReadonlyArray<Fault>;
  /** Return every connected district's token even when `district=` is given. */
  readonly ignoreDistrictFilter?: boolean;
}

export interface LoggedRequest {
  readonly path: string;
  readonly status: number;
  readonly at: number;
  /** Set when the answer came from an injected fault. */
  readonly fault: FaultKind | null;
}

export interface FakeCleverServer {
  /** Base URL for both `apiUrl` and `oauthUrl`. */
  readonly url: string;
  readonly district: FakeDistrict.FakeDistrict;
  /** A `CleverConfig` that obtains its token through `/oauth/tokens`. */
  readonly config: { readonly clientId: string; readonly clientSecret: string; readonly districtId: string };
  /** The district's current token. */
  readonly token: () => string;
  /** Issues a new token; the old one gets 401 from now on. */
  readonly rotateToken: () => string;
  readonly inject: (...faults: ReadonlyArray<Fault>) => void;
  readonly clearFaults: () => void;
  readonly log: ReadonlyArray<LoggedRequest>;
  readonly stats: {
    /** Data API requests that arrived (answered or not). */
    readonly received: number;
    /** 429s the rate limit itself produced: a well-paced client keeps this at 0. */
    readonly throttled: number;
    /** Requests whose client went away before the answer (aborted fetches). */
    readonly aborted: number;
  };
  readonly close: () => Promise<void>;
}

const RESOURCES = ["schools", "terms", "courses", "sections", "users"] as const;
type Resource = (typeof RESOURCES)[number];

const html404 = (path: string) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET ${path}</pre>\n</body>\n</html>\n`;

const JSON_TYPE = "application/json; charset=utf-8";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(false);
    }, { once: true });
  });

export const start = async (options: FakeCleverOptions = {}): Promise<FakeCleverServer> => {
  const district = options.district && "nextId" in options.district ? options.district : FakeDistrict.generate(options.district ?? {});
  const clientId = options.clientId ?? "fake-client-id";
  const clientSecret = options.clientSecret ?? "fake-client-secret";
  let token = options.token ?? "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
  let tokenCounter = 0;
  const rateLimit = options.rateLimit ?? { limit: 1200, windowMs: 60_000 };
  const faults: Array<{ fault: Fault; seen: number; hits: number }> = [];
  const log: Array<LoggedRequest> = [];
  const stats = { received: 0, throttled: 0, aborted: 0 };
  const windows = new Map<number, number>();

  const inject = (...more: ReadonlyArray<Fault>) => {
    for (const fault of more) faults.push({ fault, seen: 0, hits: 0 });
  };
  inject(...(options.faults ?? []));

  /** Consumes and returns the faults that hit this request. */
  const faultsFor = (path: string): Array<Fault> => {
    const hit: Array<Fault> = [];
    for (const entry of faults) {
      if (!path.startsWith(entry.fault.path ?? "/v3.0")) continue;
      entry.seen++;
      if (entry.seen <= (entry.fault.skip ?? 0)) continue;
      if (entry.hits >= (entry.fault.times ?? Number.POSITIVE_INFINITY)) continue;
      entry.hits++;
      hit.push(entry.fault);
    }
    return hit;
  };

  const epochSeconds = (ms: number) => String(Math.round(ms) / 1000);

  /** Counts the request in its window; returns the headers and whether it is over the limit. */
  const account = (now: number) => {
    const index = Math.floor(now / rateLimit.windowMs);
    const used = (windows.get(index) ?? 0) + 1;
    windows.set(index, used);
    const headers = {
      "x-ratelimit-bucket": "bearer",
      "x-ratelimit-limit": String(rateLimit.limit),
      "x-ratelimit-remaining": String(Math.max(0, rateLimit.limit - used)),
      "x-ratelimit-reset": epochSeconds((index + 1) * rateLimit.windowMs),
    };
    return { headers, over: used > rateLimit.limit };
  };

  const record = (c: Context, status: number, fault: FaultKind | null) => {
    const url = new URL(c.req.url);
    log.push({ path: `${url.pathname}${url.search}`, status, at: Date.now(), fault });
  };

  const listFor = (resource: Resource, params: URLSearchParams): Array<{ id: string }> => {
    const all: Array<{ id: string; roles?: Record<string, unknown> }> = [...district[resource].values()];
    const role = params.get("role");
    const filtered = resource === "users" && role ? all.filter((u) => u.roles?.[role] != null) : all;
    return filtered.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };

  const page = (c: Context, resource: Resource, version: string, modes: { emptyTail: boolean; looping: boolean }) => {
    const url = new URL(c.req.url);
    const params = url.searchParams;
    const limitParam = params.get("limit");
    const limit = limitParam === null ? 100 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1) return { status: 400 as const, body: { error: "limit must be a positive integer" } };
    if (limit > 10_000) return { status: 413 as const, body: { error: "Request entity too large" } };
    const items = listFor(resource, params);
    const after = params.get("starting_after");
    const before = params.get("ending_before");
    let rows: Array<{ id: string }>;
    let more: boolean;
    if (before !== null) {
      rows = items.filter((i) => i.id < before).slice(-limit);
      more = true;
    } else {
      const rest = after === null ? items : items.filter((i) => i.id > after);
      rows = rest.slice(0, limit);
      more = rest.length > limit;
    }
    const self = `${url.pathname}${url.search}`;
    const linkTo = (cursor: "starting_after" | "ending_before", id: string) => {
      const q = new URLSearchParams(params);
      q.delete("starting_after");
      q.delete("ending_before");
      q.set(cursor, id);
      return `${url.pathname}?${q}`;
    };
    const links: Array<{ rel: string; uri: string }> = [{ rel: "self", uri: self }];
    const last = rows[rows.length - 1];
    if (after !== null) links.push({ rel: "prev", uri: linkTo("ending_before", rows[0]?.id ?? after) });
    if (modes.looping && last) links.push({ rel: "next", uri: self });
    else if (last && (more || modes.emptyTail)) links.push({ rel: "next", uri: linkTo("starting_after", last.id) });
    else if (!last && modes.emptyTail) links.push({ rel: "next", uri: linkTo("starting_after", after ?? "0") });
    const data = rows.map((row) => ({ data: row, uri: `/${version}/${resource}/${row.id}` }));
    // Key order varies in real responses (some lists put `links` first); parsers must not care.
    return { status: 200 as const, body: resource === "users" ? { links, data } : { data, links } };
  };

  const app = new Hono();

  app.get("/oauth/tokens", (c) => {
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
    if (c.req.header("authorization") !== expected) {
      record(c, 401, null);
      return c.json({ error: "invalid_client" }, 401);
    }
    if (c.req.query("owner_type") !== "district") {
      record(c, 400, null);
      return c.json({ error: "owner_type must be district" }, 400);
    }
    const entry = (owner: string, accessToken: string, n: number) => ({
      id: `62b4e190573f96000800${n.toString(16).padStart(4, "0")}`, created: "2026-06-23T21:56:32.335Z",
      owner: { type: "district", id: owner }, access_token: accessToken,
      scopes: ["read:district_admins_basic", "read:school_admins_basic", "read:students_basic", "read:teachers_basic", "read:user_id"],
    });
    // Two other districts connected to the same app: their tokens must never be used.
    const all = [
      entry("62817af12d430f5d54001f99", "decoy0000000000000000000000000000000001", 1),
      entry(district.id, token, 2),
      entry("5d0a9e5d0958b300014e49d2", "decoy0000000000000000000000000000000002", 3),
    ];
    const wanted = c.req.query("district");
    const data = wanted && !options.ignoreDistrictFilter ? all.filter((t) => t.owner.id === wanted) : all;
    record(c, 200, null);
    return c.json({ data, links: [{ rel: "self", uri: `/oauth/tokens?${new URL(c.req.url).searchParams}` }] });
  });

  app.get("/:version{v3\\.[01]}/*", async (c) => {
    const version = c.req.param("version");
    const path = new URL(c.req.url).pathname;
    const now = Date.now();
    stats.received++;
    const { headers, over } = account(now);
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    if (over) {
      stats.throttled++;
      record(c, 429, null);
      return c.text("Too Many Requests", 429);
    }
    const hit = faultsFor(path);
    const has = (kind: FaultKind) => hit.find((f) => f.kind === kind);
    const respondFault = (status: number, kind: FaultKind) => record(c, status, kind);

    const slow = has("slow");
    if (slow) {
      const completed = await sleep(slow.delayMs ?? 1000, c.req.raw.signal);
      if (!completed) {
        stats.aborted++;
        record(c, 499, "slow");
        return c.body(null, 499 as never);
      }
    }
    const throttle = has("throttle");
    if (throttle) {
      c.header("x-ratelimit-remaining", "0");
      c.header("x-ratelimit-reset", epochSeconds(now + (throttle.resetInMs ?? 1000)));
      if (throttle.retryAfterSeconds !== undefined) c.header("retry-after", String(throttle.retryAfterSeconds));
      respondFault(429, "throttle");
      return c.text("Too Many Requests", 429);
    }
    const serverError = has("serverError");
    if (serverError) {
      const status = serverError.status ?? 503;
      respondFault(status, "serverError");
      return c.html(`<html><body><h1>${status} Service Unavailable</h1></body></html>`, status as never);
    }
    if (has("unauthorized")) {
      respondFault(401, "unauthorized");
      return c.json({ error: "Unauthorized" }, 401);
    }
    if (has("html404")) {
      respondFault(404, "html404");
      return c.html(html404(path), 404);
    }
    if (c.req.header("authorization") !== `Bearer ${token}`) {
      record(c, 401, null);
      return c.json({ error: "Unauthorized" }, 401);
    }
    if (has("badEnvelope")) {
      respondFault(200, "badEnvelope");
      return c.json({ resources: [] });
    }

    const rest = path.slice(version.length + 2);
    let status: number;
    let body: unknown;
    if (rest === "districts") {
      status = 200;
      body = { data: [{ data: district.record, uri: `/${version}/districts/${district.id}` }], links: [{ rel: "self", uri: `/${version}/districts` }] };
    } else if ((RESOURCES as ReadonlyArray<string>).includes(rest)) {
      const result = page(c, rest as Resource, version, { emptyTail: Boolean(has("emptyPageWithNext")), looping: Boolean(has("loopingNext")) });
      status = result.status;
      body = result.body;
    } else {
      record(c, 404, null);
      return c.html(html404(path), 404);
    }
    if (has("truncated")) {
      // Written on the socket directly: headers announce the full length, half the body follows,
      // then the connection drops, as a proxy or load balancer cutting a large page would.
      const bytes = Buffer.from(JSON.stringify(body));
      const outgoing = (c.env as HttpBindings).outgoing;
      outgoing.writeHead(status, { ...headers, "content-type": JSON_TYPE, "content-length": String(bytes.length) });
      outgoing.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => setTimeout(() => outgoing.destroy(), 10));
      respondFault(status, "truncated");
      return RESPONSE_ALREADY_SENT;
    }
    record(c, status, hit.length > 0 ? hit[0]!.kind : null);
    return c.body(JSON.stringify(body), status as never, { "content-type": JSON_TYPE });
  });

  app.notFound((c) => {
    record(c, 404, null);
    return c.html(html404(new URL(c.req.url).pathname), 404);
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1", overrideGlobalObjects: false }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    district,
    config: { clientId, clientSecret, districtId: district.id },
    token: () => token,
    rotateToken: () => {
      token = `${(++tokenCounter).toString(16).padStart(8, "0")}${token.slice(8)}`;
      return token;
    },
    inject,
    clearFaults: () => void faults.splice(0),
    log,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        const http = server as import("node:http").Server;
        http.close(() => resolve());
        http.closeAllConnections?.();
      }),
  };
};

/** The server for the life of a scope (an `it.effect` / `it.live` test or a layer). */
export const scoped = (options: FakeCleverOptions = {}): Effect.Effect<FakeCleverServer, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (server) => Effect.promise(() => server.close()));
