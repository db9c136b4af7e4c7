/**
 * The OneRoster 1.1 REST adapter of core's `RosterSource` port: reads orgs, academic sessions,
 * courses, classes, users and enrollments page by page and streams bulk batches in the order
 * school → class → user → enrollment. Interrupting the stream aborts the request in flight.
 */
import { decodeProviderConfig, RosterSource, RosterSourceError, type Kind, type OneRosterApiConfig, type Origin, type RosterSourceShape, type RowIssue, type SourceBatch } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import * as OAuth2 from "./OAuth2";
import * as OneRosterRestClient from "./OneRosterRestClient";
import * as M from "./OneRosterRestMapping";
import * as RateLimiter from "./RateLimiter";
import * as RestAuth from "./RestAuth";
import { RestFailure, toSourceError } from "./RestFailure";
import * as RestHttp from "./RestHttp";

export interface OneRosterRestOptions {
  /** Names the provider in messages ("OneRoster API", "ClassLink"). */
  readonly label?: string;
  /**
   * Records per page. Defaults to 100, the spec's default and the one size every server must
   * honour; raise it for servers known to accept more (a silent cap is detected, not absorbed).
   */
  readonly pageSize?: number;
  /** The provider's `options.requestsPerMinute`; shared by every source of the same connection in this process. */
  readonly requestsPerMinute?: number | null;
  /** Per request, headers and body included. Default 30 s. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<Omit<RestHttp.RetryPolicy, "timeoutMs">>;
  /** Send `sort=sourcedId&orderBy=asc` (default true). */
  readonly sort?: boolean;
  /** Halve the page size when a page answers 502 (ClassLink guidance). Default false. */
  readonly shrinkOn502?: boolean;
  /** Confirm a short page with no full page before it with one more request (default true; see the client). */
  readonly verifyShortPages?: boolean;
  /** Runaway protection (default 100 000). */
  readonly maxPagesPerCollection?: number;
  readonly oauth2?: {
    /** Space-separated; `null` for none. Default: the v1p1 roster-core and roster read scopes. */
    readonly scope?: string | null;
    readonly clientAuth?: "basic" | "body";
  };
  /** Injected by tests or by an app that guards outbound addresses. Default: global fetch. */
  readonly fetch?: RestHttp.Fetch;
  /** Jitter source in [0, 1); tests pin it. */
  readonly random?: () => number;
  readonly userAgent?: string;
}

const DEFAULT_PAGE_SIZE = 100;
const USER_AGENT = "sis-sync-oneroster/0.1";

/**
 * The base URL as configured, without a trailing slash. A bare host gets the spec's
 * `/ims/oneroster/v1p1` root (spec §1.1); any other path is kept, since proxies put the root deeper.
 */
export const normalizeBaseUrl = (raw: string): string => {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new RestFailure("Configuration", "baseUrl is not a valid URL");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new RestFailure("Configuration", "baseUrl must be an http(s) URL");
  if (u.username !== "" || u.password !== "") throw new RestFailure("Configuration", "baseUrl must not carry credentials");
  if (u.search !== "" || u.hash !== "") throw new RestFailure("Configuration", "baseUrl must not carry a query or fragment");
  const path = u.pathname.replace(/\/+$/, "");
  return `${u.origin}${path === "" ? "/ims/oneroster/v1p1" : path}`;
};

/**
 * The OAuth 2.0 token endpoint when none is configured: `/token` at the root of the provider's
 * host, the one default the sources report (spec §4.2). Vendors differ, so the 404 message asks
 * for an explicit tokenUrl.
 */
export const defaultTokenUrl = (baseUrl: string): string => `${new URL(baseUrl).origin}/token`;

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RestFailure("Configuration", `${name} must be a positive number`);
  return value;
};

/** Builds the client for a config; throws a `Configuration` failure for an unusable one. */
export const makeClient = (config: OneRosterApiConfig, options: OneRosterRestOptions = {}): OneRosterRestClient.OneRosterRestClient => {
  const baseUrl = normalizeBaseUrl(config.baseUrl);
  const transport: RestHttp.Transport = {
    fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    policy: {
      ...RestHttp.DEFAULT_POLICY,
      ...options.retry,
      timeoutMs: positive("timeoutMs", options.timeoutMs, RestHttp.DEFAULT_POLICY.timeoutMs),
    },
    limiter: RateLimiter.forKey(`${baseUrl}|${config.clientId}`, options.requestsPerMinute),
    random: options.random ?? Math.random,
  };
  const authMethod = config.authMethod ?? "oauth1";
  const auth = authMethod === "oauth2"
    ? RestAuth.oauth2({
      tokenUrl: normalizeTokenUrl(config.tokenUrl ?? defaultTokenUrl(baseUrl)),
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      scope: options.oauth2?.scope === undefined ? OAuth2.DEFAULT_SCOPE : options.oauth2.scope,
      clientAuth: options.oauth2?.clientAuth ?? "basic",
      refreshMarginMs: 30_000,
    }, transport)
    : RestAuth.oauth1({ clientId: config.clientId, clientSecret: config.clientSecret, signatureMethod: config.signatureMethod ?? "HMAC-SHA256" });
  const pageSize = Math.floor(positive("pageSize", options.pageSize, DEFAULT_PAGE_SIZE));
  return OneRosterRestClient.make({
    baseUrl,
    auth,
    transport,
    pageSize,
    sort: options.sort ?? true,
    shrinkOn502: options.shrinkOn502 ?? false,
    // Up to four halvings after 502s (ClassLink: 1000 → 62), never below one record.
    minPageSize: Math.max(1, Math.floor(pageSize / 16)),
    maxPages: Math.floor(positive("maxPagesPerCollection", options.maxPagesPerCollection, 100_000)),
    verifyShortPages: options.verifyShortPages ?? true,
    userAgent: options.userAgent ?? USER_AGENT,
  });
};

