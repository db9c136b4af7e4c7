/**
 * A requests-per-minute limit per provider. Requests are spaced evenly (no bursts), because the
 * vendors that publish a limit (and ClassLink, which does not) answer bursts with 429s.
 */
import { RestFailure } from "./RestFailure";

/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new DOMException("aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export interface RateLimiter {
  /** Waits for the next free slot; rejects when `signal` aborts while waiting. */
  readonly acquire: (signal?: AbortSignal) => Promise<void>;
}

export const unlimited: RateLimiter = { acquire: async () => {} };

/** One request every `60 000 / requestsPerMinute` ms at most. */
export const make = (requestsPerMinute: number | null | undefined): RateLimiter => {
  if (requestsPerMinute === null || requestsPerMinute === undefined) return unlimited;
  if (!Number.isFinite(requestsPerMinute) || requestsPerMinute <= 0) {
    throw new RestFailure("Configuration", `requestsPerMinute must be a positive number, got ${requestsPerMinute}`);
  }
  const interval = 60_000 / requestsPerMinute;
  let next = 0;
  return {
    acquire: async (signal) => {
      const now = Date.now();
      const at = Math.max(now, next);
      next = at + interval;
      await sleep(at - now, signal);
    },
  };
};

const shared = new Map<string, { readonly rpm: number; readonly limiter: RateLimiter }>();

/**
 * The limiter of one provider connection (`key`, e.g. base URL + client id), shared by every source
 * built for it in this process, so a connection test during a run still counts against the limit.
 */
export const forKey = (key: string, requestsPerMinute: number | null | undefined): RateLimiter => {
  if (requestsPerMinute === null || requestsPerMinute === undefined) return unlimited;
  const existing = shared.get(key);
  if (existing && existing.rpm === requestsPerMinute) return existing.limiter;
  const limiter = make(requestsPerMinute);
  shared.set(key, { rpm: requestsPerMinute, limiter });
  return limiter;
};
