/**
 * Rate-limit pacing and retry delays, as pure functions of the last observed `X-RateLimit-*`
 * headers and the current time. Clever allows 1200 requests per minute per token and resets the
 * count at `X-RateLimit-Reset`; a good partner slows down before the budget is gone instead of
 * collecting 429s.
 */

export interface PacingPolicy {
  /** Requests kept in hand per window for other callers of the same token (a UI "test connection"). */
  readonly reserve: number | null;
  /** Added to every wait for the reset: absorbs clock skew between Clever and us. */
  readonly marginMs: number;
  /** Upper bound of the random extra wait, so parallel clients don't all wake at the reset. */
  readonly jitterMs: number;
  /** No single wait is longer than this (a reset far in the future is a clock problem, not a plan). */
  readonly maxWaitMs: number;
  /** Optional own ceiling (provider option `requestsPerMinute`), applied as a minimum spacing. */
  readonly requestsPerMinute: number | null;
}

export interface RateState {
  readonly limit: number | null;
  readonly remaining: number | null;
  readonly resetAtMs: number | null;
  readonly lastRequestAtMs: number | null;
}

export const initialState: RateState = { limit: null, remaining: null, resetAtMs: null, lastRequestAtMs: null };

type HeaderGetter = { readonly get: (name: string) => string | null };

const number = (value: string | null): number | null => {
  if (value === null || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
};

/**
 * `X-RateLimit-Reset` as epoch milliseconds. Clever sends epoch seconds; fractions are accepted (the
 * fake server uses sub-second windows), as are small values meaning "seconds from now".
 */
export const resetAt = (value: string | null, nowMs: number): number | null => {
  const n = number(value);
  if (n === null || n < 0) return null;
  if (n > 1e12) return n;
  if (n > 1e9) return n * 1000;
  return nowMs + n * 1000;
};

/** `Retry-After` in milliseconds from now: delta seconds or an HTTP date. Not seen from Clever, honoured if sent. */
export const retryAfter = (value: string | null, nowMs: number): number | null => {
  if (value === null || value.trim() === "") return null;
  const n = number(value);
  if (n !== null) return n >= 0 ? n * 1000 : null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
};

/** Folds one response's headers into the state. Responses without the headers (OAuth host) leave it as it was. */
export const observe = (state: RateState, headers: HeaderGetter, nowMs: number): RateState => {
  const remaining = number(headers.get("x-ratelimit-remaining"));
  const reset = resetAt(headers.get("x-ratelimit-reset"), nowMs);
  if (remaining === null || reset === null) return state;
  return { ...state, limit: number(headers.get("x-ratelimit-limit")) ?? state.limit, remaining, resetAtMs: reset };
};

export const sent = (state: RateState, nowMs: number): RateState => ({
  ...state,
  lastRequestAtMs: nowMs,
  // Count the request now so back-to-back calls before the next response do not overspend.
  remaining: state.remaining === null ? null : state.remaining - 1,
});

const reserveOf = (state: RateState, policy: PacingPolicy) =>
  policy.reserve ?? Math.max(1, Math.floor((state.limit ?? 0) * 0.01));

/** How long to wait before the next request. */
export const delayBefore = (state: RateState, nowMs: number, policy: PacingPolicy, random: () => number): number => {
  let delay = 0;
  if (policy.requestsPerMinute !== null && state.lastRequestAtMs !== null) {
    delay = Math.max(0, state.lastRequestAtMs + 60_000 / policy.requestsPerMinute - nowMs);
  }
  const { remaining, resetAtMs, limit } = state;
  if (remaining !== null && resetAtMs !== null && resetAtMs > nowMs) {
    const reserve = reserveOf(state, policy);
    const untilReset = resetAtMs - nowMs;
    if (remaining <= reserve) {
      delay = Math.max(delay, untilReset + policy.marginMs + random() * policy.jitterMs);
    } else if (limit !== null && remaining < limit * 0.1) {
      // Near the end of the budget, spread what is left over the rest of the window.
      delay = Math.max(delay, untilReset / (remaining - reserve));
    }
  }
  return Math.min(delay, policy.maxWaitMs);
};

/** The wait after a 429: `Retry-After` if sent, else until the reset, else a backoff step. */
export const throttledDelay = (
  headers: HeaderGetter,
  nowMs: number,
  policy: PacingPolicy,
  random: () => number,
  fallbackMs: number,
): number => {
  const after = retryAfter(headers.get("retry-after"), nowMs);
  const reset = resetAt(headers.get("x-ratelimit-reset"), nowMs);
  const base = after ?? (reset === null ? fallbackMs : Math.max(0, reset - nowMs));
  return Math.min(base + policy.marginMs + random() * policy.jitterMs, policy.maxWaitMs);
};

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread without collapsing to zero. */
export const backoff = (attempt: number, policy: BackoffPolicy, random: () => number): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
};
