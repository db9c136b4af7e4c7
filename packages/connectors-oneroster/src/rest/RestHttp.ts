/**
 * One HTTP exchange with retries: 429 and transient 5xx are retried with exponential backoff and
 * jitter (honouring `Retry-After`), other 4xx are returned to the caller at once, every attempt has
 * its own timeout, and the caller's AbortSignal cancels waits and in-flight requests alike.
 */
import * as RateLimiter from "./RateLimiter";
import { RestFailure } from "./RestFailure";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this fails the read instead of stalling it. */
  readonly maxRetryAfterMs: number;
  /** Per attempt, for the whole response (headers and body). */
  readonly timeoutMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  timeoutMs: 30_000,
};

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface Transport {
  readonly fetch: Fetch;
  readonly policy: RetryPolicy;
  readonly limiter: RateLimiter.RateLimiter;
  /** In [0, 1); injectable so tests can pin the jitter. */
  readonly random: () => number;
}

/** 408 and the gateway/overload family are transient; 501, 505… are not worth repeating. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** `Retry-After` as delta-seconds or an HTTP date; `null` when absent or unreadable. */
export const retryAfterMs = (value: string | null, now = Date.now()): number | null => {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
};

/** Exponential backoff with "equal jitter": half fixed, half random, so retries never bunch up. */
export const backoffMs = (policy: RetryPolicy, attempt: number, random: () => number): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

const errorCode = (e: unknown): string => {
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause && typeof cause.code === "string" ? cause.code : e instanceof Error ? e.name : "unknown";
  return /^[A-Za-z0-9_]{1,40}$/.test(code) ? code : "unknown";
};

const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new DOMException("aborted", "AbortError");

const fetchOnce = async (t: Transport, req: HttpRequest, signal: AbortSignal, what: string): Promise<HttpResponse> => {
  const timeout = AbortSignal.timeout(t.policy.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  try {
    const init: RequestInit = { method: req.method, headers: req.headers, signal: combined };
    if (req.body !== undefined) init.body = req.body;
    const res = await t.fetch(req.url, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (e) {
    if (signal.aborted) throw abortReason(signal);
    // An injected transport refuses a destination by policy (the app's outbound guard): final, never retried.
    if (e instanceof Error && e.name === "OutboundRefused") throw new RestFailure("Forbidden", `${what}: ${e.message}`);
    if (timeout.aborted) throw new RestFailure("Timeout", `${what}: no complete response within ${t.policy.timeoutMs} ms`);
    throw new RestFailure("Transport", `${what}: could not reach the provider (${errorCode(e)})`);
  }
};

const exhausted = (status: number, what: string, attempts: number): RestFailure => {
  if (status === 429) {
    return new RestFailure("RateLimited", `${what}: still 429 Too Many Requests after ${attempts} attempts; lower requestsPerMinute for this provider`);
  }
  if (status === 408) return new RestFailure("Timeout", `${what}: provider kept answering 408 Request Timeout after ${attempts} attempts`);
  return new RestFailure("Transport", `${what}: provider kept answering ${status} after ${attempts} attempts`);
};

/**
 * Sends the request `build(attempt)` returns (built per attempt, so signatures and nonces are fresh)
 * and retries transient failures. Resolves with the first non-retryable response, whatever its
 * status; rejects with a `RestFailure` when retries run out, or with the abort reason on cancel.
 */
export const send = async (
  t: Transport,
  build: (attempt: number) => HttpRequest | Promise<HttpRequest>,
  signal: AbortSignal,
  what: string,
  onRetry?: (status: number | null) => void,
): Promise<HttpResponse> => {
  for (let attempt = 0; ; attempt++) {
    await t.limiter.acquire(signal);
    const req = await build(attempt);
    let res: HttpResponse;
    try {
      res = await fetchOnce(t, req, signal, what);
    } catch (e) {
      if (!(e instanceof RestFailure) || e.reason === "Forbidden") throw e;
      if (attempt >= t.policy.maxRetries) throw new RestFailure(e.reason, `${e.message} (after ${attempt + 1} attempts)`);
      onRetry?.(null);
      await RateLimiter.sleep(backoffMs(t.policy, attempt, t.random), signal);
      continue;
    }
    if (!RETRYABLE.has(res.status)) return res;
    const wait = retryAfterMs(res.headers.get("retry-after"));
    if (wait !== null && wait > t.policy.maxRetryAfterMs) {
      throw new RestFailure(
        res.status === 429 ? "RateLimited" : "Transport",
        `${what}: provider answered ${res.status} and asked to retry after ${Math.ceil(wait / 1000)} s, longer than the ${Math.round(t.policy.maxRetryAfterMs / 1000)} s this client waits`,
      );
    }
    if (attempt >= t.policy.maxRetries) throw exhausted(res.status, what, attempt + 1);
    onRetry?.(res.status);
    await RateLimiter.sleep(wait ?? backoffMs(t.policy, attempt, t.random), signal);
  }
};
