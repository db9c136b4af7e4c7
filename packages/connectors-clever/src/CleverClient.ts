/**
 * A thin client for Clever's Data API v3.0 with district-app tokens: token lookup, `next`-link
 * paging as a Stream, rate-limit pacing, retries and per-request timeouts. Every failure leaves as a
 * `RosterSourceError` whose message is safe to show (no token, no upstream body). Requests run one
 * at a time and are aborted when the calling fiber is interrupted.
 */
import { CleverConfig, RosterSourceError, type SourceErrorReason } from "@sis-sync/core";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Redacted from "effect/Redacted";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import * as Stream from "effect/Stream";
import { ofetch } from "ofetch";
import * as Pacing from "./internal/pacing";
import * as Wire from "./internal/wire";

export const DEFAULT_API_URL = "https://api.clever.com";
export const DEFAULT_OAUTH_URL = "https://clever.com";
/** Clever answers a larger `limit` with 413. */
export const MAX_PAGE_SIZE = 10_000;
/** Moderate pages: very large ones are known to end in gateway timeouts (spec §4). */
export const DEFAULT_PAGE_SIZE = 1000;

export interface CleverClientOptions {
  /** Data API origin (default `CLEVER_API_URL`, else https://api.clever.com). A path prefix is kept, for proxies. */
  readonly apiUrl?: string;
  /** OAuth origin for the token list (default `CLEVER_OAUTH_URL`, else https://clever.com). */
  readonly oauthUrl?: string;
  /** Path version segment; v3.1 has the same paths and only adds fields. */
  readonly apiVersion?: string;
  /** Records per page, 1..10000 (default 1000). */
  readonly pageSize?: number;
  /** Per request, including reading the body (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Retries of 5xx, timeouts and broken connections before the run fails (default 4). */
  readonly maxRetries?: number;
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** 429 answers waited out before giving up (default 10). */
  readonly maxThrottleRetries?: number;
  readonly rateLimit?: Partial<Pacing.PacingPolicy>;
  /** Own ceiling below Clever's, e.g. the provider option `requestsPerMinute`. */
  readonly requestsPerMinute?: number;
  /** Where `CLEVER_API_URL` / `CLEVER_OAUTH_URL` are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Randomness for jitter; injectable so delay tests are exact. */
  readonly random?: () => number;
}

export interface CleverSettings {
  readonly apiUrl: string;
  readonly oauthUrl: string;
  readonly apiVersion: string;
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly maxThrottleRetries: number;
  readonly backoff: Pacing.BackoffPolicy;
  readonly pacing: Pacing.PacingPolicy;
  readonly random: () => number;
  readonly districtId: string;
  readonly clientId: string;
  readonly clientSecret: Redacted.Redacted<string>;
  readonly accessToken: Redacted.Redacted<string> | null;
}

const fail = (reason: SourceErrorReason, message: string) => new RosterSourceError({ reason, message });

const baseUrl = (name: string, value: string | undefined): Result.Result<string, string> => {
  try {
    const url = new URL(value!);
    if (url.protocol !== "https:" && url.protocol !== "http:") return Result.fail(`${name} must be an http(s) URL`);
    return Result.succeed(`${url.origin}${url.pathname.replace(/\/+$/, "")}`);
  } catch {
    return Result.fail(`${name} is not a valid URL`);
  }
};

const positiveInt = (name: string, value: number, max = Number.MAX_SAFE_INTEGER): Result.Result<number, string> =>
  Number.isInteger(value) && value >= 1 && value <= max ? Result.succeed(value) : Result.fail(`${name} must be an integer from 1 to ${max}`);

const decodeConfig = Schema.decodeUnknownResult(CleverConfig);

