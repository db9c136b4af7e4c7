/**
 * A OneRoster 1.1 REST server on loopback for tests of this package and of the apps: it verifies
 * OAuth 1.0a signatures and OAuth 2.0 bearer tokens, serves a (mutable) district with real
 * limit/offset paging and injects the faults real providers produce, on demand.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import * as Effect from "effect/Effect";
import { Hono } from "hono";
import type { Context } from "hono";
import { oauth1Verifier, tokenStore } from "./FakeAuth";
import { COLLECTION_NAMES, type CollectionName, type District, type JsonRecord } from "./FakeDistrict";

/** The three error body shapes of spec §1.7. */
export type ErrorShape = "statusInfoSet" | "imsx" | "flat";

export type Fault =
  /** Answer with this status (429/500/503/…) instead of the data, optionally with `Retry-After`. */
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: string; readonly body?: ErrorShape | "none" }
  /** Hold the response back this long, then answer normally. */
  | { readonly kind: "delay"; readonly ms: number }
  /** A 200 whose JSON is cut in half (with a matching Content-Length). */
  | { readonly kind: "truncate" }
  /** Serve at most `max` records whatever `limit` says, without saying so. */
  | { readonly kind: "capLimit"; readonly max: number }
  /** Ignore `offset` and serve the page at `offset` (default 0) again. */
  | { readonly kind: "repeatPage"; readonly offset?: number }
  /** A 200 without the collection's envelope key (default body: a flat imsx failure status). */
  | { readonly kind: "missingEnvelope"; readonly body?: unknown }
  /** Drop the connection without an answer. */
  | { readonly kind: "reset" };

export interface FaultRule {
  /** Only requests for this collection (or the token endpoint); any when omitted. */
  readonly collection?: CollectionName | "token";
  /** Only requests at this offset; any when omitted. */
  readonly offset?: number;
  /** How many matching requests it hits; 1 by default, `Infinity` for a persistent fault. */
  readonly times?: number;
}

export interface LoggedRequest {
  readonly at: number;
  readonly method: string;
  readonly collection: CollectionName | "token" | null;
  readonly limit: number | null;
  readonly offset: number | null;
  readonly query: Readonly<Record<string, string>>;
  auth: "oauth1" | "oauth2" | null;
  nonce: string | null;
  signatureMethod: string | null;
  status: number;
  fault: Fault["kind"] | null;
}

export interface FakeServerOptions {
  readonly district?: District;
  /** Which credentials the API accepts. Default `any` (OAuth 1.0a signatures or OAuth 2.0 tokens). */
  readonly auth?: "oauth1" | "oauth2" | "any" | "none";
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly signatureMethods?: ReadonlyArray<"HMAC-SHA256" | "HMAC-SHA1">;
  readonly tokenTtlSeconds?: number;
  /** Send `X-Total-Count` (default true). */
  readonly totalCount?: boolean;
  /** Envelope key per collection, or `"bare"` for a bare JSON array (spec §1.3 variants). */
  readonly envelopes?: Partial<Record<CollectionName, string>>;
  /** `false`: answer 400 invalid_sort_field to any `sort` (some servers support none, spec §10.4). */
  readonly sortable?: boolean;
  /** Mount point of the API. Default `/ims/oneroster/v1p1`. */
  readonly pathPrefix?: string;
}

export interface FakeOneRosterServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The API root, to use as a provider's `baseUrl`. */
  readonly baseUrl: string;
  /** Where OAuth 2.0 tokens are issued (`${origin}/token`, the connector's default). */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The served data; mutate it or replace it between runs. */
  district: District;
  readonly requests: ReadonlyArray<LoggedRequest>;
  readonly inject: (fault: Fault, rule?: FaultRule) => void;
  readonly clearFaults: () => void;
  readonly clearRequests: () => void;
  /** Invalidates every issued token (expiry, rotation): the next API call answers 401. */
  readonly revokeTokens: () => void;
  readonly tokensIssued: () => number;
  readonly close: () => Promise<void>;
}

export const emptyDistrict = (): District => ({ orgs: [], academicSessions: [], courses: [], classes: [], users: [], enrollments: [] });