const normalizeTokenUrl = (raw: string): string => {
  try {
    const u = new URL(raw.trim());
    if (u.protocol === "https:" || u.protocol === "http:") return u.href;
  } catch {
    // reported below
  }
  throw new RestFailure("Configuration", "tokenUrl is not a valid http(s) URL");
};

const originOf = (page: OneRosterRestClient.Page, index: number): Origin => ({ file: `/${page.collection.path}`, line: page.offset + index + 1 });

type MapInto = (raw: unknown, origin: Origin, sink: M.Sink) => void;

/** One batch per page of a kind, and always at least one, so the safeguard sees an empty kind. */
async function* batchesOf(
  kind: Kind,
  pages: AsyncIterable<OneRosterRestClient.Page>,
  map: MapInto,
  carried: ReadonlyArray<RowIssue> = [],
): AsyncGenerator<SourceBatch, void, undefined> {
  let emitted = false;
  let pending = carried;
  for await (const page of pages) {
    const sink = M.newSink();
    sink.issues.push(...pending);
    pending = [];
    page.records.forEach((raw, i) => map(raw, originOf(page, i), sink));
    if (emitted && sink.records.length === 0 && sink.issues.length === 0) continue;
    yield { kind, mode: "bulk", records: sink.records, issues: sink.issues };
    emitted = true;
  }
  if (!emitted) yield { kind, mode: "bulk", records: [], issues: pending };
}

/** The whole roster read, as plain async iteration (the port adapts it to a Stream). */
export async function* readRoster(client: OneRosterRestClient.OneRosterRestClient, signal: AbortSignal): AsyncGenerator<SourceBatch, void, undefined> {
  const C = OneRosterRestClient.COLLECTIONS;
  yield* batchesOf("school", client.pages(C.orgs, signal), M.school);

  // Sessions and courses are small and only needed to fold into classes: kept in memory. Their
  // issues (kind null, as in the CSV reader) travel with the first class batch.
  const lookups = M.emptyLookups();
  const lookupSink = M.newSink();
  for await (const page of client.pages(C.academicSessions, signal)) {
    page.records.forEach((raw, i) => M.term(lookups, raw, originOf(page, i), lookupSink));
  }
  for await (const page of client.pages(C.courses, signal)) {
    page.records.forEach((raw, i) => M.course(lookups, raw, originOf(page, i), lookupSink));
  }

  yield* batchesOf("class", client.pages(C.classes, signal), (raw, origin, sink) => M.klass(lookups, raw, origin, sink), lookupSink.issues);
  yield* batchesOf("user", client.pages(C.users, signal), M.user);
  yield* batchesOf("enrollment", client.pages(C.enrollments, signal), M.enrollment);
}

const labelled = (label: string) => (e: unknown): RosterSourceError => {
  const error = toSourceError(e);
  return error.reason === "Cancelled" ? error : new RosterSourceError({ reason: error.reason, message: `${label} ${error.message}` });
};

/** A source over a ready client; ClassLink and tests build their client and reuse this. */
export const fromClient = (client: OneRosterRestClient.OneRosterRestClient, label: string): RosterSourceShape => {
  const toError = labelled(label);
  return RosterSource.of({
    extract: Stream.unwrap(
      Effect.map(
        // The finalizer runs when the stream ends or is interrupted: aborting stops the request in flight.
        Effect.acquireRelease(Effect.sync(() => new AbortController()), (controller) => Effect.sync(() => controller.abort())),
        (controller) => Stream.fromAsyncIterable(readRoster(client, controller.signal), toError),
      ),
    ),
    testConnection: Effect.tryPromise({ try: (signal) => client.ping(signal), catch: toError }),
  });
};

/** A source that fails every call with `error` (an unusable config is reported when used, not when built). */
export const failing = (error: RosterSourceError): RosterSourceShape =>
  RosterSource.of({ extract: Stream.fail(error), testConnection: Effect.fail(error) });

/**
 * The adapter for an `ONEROSTER_API` provider. `config` is a `OneRosterApiConfig`, decoded here so a
 * stored config that no longer fits fails the run with a `Configuration` error instead of a crash.
 */
export const make = (config: unknown, options: OneRosterRestOptions = {}): RosterSourceShape => {
  const label = options.label ?? "OneRoster API";
  const decoded = decodeProviderConfig("ONEROSTER_API", config);
  if (Exit.isFailure(decoded)) {
    // The schema's own message may quote a mistyped secret, so only the expected shape is named.
    return failing(new RosterSourceError({
      reason: "Configuration",
      message: `${label} config is invalid: expected { baseUrl, clientId, clientSecret, authMethod?: "oauth1" | "oauth2", signatureMethod?: "HMAC-SHA256" | "HMAC-SHA1", tokenUrl? }`,
    }));
  }
  try {
    return fromClient(makeClient(decoded.value as OneRosterApiConfig, options), label);
  } catch (e) {
    return failing(labelled(label)(e));
  }
};

/**
 * @example
 * const source = OneRosterRestSource.layer({ baseUrl, clientId, clientSecret }, { requestsPerMinute: 600 })
 * yield* RunExecutor.execute(run, provider).pipe(Effect.provide(source))
 */
export const layer = (config: unknown, options: OneRosterRestOptions = {}): Layer.Layer<RosterSource> =>
  Layer.succeed(RosterSource, make(config, options));
