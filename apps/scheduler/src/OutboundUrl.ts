/**
 * Outbound safety: decides whether the server may connect to a provider URL or host. Provider
 * URLs must be https and must not reach loopback, private, link-local, CGNAT, metadata,
 * unspecified, multicast or reserved addresses (nor IPv4-mapped, IPv4-compatible, NAT64 or 6to4
 * spellings of them), unless `SIS_ALLOW_PRIVATE_NETWORK=true` — and even then cloud metadata,
 * multicast, broadcast, unspecified and reserved addresses stay refused.
 *
 * The address rules are pure functions (`parseIPv4`, `parseIPv6`, `classifyAddress`,
 * `checkUrlSyntax`); `checkUrl` / `checkHost` add DNS resolution (every resolved address must be
 * allowed); `guardedFetch` is a `fetch` that follows redirects only after checking each hop, for
 * connectors that want the same rules at run time.
 */
import { lookup } from "node:dns/promises";
import type { LookupAddress, LookupOptions } from "node:dns";
import { Agent, fetch as undiciFetch } from "undici";

/** What an address is, as far as outbound safety cares. */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved";

/** Classes `SIS_ALLOW_PRIVATE_NETWORK=true` unlocks; every other non-public class is always refused. */
const UNLOCKABLE: ReadonlySet<AddressClass> = new Set(["loopback", "private", "link-local", "cgnat"]);

const DESCRIBE: Record<Exclude<AddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  "link-local": "a link-local address",
  cgnat: "a carrier-grade NAT (shared) address",
  metadata: "a cloud metadata address",
  unspecified: "the unspecified address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved or special-purpose address",
};

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses IPv4 the way `inet_aton` (and so `getaddrinfo`, `ping`, `curl`) does: one to four parts,
 * each decimal, `0x` hex or `0`-prefixed octal, the last part filling the remaining bytes
 * (`127.1`, `2130706433`, `0x7f.0.0.1`, `0177.0.0.1`). Returns the address as an unsigned 32-bit
 * number, or null when `text` is not an IPv4 literal.
 */
export const parseIPv4 = (text: string): number | null => {
  const trimmed = text.endsWith(".") ? text.slice(0, -1) : text;
  const parts = trimmed.split(".");
  if (parts.length === 0 || parts.length > 4) return null;
  const values: Array<number> = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isSafeInteger(value)) return null;
    values.push(value);
  }
  const last = values[values.length - 1]!;
  const head = values.slice(0, -1);
  if (head.some((v) => v > 255)) return null;
  if (last >= 2 ** (8 * (4 - head.length))) return null;
  let result = 0;
  head.forEach((v, i) => {
    result += v * 2 ** (8 * (3 - i));
  });
  return result + last;
};

/** Formats a 32-bit IPv4 number as dotted quad. */
export const formatIPv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/**
 * Parses an IPv6 literal (with or without brackets; a zone id `%eth0` is refused) into 16 bytes,
 * accepting `::` compression and a dotted IPv4 tail (`::ffff:127.0.0.1`). Null when not IPv6.
 */
