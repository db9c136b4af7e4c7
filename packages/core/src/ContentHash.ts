/**
 * Content hashing of normalized fields. Two records hash alike exactly when every normalized field
 * is equal, so "unchanged" never depends on raw noise such as `dateLastModified`.
 *
 * Values are fed to the hash one by one, each behind a type tag, instead of hashing a JSON text of
 * them: on ~1M rows per sync building that text cost more than the hashing itself.
 */
import type { ClassFields, EnrollmentFields, FieldsByKind, Kind, SchoolFields, UserFields } from "./Roster";

/**
 * A cyrb53-style 2×32-bit streaming hash. Not cryptographic: it only decides whether a record
 * changed since the provider last sent it (or keys an external id in a `ContentDigest`), where
 * 2^-64 odds of a miss are fine and speed on ~1M rows per sync matters.
 */
class Hasher {
  h1 = 0;
  h2 = 0;

  reset(): this {
    this.h1 = 0xdeadbeef;
    this.h2 = 0x41c6ce57;
    return this;
  }

  char(ch: number): void {
    this.h1 = Math.imul(this.h1 ^ ch, 2654435761);
    this.h2 = Math.imul(this.h2 ^ ch, 1597334677);
  }

  string(s: string, start = 0, end = s.length): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = start; i < end; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** One value behind a tag that no character can forge (tags are above the UTF-16 range). */
  value(v: unknown): void {
    if (v === null || v === undefined) return this.char(0x10000);
    switch (typeof v) {
      case "string":
        this.char(0x10001);
        this.char(v.length);
        return this.string(v);
      case "boolean":
        return this.char(v ? 0x10002 : 0x10003);
      case "number":
        this.char(0x10004);
        return this.string(String(v));
      default:
        if (Array.isArray(v)) {
          this.char(0x10005);
          this.char(v.length);
          for (const item of v) this.value(item);
          return;
        }
        this.char(0x10006);
        return this.string(JSON.stringify(v));
    }
  }

  finish(): void {
    const h1 = Math.imul(this.h1 ^ (this.h1 >>> 16), 2246822507) ^ Math.imul(this.h2 ^ (this.h2 >>> 13), 3266489909);
    const h2 = Math.imul(this.h2 ^ (this.h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.h1 = h1 >>> 0;
    this.h2 = h2 >>> 0;
  }

  hex(): string {
    pair[0] = this.h2;
    pair[1] = this.h1;
    return hashHex(pair);
  }
}

const shared = new Hasher();
const pair = new Uint32Array(2);

// Field order is fixed here rather than taken from object key order, which connectors do not promise.
const feed: { readonly [K in Kind]: (h: Hasher, fields: FieldsByKind[K]) => void } = {
  school: (h, f: SchoolFields) => {
    h.value(f.name); h.value(f.identifier); h.value(f.type); h.value(f.parentExternalId); h.value(f.grades);
  },
  class: (h, f: ClassFields) => {
    h.value(f.title); h.value(f.classCode); h.value(f.classType); h.value(f.schoolExternalId);
    if (f.course === null) h.value(null);
    else {
      h.char(0x10005); h.value(f.course.externalId); h.value(f.course.title); h.value(f.course.code);
    }
    h.char(0x10005);
    h.char(f.terms.length);
    for (const t of f.terms) {
      h.value(t.externalId); h.value(t.title); h.value(t.type); h.value(t.startDate); h.value(t.endDate); h.value(t.schoolYear);
    }
    h.value(f.periods); h.value(f.subjects); h.value(f.grades); h.value(f.location);
  },
  user: (h, f: UserFields) => {
    h.value(f.role); h.value(f.givenName); h.value(f.familyName); h.value(f.middleName); h.value(f.email);
    h.value(f.username); h.value(f.studentNumber); h.value(f.stateId); h.value(f.grades); h.value(f.schoolExternalIds);
    h.value(f.enabled);
  },
  enrollment: (h, f: EnrollmentFields) => {
    h.value(f.classExternalId); h.value(f.userExternalId); h.value(f.role); h.value(f.primary); h.value(f.beginDate); h.value(f.endDate);
  },
};

/** The 64-bit hash of a string as 16 hex digits. */
export const hashString = (input: string): string => {
  const h = shared.reset();
  h.string(input);
  h.finish();
  return h.hex();
};

/**
 * The 64-bit hash of a string (or of its characters from `start` to `end`) as two 32-bit halves,
 * written into `out` (no allocation: the digest keys every external id of a feed with it).
 */
export const hashStringInto = (input: string, out: Uint32Array, start = 0, end = input.length): void => {
  const h = shared.reset();
  h.string(input, start, end);
  h.finish();
  out[0] = h.h2;
  out[1] = h.h1;
};

/** The content hash of a record's normalized fields: 16 hex digits. */
export const contentHash = <K extends Kind>(kind: K, fields: FieldsByKind[K]): string => {
  const h = shared.reset();
  feed[kind](h, fields);
  h.finish();
  return h.hex();
};

/** `contentHash` as two 32-bit halves written into `out` (high half first), without a string. */
export const contentHashInto = <K extends Kind>(kind: K, fields: FieldsByKind[K], out: Uint32Array): void => {
  const h = shared.reset();
  feed[kind](h, fields);
  h.finish();
  out[0] = h.h2;
  out[1] = h.h1;
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Two 32-bit halves (high first) as the 16 hex digits `contentHash` gives. */
export const hashHex = (halves: Uint32Array): string => {
  const a = halves[0]!;
  const b = halves[1]!;
  return HEX[a >>> 24]! + HEX[(a >>> 16) & 0xff]! + HEX[(a >>> 8) & 0xff]! + HEX[a & 0xff]! +
    HEX[b >>> 24]! + HEX[(b >>> 16) & 0xff]! + HEX[(b >>> 8) & 0xff]! + HEX[b & 0xff]!;
};

const hexDigit = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/**
 * Parses 16 hex digits (the whole of `hex`, or its characters from `start` to `end`) into two
 * 32-bit halves; false when they are not such a hash.
 */
export const parseHashHex = (hex: string, out: Uint32Array, start = 0, end = hex.length): boolean => {
  if (end - start !== 16) return false;
  let hi = 0;
  let lo = 0;
  for (let i = start; i < start + 8; i++) {
    const d = hexDigit(hex.charCodeAt(i));
    const e = hexDigit(hex.charCodeAt(i + 8));
    if (d < 0 || e < 0) return false;
    hi = hi * 16 + d;
    lo = lo * 16 + e;
  }
  out[0] = hi;
  out[1] = lo;
  return true;
};
