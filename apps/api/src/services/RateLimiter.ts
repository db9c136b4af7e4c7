/**
 * A small in-process sliding-window limiter: at most `max` takes per key within `windowMs`. Used
 * for manual syncs and connection tests per provider; one API process, so memory is enough.
 */
export interface RateLimitOptions {
  readonly max: number;
  readonly windowMs: number;
  readonly now?: (() => number) | undefined;
}

export type Take = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  readonly take: (key: string) => Take;
}

export const makeRateLimiter = (options: RateLimitOptions): RateLimiter => {
  const now = options.now ?? Date.now;
  const hits = new Map<string, Array<number>>();
  const prune = (t: number) => {
    if (hits.size < 10_000) return;
    for (const [key, times] of hits) if ((times[times.length - 1] ?? 0) <= t - options.windowMs) hits.delete(key);
  };
  return {
    take: (key) => {
      const t = now();
      prune(t);
      const recent = (hits.get(key) ?? []).filter((at) => at > t - options.windowMs);
      if (recent.length >= options.max) {
        hits.set(key, recent);
        const retryAfterMs = recent[0]! + options.windowMs - t;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
      }
      recent.push(t);
      hits.set(key, recent);
      return { ok: true };
    },
  };
};