export const parseIPv6 = (text: string): Uint8Array | null => {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (s.includes("%") || !s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const words: Array<number> = [];
  const parseGroups = (chunk: string): Array<number> | null => {
    if (chunk === "") return [];
    const groups = chunk.split(":");
    const out: Array<number> = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(g)) return null;
        const octets = g.split(".").map(Number);
        if (octets.some((o) => o > 255)) return null;
        out.push(octets[0]! * 256 + octets[1]!, octets[2]! * 256 + octets[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const halves = s.split("::");
  if (halves.length > 2) return null;
  if (halves.length === 2) {
    const left = parseGroups(halves[0]!);
    const right = parseGroups(halves[1]!);
    if (left === null || right === null || left.length + right.length > 7) return null;
    words.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  } else {
    const all = parseGroups(s);
    if (all === null || all.length !== 8) return null;
    words.push(...all);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
};

// ---------------------------------------------------------------------------------------------
// Classification

const inV4 = (n: number, base: string, bits: number): boolean => {
  const b = parseIPv4(base)!;
  const size = 2 ** (32 - bits);
  return Math.floor(n / size) === Math.floor(b / size);
};

/** Cloud metadata endpoints (AWS, GCP, Azure, OpenStack: 169.254.169.254; Alibaba: 100.100.100.200; AWS: 169.254.170.2). */
const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "169.254.170.23", "100.100.100.200"]);

export const classifyIPv4 = (n: number): AddressClass => {
  if (METADATA_V4.has(formatIPv4(n))) return "metadata";
  if (n === 0xffffffff) return "broadcast";
  if (inV4(n, "0.0.0.0", 8)) return "unspecified";
  if (inV4(n, "127.0.0.0", 8)) return "loopback";
  if (inV4(n, "10.0.0.0", 8) || inV4(n, "172.16.0.0", 12) || inV4(n, "192.168.0.0", 16)) return "private";
  if (inV4(n, "169.254.0.0", 16)) return "link-local";
  if (inV4(n, "100.64.0.0", 10)) return "cgnat";
  if (inV4(n, "224.0.0.0", 4)) return "multicast";
  if (
    inV4(n, "192.0.0.0", 24) || inV4(n, "192.0.2.0", 24) || inV4(n, "198.18.0.0", 15) || inV4(n, "198.51.100.0", 24) ||
    inV4(n, "203.0.113.0", 24) || inV4(n, "240.0.0.0", 4) || inV4(n, "192.88.99.0", 24)
  ) {
    return "reserved";
  }
  return "public";
};

const v4At = (b: Uint8Array, offset: number): number =>
  b[offset]! * 2 ** 24 + b[offset + 1]! * 2 ** 16 + b[offset + 2]! * 2 ** 8 + b[offset + 3]!;

const prefixEquals = (b: Uint8Array, prefix: ReadonlyArray<number>, bits: number): boolean => {
  for (let i = 0; i < bits; i++) {
    const byte = Math.floor(i / 8);
    const mask = 0x80 >> i % 8;
    if ((b[byte]! & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
};

export const classifyIPv6 = (b: Uint8Array): AddressClass => {
  const zeroUpTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(16)) return "unspecified";
  if (zeroUpTo(15) && b[15] === 1) return "loopback";
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (SIIT): the embedded IPv4 decides.
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4(v4At(b, 12));
  if (zeroUpTo(12)) return classifyIPv4(v4At(b, 12));
  if (zeroUpTo(8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return classifyIPv4(v4At(b, 12));
  // 64:ff9b::/96 well-known NAT64 prefix: the embedded IPv4 decides; 64:ff9b:1::/48 is for local use.
  if (prefixEquals(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return classifyIPv4(v4At(b, 12));
  if (prefixEquals(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return "private";
  // 2002::/16 6to4: the IPv4 in bits 16..48 decides.
  if (b[0] === 0x20 && b[1] === 0x02) {
    return classifyIPv4(v4At(b, 2));
  }
  // Teredo (2001::/32) hides an obfuscated IPv4; documentation 2001:db8::/32; ORCHIDv2 and benchmarking.
  if (prefixEquals(b, [0x20, 0x01, 0x00, 0x00], 32)) return "reserved";
  if (prefixEquals(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return "reserved";
  if (prefixEquals(b, [0x20, 0x01, 0x00, 0x20], 28) || prefixEquals(b, [0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 48)) return "reserved";
  if (prefixEquals(b, [0x01, 0x00, 0, 0, 0, 0, 0, 0], 64)) return "reserved"; // discard-only
  // AWS's IPv6 metadata endpoint fd00:ec2::254 (inside fc00::/7).
  if (prefixEquals(b, [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54], 128)) return "metadata";
  if ((b[0]! & 0xfe) === 0xfc) return "private"; // unique local fc00::/7
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local"; // fe80::/10
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return "private"; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return "multicast";
  if ((b[0]! & 0xe0) !== 0x20) return "reserved"; // outside 2000::/3 global unicast
  return "public";
};

/** Classifies an IP literal (IPv4 in any inet_aton spelling, IPv6 with or without brackets); null when not an IP. */
export const classifyAddress = (text: string): AddressClass | null => {
  const v4 = parseIPv4(text);
  if (v4 !== null) return classifyIPv4(v4);
  const v6 = parseIPv6(text);
  return v6 === null ? null : classifyIPv6(v6);
};

/** Host names that always mean this machine or a metadata service, whatever DNS says. */
const blockedName = (host: string): AddressClass | null => {
  if (host === "localhost" || host.endsWith(".localhost") || host === "localhost.localdomain") return "loopback";
  if (host === "metadata.google.internal" || host === "metadata.goog" || host === "metadata" || host === "instance-data") return "metadata";
  return null;
};

// ---------------------------------------------------------------------------------------------
// Policy and checks

export interface OutboundPolicy {
  /** `SIS_ALLOW_PRIVATE_NETWORK=true`: loopback, private, link-local and CGNAT become reachable (and plain http to them). */
  readonly allowPrivateNetwork: boolean;
  /** DNS resolution (all addresses of a name); defaults to `dns.lookup` with `all: true`. */
  readonly resolve?: ((host: string) => Promise<ReadonlyArray<string>>) | undefined;
  /** Give up on DNS after this long (default 5 s). */
  readonly resolveTimeoutMs?: number | undefined;
}

export type HostVerdict =
  | { readonly ok: true; readonly host: string; readonly addresses: ReadonlyArray<string> }
  | { readonly ok: false; readonly reason: string };

export type Verdict =
  | { readonly ok: true; readonly url: URL; readonly host: string; readonly addresses: ReadonlyArray<string> }
  | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): { readonly ok: false; readonly reason: string } => ({ ok: false, reason });

const allowedClass = (cls: AddressClass, policy: OutboundPolicy): boolean =>
  cls === "public" || (policy.allowPrivateNetwork && UNLOCKABLE.has(cls));

const unlockedClass = (cls: AddressClass | null, policy: OutboundPolicy): boolean =>
  cls !== null && policy.allowPrivateNetwork && UNLOCKABLE.has(cls);

const classReason = (cls: Exclude<AddressClass, "public">, policy: OutboundPolicy): string =>
  `${DESCRIBE[cls]}${policy.allowPrivateNetwork || !UNLOCKABLE.has(cls) ? "" : " (private networks are refused unless SIS_ALLOW_PRIVATE_NETWORK=true)"}`;

/** Lower-cases, strips brackets and one trailing dot. */
export const normalizeHost = (host: string): string => {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
};

const HOST_CHARS = /^[a-z0-9.:_-]+$/;

/** Host checks that need no DNS: IP literals in any spelling, and names that always mean local or metadata. */
export const checkHostSyntax = (rawHost: string, policy: OutboundPolicy): HostVerdict => {
  const host = normalizeHost(rawHost);
  if (host === "" || host.length > 253 || !HOST_CHARS.test(host)) return refuse("is not a valid host name");
  const literal = classifyAddress(host);
  if (literal !== null) {
    return literal === "public" || allowedClass(literal, policy) ? { ok: true, host, addresses: [host] } : refuse(`points to ${classReason(literal as Exclude<AddressClass, "public">, policy)}`);
  }
  if (host.includes(":")) return refuse("is not a valid host name");
  // Digits-and-dots (or hex) that inet_aton would not take, e.g. 256.1.1.1, are not names either.
  if (/^[0-9.]+$/.test(host) || /^0x[0-9a-fx.]*$/.test(host)) return refuse("is not a valid host name");
  const named = blockedName(host);
  if (named !== null && !allowedClass(named, policy)) return refuse(`points to ${classReason(named as Exclude<AddressClass, "public">, policy)}`);
  return { ok: true, host, addresses: [] };
};

const parseUrl = (raw: string): URL | null => {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
};

/**
 * The URL checks that need no DNS: https (plain http only to a private or loopback literal when
 * private networks are allowed), no credentials in the URL, a host that is not a refused IP
 * literal (any spelling: the WHATWG parser turns `0x7f.1` and `2130706433` into `127.0.0.1`) or
 * name. `ok` means "not refused yet": names still need `checkUrl`.
 */
export const checkUrlSyntax = (raw: string, policy: OutboundPolicy, options: { readonly httpByName?: boolean } = {}): Verdict => {
  const url = parseUrl(raw);
  if (url === null) return refuse("must be an absolute https URL");
  if (url.protocol !== "https:" && url.protocol !== "http:") return refuse("must be an https URL");
  if (url.username !== "" || url.password !== "") return refuse("must not contain a user name or password");
  const hostVerdict = checkHostSyntax(url.hostname, policy);
  if (!hostVerdict.ok) return hostVerdict;
  if (url.protocol === "http:") {
    const host = hostVerdict.host;
    const literal = classifyAddress(host) ?? blockedName(host);
    const byName = options.httpByName === true && literal === null && policy.allowPrivateNetwork;
    if (!byName && !unlockedClass(literal, policy)) return refuse("must use https");
  }
  return { ok: true, url, host: hostVerdict.host, addresses: hostVerdict.addresses };
};

const defaultResolve = async (host: string): Promise<ReadonlyArray<string>> =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const withTimeout = <A>(promise: Promise<A>, ms: number): Promise<A> =>
  new Promise<A>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("timeout")), ms);
    promise.then((a) => {
      clearTimeout(timer);
      ok(a);
    }, (e: unknown) => {
      clearTimeout(timer);
      fail(e);
    });
  });

/** Resolves a host that passed `checkHostSyntax`; refused when any address is not allowed. */
const checkResolved = async (host: string, policy: OutboundPolicy): Promise<HostVerdict> => {
  if (classifyAddress(host) !== null) return { ok: true, host, addresses: [host] };
  let addresses: ReadonlyArray<string>;
  try {
    addresses = await withTimeout((policy.resolve ?? defaultResolve)(host), policy.resolveTimeoutMs ?? 5_000);
  } catch {
    return refuse(`host ${host} does not resolve`);
  }
  if (addresses.length === 0) return refuse(`host ${host} does not resolve`);
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === null) return refuse(`host ${host} does not resolve to an IP address`);
    if (!allowedClass(cls, policy)) return refuse(`host ${host} resolves to ${classReason(cls as Exclude<AddressClass, "public">, policy)}`);
  }
  return { ok: true, host, addresses };
};

/**
 * Full check of a provider URL: syntax, then DNS (every address must be allowed). Plain http is
 * accepted only when private networks are allowed and every address is private or loopback.
 */
export const checkUrl = async (raw: string, policy: OutboundPolicy): Promise<Verdict> => {
  const syntax = checkUrlSyntax(raw, policy, { httpByName: true });
  if (!syntax.ok) return syntax;
  const resolved = await checkResolved(syntax.host, policy);
  if (!resolved.ok) return resolved;
  if (syntax.url.protocol === "http:" && !resolved.addresses.every((a) => unlockedClass(classifyAddress(a), policy))) {
    return refuse("must use https");
  }
  return { ok: true, url: syntax.url, host: syntax.host, addresses: resolved.addresses };
};

/** Full check of a bare host (SFTP): IP literal rules in inet_aton spellings, then DNS. */
export const checkHost = async (rawHost: string, policy: OutboundPolicy): Promise<HostVerdict> => {
  const syntax = checkHostSyntax(rawHost, policy);
  if (!syntax.ok) return syntax;
  return checkResolved(syntax.host, policy);
};

// ---------------------------------------------------------------------------------------------
// Redirects

const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

const withoutCredentials = (headers: Headers): Headers => {
  const kept = new Headers(headers);
  for (const name of CREDENTIAL_HEADERS) kept.delete(name);
  return kept;
};

export class OutboundRefused extends Error {
  override readonly name = "OutboundRefused";
}

export interface GuardedFetchOptions {
  readonly maxRedirects?: number;
  /** The fetch to send through; default: one whose connections look up names by `pinnedLookup`. */
  readonly fetch?: typeof globalThis.fetch;
}

const familyOf = (address: string): 4 | 6 => (address.includes(":") ? 6 : 4);

type LookupCallback = (error: Error | null, address: string | ReadonlyArray<LookupAddress>, family?: number) => void;

/**
 * The DNS lookup a connection makes, under the policy: every address of the name must be allowed,
 * and the connection goes to one of them. The URL check before each request resolves the name too,
 * but the connection would resolve it again; a name answering outward to the check and inward to
 * the connection (DNS rebinding) is refused here.
 */
export const pinnedLookup = (policy: OutboundPolicy) => (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
  checkResolved(hostname, policy).then(
    (verdict) => {
      if (!verdict.ok) return callback(Object.assign(new OutboundRefused(`connection to ${verdict.reason}`), { code: "EREFUSED" }), "", 0);
      if (options.all === true) return callback(null, verdict.addresses.map((address) => ({ address, family: familyOf(address) })));
      const address = verdict.addresses.find((a) => (options.family !== 4 && options.family !== 6) || familyOf(a) === options.family) ?? verdict.addresses[0]!;
      callback(null, address, familyOf(address));
    },
    (error: Error) => callback(error, "", 0),
  );
};

/** A fetch whose connections resolve names through `pinnedLookup`. */
const pinnedFetch = (policy: OutboundPolicy): typeof globalThis.fetch => {
  const agent = new Agent({ connect: { lookup: pinnedLookup(policy) as never } });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch;
};

/** The refusal inside a failed fetch (undici wraps connect errors as `TypeError: fetch failed`). */
const refusalIn = (error: unknown): OutboundRefused | null => {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) if (e instanceof OutboundRefused) return e;
  return null;
};

/**
 * A `fetch` that checks the URL before connecting and follows at most `maxRedirects` (default 3)
 * redirects, checking every hop (scheme downgrades included) instead of following blindly. A hop
 * to another origin goes without the credential headers, and never with the request body. Its
 * connections resolve names through `pinnedLookup`, so what was checked is what is connected to.
 * Rejects with `OutboundRefused` when a hop is not allowed. Usable as a connector transport.
 */
export const guardedFetch = (policy: OutboundPolicy, options: GuardedFetchOptions = {}): typeof globalThis.fetch => {
  const inner = options.fetch ?? pinnedFetch(policy);
  const maxRedirects = options.maxRedirects ?? 3;
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const base: RequestInit = input instanceof Request ? { headers: input.headers, ...init } : { ...init };
    let method = (base.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    let body = base.body;
    let headers = new Headers(base.headers);
    for (let hop = 0; ; hop++) {
      const verdict = await checkUrl(url, policy);
      if (!verdict.ok) throw new OutboundRefused(hop === 0 ? `URL ${verdict.reason}` : `redirect target ${verdict.reason}`);
      const res = await inner(url, { ...base, headers, method, body: body ?? null, redirect: "manual" }).catch((error: unknown) => {
        throw refusalIn(error) ?? error;
      });
      if (res.status < 300 || res.status > 399 || res.status === 304) return res;
      const location = res.headers.get("location");
      await res.body?.cancel().catch(() => undefined);
      if (location === null) return res;
      if (hop >= maxRedirects) throw new OutboundRefused(`more than ${maxRedirects} redirects`);
      const next = new URL(location, url);
      if (new URL(url).protocol === "https:" && next.protocol !== "https:") throw new OutboundRefused("redirect downgrades https to http");
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      // Credentials were meant for the origin they were sent to, not wherever it points next: a
      // token endpoint answering 307 to another host would otherwise receive the client secret.
      if (next.origin !== new URL(url).origin) {
        if (body !== undefined && body !== null) throw new OutboundRefused("redirect to another origin would resend the request body");
        headers = withoutCredentials(headers);
      }
      url = next.href;
    }
  };
  return guarded as typeof globalThis.fetch;
};

/**
 * Sends one GET to `url` without following redirects, and checks where any redirect chain leads.
 * Resolves `null` when the URL and every hop are allowed (or the host does not answer: reachability
 * is not this check's concern), else the reason. Never reads the response body.
 */
export const probeRedirects = async (
  url: string,
  policy: OutboundPolicy,
  options: GuardedFetchOptions & { readonly timeoutMs?: number } = {},
): Promise<string | null> => {
  const fetcher = guardedFetch(policy, options);
  try {
    const res = await fetcher(url, { method: "GET", signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    await res.body?.cancel().catch(() => undefined);
    return null;
  } catch (error) {
    return error instanceof OutboundRefused ? error.message : null;
  }
};