const errorBody = (shape: ErrorShape, codeMinor: string, description: string): unknown => {
  const info = {
    imsx_codeMajor: "failure",
    imsx_severity: "error",
    imsx_messageRefIdentifier: "fake",
    imsx_description: description,
    imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: codeMinor }] },
  };
  if (shape === "statusInfoSet") return { statusInfoSet: [info] };
  if (shape === "imsx") return info;
  return { imsx_codeMajor: "failure", imsx_severity: "error", imsx_description: description, imsx_codeMinor: codeMinor };
};

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

const STATUS_MINOR: Record<number, string> = { 400: "invalid_data", 401: "unauthorisedrequest", 403: "forbidden", 404: "unknownobject", 429: "server_busy" };

/** Starts the server on 127.0.0.1 on a free port. */
export const start = async (options: FakeServerOptions = {}): Promise<FakeOneRosterServer> => {
  const clientId = options.clientId ?? "fake-client-id";
  const clientSecret = options.clientSecret ?? "fake-client-secret";
  const authMode = options.auth ?? "any";
  const prefix = (options.pathPrefix ?? "/ims/oneroster/v1p1").replace(/\/+$/, "");
  const verifier = oauth1Verifier({ clientId, clientSecret, signatureMethods: options.signatureMethods ?? ["HMAC-SHA256", "HMAC-SHA1"] });
  const tokens = tokenStore(options.tokenTtlSeconds ?? 3600);
  const closing = new AbortController();
  const requests: Array<LoggedRequest> = [];
  let faults: Array<{ fault: Fault; rule: FaultRule; remaining: number }> = [];

  const takeFault = (collection: CollectionName | "token", offset: number | null, kinds: ReadonlyArray<Fault["kind"]>): Fault | null => {
    const hit = faults.find((f) =>
      f.remaining > 0 && kinds.includes(f.fault.kind) &&
      (f.rule.collection === undefined || f.rule.collection === collection) &&
      (f.rule.offset === undefined || f.rule.offset === offset));
    if (!hit) return null;
    hit.remaining--;
    return hit.fault;
  };

  const early = async (c: Context, entry: LoggedRequest, collection: CollectionName | "token"): Promise<Response | null> => {
    const fault = takeFault(collection, entry.offset, ["status", "delay", "reset"]);
    if (fault === null) return null;
    entry.fault = fault.kind;
    if (fault.kind === "delay") {
      await delay(fault.ms, closing.signal);
      return null;
    }
    if (fault.kind === "reset") {
      (c.env as { incoming?: { socket?: { destroy: () => void } } } | undefined)?.incoming?.socket?.destroy();
      entry.status = 0;
      return new Response(null, { status: 500 });
    }
    if (fault.kind !== "status") return null;
    entry.status = fault.status;
    const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
    if (fault.body === "none") return new Response("", { status: fault.status, headers });
    return json(errorBody(fault.body ?? "statusInfoSet", STATUS_MINOR[fault.status] ?? "server_busy", "injected fault"), fault.status, headers);
  };

  const authenticate = (c: Context, entry: LoggedRequest): string | null => {
    if (authMode === "none") return null;
    const header = c.req.header("authorization");
    if (header?.startsWith("Bearer ") && authMode !== "oauth1") {
      entry.auth = "oauth2";
      return tokens.check(header.slice("Bearer ".length)) ? null : "invalid or expired token";
    }
    if (authMode === "oauth2") return "a bearer token is required";
    entry.auth = "oauth1";
    const verdict = verifier.verify(c.req.method, c.req.url, header);
    if (!verdict.ok) return verdict.why;
    entry.nonce = verdict.nonce;
    entry.signatureMethod = verdict.signatureMethod;
    return null;
  };

  const app = new Hono();

  app.post("/token", async (c) => {
    const entry: LoggedRequest = { at: Date.now(), method: "POST", collection: "token", limit: null, offset: null, query: {}, auth: null, nonce: null, signatureMethod: null, status: 0, fault: null };
    requests.push(entry);
    const faulted = await early(c, entry, "token");
    if (faulted) return faulted;
    const form = new URLSearchParams(await c.req.text());
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(.+)$/i.exec(c.req.header("authorization") ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      id = unform(decoded.slice(0, colon));
      secret = unform(decoded.slice(colon + 1));
    }
    if (form.get("grant_type") !== "client_credentials") {
      entry.status = 400;
      return json({ error: "unsupported_grant_type" }, 400);
    }
    if (id !== clientId || secret !== clientSecret) {
      entry.status = 401;
      return json({ error: "invalid_client" }, 401);
    }
    const { token, expiresIn } = tokens.issue();
    entry.status = 200;
    return json({ access_token: token, token_type: "bearer", expires_in: expiresIn }, 200);
  });

  app.get(`${prefix}/:collection`, async (c) => {
    const name = c.req.param("collection");
    const collection = (COLLECTION_NAMES as ReadonlyArray<string>).includes(name) ? (name as CollectionName) : null;
    const query = c.req.query();
    const limitText = query["limit"];
    const offsetText = query["offset"];
    const limit = limitText === undefined ? 100 : /^\d+$/.test(limitText) ? Number(limitText) : NaN;
    const offset = offsetText === undefined ? 0 : /^\d+$/.test(offsetText) ? Number(offsetText) : NaN;
    const entry: LoggedRequest = {
      at: Date.now(), method: "GET", collection, limit: Number.isNaN(limit) ? null : limit, offset: Number.isNaN(offset) ? null : offset,
      query, auth: null, nonce: null, signatureMethod: null, status: 0, fault: null,
    };
    requests.push(entry);
    if (collection === null) {
      entry.status = 404;
      return json(errorBody("statusInfoSet", "unknownobject", "no such collection"), 404);
    }
    const faulted = await early(c, entry, collection);
    if (faulted) return faulted;
    const refused = authenticate(c, entry);
    if (refused !== null) {
      entry.status = 401;
      return json(errorBody("statusInfoSet", "unauthorisedrequest", refused), 401);
    }
    if (Number.isNaN(limit) || limit < 1 || Number.isNaN(offset)) {
      entry.status = 400;
      return json(errorBody("flat", "invalid_data", "limit and offset must be non-negative integers"), 400);
    }
    if (query["sort"] !== undefined && (query["sort"] !== "sourcedId" || options.sortable === false)) {
      entry.status = 400;
      return json(errorBody("statusInfoSet", "invalid_sort_field", "only sourcedId can be sorted on"), 400);
    }
    const fault = takeFault(collection, offset, ["truncate", "capLimit", "repeatPage", "missingEnvelope"]);
    entry.fault = fault?.kind ?? null;
    if (fault?.kind === "missingEnvelope") {
      entry.status = 200;
      return json(fault.body ?? errorBody("flat", "server_busy", "backend unavailable"), 200);
    }
    let rows: ReadonlyArray<JsonRecord> = server.district[collection];
    if (query["sort"] === "sourcedId") {
      const sign = query["orderBy"] === "desc" ? -1 : 1;
      rows = [...rows].sort((a, b) => (String(a["sourcedId"]) < String(b["sourcedId"]) ? -sign : String(a["sourcedId"]) > String(b["sourcedId"]) ? sign : 0));
    }
    const servedLimit = fault?.kind === "capLimit" ? Math.min(limit, fault.max) : limit;
    const servedOffset = fault?.kind === "repeatPage" ? (fault.offset ?? 0) : offset;
    const page = rows.slice(servedOffset, servedOffset + servedLimit);
    const key = options.envelopes?.[collection] ?? collection;
    const text = JSON.stringify(key === "bare" ? page : { [key]: page });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.totalCount !== false) headers["x-total-count"] = String(rows.length);
    entry.status = 200;
    return new Response(fault?.kind === "truncate" ? text.slice(0, Math.floor(text.length / 2)) : text, { status: 200, headers });
  });

  app.notFound((c) => json(errorBody("statusInfoSet", "unknownobject", `no route for ${new URL(c.req.url).pathname}`), 404));

  const http = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s as Server)) as Server;
  });
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  const server: FakeOneRosterServer = {
    origin,
    baseUrl: `${origin}${prefix}`,
    tokenUrl: `${origin}/token`,
    clientId,
    clientSecret,
    district: options.district ?? emptyDistrict(),
    requests,
    inject: (fault, rule = {}) => {
      faults.push({ fault, rule, remaining: rule.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    clearRequests: () => {
      requests.length = 0;
    },
    revokeTokens: () => tokens.revokeAll(),
    tokensIssued: () => tokens.issued,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
  return server;
};

/** The server as a scoped resource: started on acquire, closed when the scope closes. */
export const scoped = (options: FakeServerOptions = {}) =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (server) => Effect.promise(() => server.close()));