/** Validates the provider config and options once, so a bad value fails fast with the field named. */
export const resolveSettings = (config: unknown, options: CleverClientOptions = {}): Result.Result<CleverSettings, RosterSourceError> => {
  const decoded = decodeConfig(config);
  if (Result.isFailure(decoded)) {
    // The schema message names the field, never the value, so it cannot leak the secret.
    return Result.fail(fail("Configuration", `Invalid Clever config: ${decoded.failure.message.replace(/\s*\n\s*/g, " ")}`));
  }
  const c = decoded.success;
  const env = options.env ?? process.env;
  const checks = {
    apiUrl: baseUrl("apiUrl", options.apiUrl ?? (env["CLEVER_API_URL"] || DEFAULT_API_URL)),
    oauthUrl: baseUrl("oauthUrl", options.oauthUrl ?? (env["CLEVER_OAUTH_URL"] || DEFAULT_OAUTH_URL)),
    pageSize: positiveInt("pageSize", options.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    requestTimeoutMs: positiveInt("requestTimeoutMs", options.requestTimeoutMs ?? 30_000),
  };
  for (const check of Object.values(checks) as ReadonlyArray<Result.Result<unknown, string>>) {
    if (Result.isFailure(check)) return Result.fail(fail("Configuration", check.failure));
  }
  const value = <A>(r: Result.Result<A, string>) => (r as Result.Success<A, string>).success;
  const apiVersion = options.apiVersion ?? "v3.0";
  if (!/^v\d+\.\d+$/.test(apiVersion)) return Result.fail(fail("Configuration", "apiVersion must look like v3.0"));
  return Result.succeed({
    apiUrl: value(checks.apiUrl),
    oauthUrl: value(checks.oauthUrl),
    apiVersion,
    pageSize: value(checks.pageSize),
    requestTimeoutMs: value(checks.requestTimeoutMs),
    maxRetries: Math.max(0, options.maxRetries ?? 4),
    maxThrottleRetries: Math.max(0, options.maxThrottleRetries ?? 10),
    backoff: { baseDelayMs: options.retryBaseDelayMs ?? 500, maxDelayMs: options.retryMaxDelayMs ?? 30_000 },
    pacing: {
      reserve: options.rateLimit?.reserve ?? null,
      marginMs: options.rateLimit?.marginMs ?? 500,
      jitterMs: options.rateLimit?.jitterMs ?? 500,
      maxWaitMs: options.rateLimit?.maxWaitMs ?? 65_000,
      requestsPerMinute: options.rateLimit?.requestsPerMinute ?? options.requestsPerMinute ?? null,
    },
    random: options.random ?? Math.random,
    districtId: c.districtId,
    clientId: c.clientId,
    clientSecret: Redacted.make(c.clientSecret),
    accessToken: c.accessToken === undefined ? null : Redacted.make(c.accessToken),
  });
};

export interface CleverClient {
  readonly settings: CleverSettings;
  /** One GET of an API path such as `/v3.0/districts`; the parsed JSON body. */
  readonly get: (path: string) => Effect.Effect<unknown, RosterSourceError>;
  /**
   * Every record of a list endpoint (`schools`, `users`, …), one array per page, following `next`
   * links until a page is empty or has no `next`. A malformed envelope or a looping link fails.
   */
  readonly list: (resource: string, params?: Readonly<Record<string, string>>) => Stream.Stream<ReadonlyArray<unknown>, RosterSourceError>;
}

type Sent =
  | { readonly _tag: "Response"; readonly status: number; readonly headers: Headers; readonly body: string }
  | { readonly _tag: "Network"; readonly detail: string }
  | { readonly _tag: "Timeout" };

interface Target {
  readonly url: string;
  /** Path and query for messages and logs; never carries a secret. */
  readonly display: string;
  readonly api: boolean;
}

/** A short, secret-free description of a transport error (ofetch messages embed the URL). */
const networkDetail = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : null;
  const message = typeof cause?.message === "string" ? cause.message : null;
  return [message, code && `(${code})`].filter(Boolean).join(" ") || "connection failed";
};

const looksHtml = (body: string) => /^\s*</.test(body);

export const make = (settings: CleverSettings): CleverClient => {
  let rate = Pacing.initialState;
  let token: Redacted.Redacted<string> | null = settings.accessToken;

  const send = (target: Target, authorization: string): Effect.Effect<Sent> =>
    Effect.tryPromise({
      try: (signal) =>
        ofetch.raw<string, "text">(target.url, {
          method: "GET",
          headers: { authorization, accept: "application/json" },
          signal,
          retry: false,
          ignoreResponseError: true,
          responseType: "text",
        }),
      catch: (error) => error,
    }).pipe(
      Effect.match({
        onSuccess: (res): Sent => ({ _tag: "Response", status: res.status, headers: res.headers, body: res._data ?? "" }),
        onFailure: (error): Sent => ({ _tag: "Network", detail: networkDetail(error) }),
      }),
      // Interrupting the request aborts its AbortSignal, so a timeout really ends the fetch.
      Effect.timeoutOrElse({ duration: settings.requestTimeoutMs, orElse: () => Effect.succeed<Sent>({ _tag: "Timeout" }) }),
    );

  const pace = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis;
    const delay = Pacing.delayBefore(rate, now, settings.pacing, settings.random);
    if (delay > 0) {
      yield* Effect.logDebug("pacing before the next Clever request").pipe(Effect.annotateLogs({ delayMs: Math.round(delay), remaining: rate.remaining ?? undefined }));
      yield* Effect.sleep(delay);
    }
    rate = Pacing.sent(rate, yield* Clock.currentTimeMillis);
  });

  const parseJson = (target: Target, sent: Extract<Sent, { _tag: "Response" }>): Effect.Effect<unknown, RosterSourceError> => {
    const contentType = sent.headers.get("content-type") ?? "";
    if (!/json/i.test(contentType)) {
      const what = looksHtml(sent.body) ? "an HTML page" : `a non-JSON body (${contentType || "no content type"})`;
      return Effect.fail(fail("BadResponse", `Clever answered GET ${target.display} with ${what} instead of JSON`));
    }
    try {
      return Effect.succeed(JSON.parse(sent.body) as unknown);
    } catch {
      return Effect.fail(fail("BadResponse", `Clever sent a malformed or truncated JSON body for GET ${target.display} (${sent.body.length} characters)`));
    }
  };

  /** A final, non-retried answer turned into the port's error. */
  const refusal = (target: Target, status: number, body: string): RosterSourceError => {
    const where = `GET ${target.display}`;
    if (status === 401) {
      return target.api
        ? fail("Unauthorized", "Clever rejected the token: re-authorize the district")
        : fail("Unauthorized", "Clever rejected the app's client credentials: check clientId and clientSecret");
    }
    if (status === 403) return fail("Forbidden", `Clever refused ${where} (HTTP 403): the app may lack the scope or Secure Sync for this data`);
    if (status === 404) {
      return looksHtml(body)
        ? fail("NotFound", `Clever answered ${where} with HTTP 404 and an HTML page: the token is probably not a district-app token, or the API URL or version is wrong`)
        : fail("NotFound", `Clever answered ${where} with HTTP 404: the data may have been unshared, or the API URL or version is wrong`);
    }
    if (status === 413) return fail("Configuration", `Clever refused the page size of ${where} (HTTP 413): use a pageSize of at most ${MAX_PAGE_SIZE}`);
    if (status === 400) return fail("Configuration", `Clever rejected ${where} as a bad request (HTTP 400)`);
    return fail("BadResponse", `Clever answered ${where} with HTTP ${status}`);
  };

  const retryable = (status: number) => status >= 500 && status !== 501;

  /** One logical request: pacing, retries of transient failures, 429 waits and one token refresh. */
  const request = (target: Target, authorization: Effect.Effect<string, RosterSourceError>, refreshToken: Effect.Effect<boolean>) =>
    Effect.gen(function* () {
      let failures = 0;
      let throttles = 0;
      let refreshed = false;
      for (;;) {
        if (target.api) yield* pace;
        const sent = yield* send(target, yield* authorization);
        const now = yield* Clock.currentTimeMillis;
        if (sent._tag === "Response" && target.api) rate = Pacing.observe(rate, sent.headers, now);
        if (sent._tag === "Response" && sent.status >= 200 && sent.status < 300) return yield* parseJson(target, sent);
        if (sent._tag === "Response" && sent.status === 429) {
          if (++throttles > settings.maxThrottleRetries) {
            return yield* fail("RateLimited", `Clever kept answering GET ${target.display} with HTTP 429 after ${throttles - 1} waits for the rate-limit reset`);
          }
          const wait = Pacing.throttledDelay(sent.headers, now, settings.pacing, settings.random, Pacing.backoff(throttles, settings.backoff, settings.random));
          yield* Effect.logWarning("Clever rate limit hit; waiting for the reset").pipe(Effect.annotateLogs({ path: target.display, waitMs: Math.round(wait) }));
          rate = { ...rate, remaining: 0, resetAtMs: now + wait };
          yield* Effect.sleep(wait);
          continue;
        }
        if (sent._tag === "Response" && sent.status === 401 && target.api && !refreshed && (yield* refreshToken)) {
          // Tokens can rotate; the district's current one is fetched again once before giving up.
          refreshed = true;
          yield* Effect.logWarning("Clever rejected the token; fetching the district's current token once");
          continue;
        }
        if (sent._tag === "Response" && !retryable(sent.status)) return yield* refusal(target, sent.status, sent.body);
        if (++failures > settings.maxRetries) {
          const attempts = `after ${failures} attempts`;
          if (sent._tag === "Timeout") {
            return yield* fail("Timeout", `Clever did not answer GET ${target.display} within ${settings.requestTimeoutMs} ms (${attempts})`);
          }
          if (sent._tag === "Network") {
            return yield* fail("Transport", `The connection to Clever failed during GET ${target.display}: ${sent.detail} (${attempts})`);
          }
          return yield* fail("Transport", `Clever failed with HTTP ${sent.status} on GET ${target.display} (${attempts})`);
        }
        const wait = Pacing.backoff(failures, settings.backoff, settings.random);
        yield* Effect.logWarning("Clever request failed; retrying").pipe(Effect.annotateLogs({
          path: target.display,
          failure: sent._tag === "Response" ? `HTTP ${sent.status}` : sent._tag === "Network" ? sent.detail : "timeout",
          attempt: failures,
          waitMs: Math.round(wait),
        }));
        yield* Effect.sleep(wait);
      }
    });

  const decodeTokens = Schema.decodeUnknownResult(Wire.TokenList);

  /** The district-app token for `districtId`, from the app's token list (Clever's documented lookup). */
  const fetchToken = Effect.gen(function* () {
    const query = new URLSearchParams({ owner_type: "district", district: settings.districtId });
    const basic = Buffer.from(`${settings.clientId}:${Redacted.value(settings.clientSecret)}`).toString("base64");
    const target: Target = { url: `${settings.oauthUrl}/oauth/tokens?${query}`, display: "/oauth/tokens", api: false };
    const body = yield* request(target, Effect.succeed(`Basic ${basic}`), Effect.succeed(false));
    const decoded = decodeTokens(body);
    if (Result.isFailure(decoded)) return yield* fail("BadResponse", "Clever's token list (/oauth/tokens) has an unexpected shape");
    // Filter here as well: the list must never hand us another district's token.
    const entry = decoded.success.data.find((t) => t.owner.type === "district" && t.owner.id === settings.districtId);
    if (entry === undefined || entry.access_token.trim() === "") {
      return yield* fail("Forbidden", `Clever has no token for district ${settings.districtId}: the district has not authorized this app, or the district id is wrong`);
    }
    return Redacted.make(entry.access_token);
  });

  const bearer: Effect.Effect<string, RosterSourceError> = Effect.gen(function* () {
    if (token === null) token = yield* fetchToken;
    return `Bearer ${Redacted.value(token)}`;
  });

  /** Drops a looked-up token so the next request fetches it again; a configured token cannot be refreshed. */
  const refreshToken = Effect.sync(() => {
    if (settings.accessToken !== null) return false;
    token = null;
    return true;
  });

  const apiTarget = (pathAndQuery: string): Target => ({ url: `${settings.apiUrl}${pathAndQuery}`, display: pathAndQuery, api: true });

  const get = (path: string) => request(apiTarget(path), bearer, refreshToken);

  const decodeList = Schema.decodeUnknownResult(Wire.ListEnvelope);

  const list = (resource: string, params: Readonly<Record<string, string>> = {}) => {
    const first = `/${settings.apiVersion}/${resource}?${new URLSearchParams({ ...params, limit: String(settings.pageSize) })}`;
    const seen = new Set<string>([cursorOf(first)]);
    return Stream.paginate(first, (pathAndQuery: string) =>
      Effect.gen(function* () {
        const body = yield* get(pathAndQuery);
        const decoded = decodeList(body);
        if (Result.isFailure(decoded)) {
          return yield* fail("BadResponse", `Clever answered GET ${pathAndQuery} with an unexpected body: not the {"data": [...]} list envelope`);
        }
        const items = decoded.success.data.map((item) => item.data);
        // Clever may hand out a `next` link that leads to an empty page: an empty page is the end.
        if (items.length === 0) return [[], Option.none<string>()] as const;
        const next = decoded.success.links?.find((link) => link.rel === "next")?.uri;
        if (next === undefined) return [[items], Option.none<string>()] as const;
        const nextPath = yield* resolveLink(next, pathAndQuery);
        const cursor = cursorOf(nextPath);
        if (seen.has(cursor)) {
          return yield* fail("BadResponse", `Clever's next link on GET ${pathAndQuery} points back to a page already read (${cursor}): paging stopped instead of looping`);
        }
        seen.add(cursor);
        return [[items], Option.some(nextPath)] as const;
      }));
  };

  /** `next` links are relative and include the version (`/v3.0/users?…`); an absolute one must stay on the API host. */
  const resolveLink = (uri: string, from: string): Effect.Effect<string, RosterSourceError> => {
    if (uri.startsWith("/")) return Effect.succeed(uri);
    try {
      const url = new URL(uri);
      const api = new URL(settings.apiUrl);
      if (url.origin === api.origin) return Effect.succeed(`${url.pathname.slice(api.pathname.replace(/\/$/, "").length)}${url.search}`);
    } catch {
      // fall through to the error below
    }
    return Effect.fail(fail("BadResponse", `Clever's next link on GET ${from} does not point at the API host; the token is not sent elsewhere`));
  };

  return { settings, get, list };
};

/** The page a link asks for: its `starting_after` cursor, or the whole link when it has none. */
const cursorOf = (pathAndQuery: string): string => {
  const query = pathAndQuery.includes("?") ? pathAndQuery.slice(pathAndQuery.indexOf("?") + 1) : "";
  const after = new URLSearchParams(query).get("starting_after");
  return after === null ? pathAndQuery : `starting_after=${after}`;
};
