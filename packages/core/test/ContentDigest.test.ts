import { assert, describe, it } from "@effect/vitest";
import { ContentDigest } from "../src/ContentDigest";
import { contentHash, contentHashInto, hashHex, parseHashHex } from "../src/ContentHash";
import type { FieldsByKind, Kind } from "../src/Roster";
import * as F from "../src/testing/Fixtures";

/** A deterministic 32-bit generator (mulberry32), so a failure can be replayed. */
const random32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
};

const halves = (hi: number, lo: number) => Uint32Array.of(hi, lo);
const hex = (hi: number, lo: number) => hashHex(halves(hi, lo));

const H1 = halves(0x01234567, 0x89abcdef);
const H2 = halves(0x01234567, 0x89abcdee);

const digestOf = (entries: ReadonlyArray<readonly [string, string]>) => {
  const digest = ContentDigest.withCapacity(entries.length);
  for (const [id, hash] of entries) digest.add(id, hash);
  return digest;
};

describe("ContentDigest", () => {
  it("an empty digest finds every row new", () => {
    const digest = ContentDigest.empty();
    assert.strictEqual(digest.size, 0);
    assert.strictEqual(digest.check("u1", H1), "new");
    assert.strictEqual(digest.check("u1", H1), "new");
    assert.strictEqual(ContentDigest.withCapacity(10).check("u1", H1), "new");
  });

  it("the same content hash is unchanged, another one changed", () => {
    const digest = digestOf([["u1", hashHex(H1)], ["u2", hashHex(H1)]]);
    assert.strictEqual(digest.size, 2);
    assert.strictEqual(digest.check("u1", H1), "unchanged");
    assert.strictEqual(digest.check("u2", H2), "changed");
    // Both halves count: the same low half with another high half is a change too.
    const other = digestOf([["u3", hashHex(H1)]]);
    assert.strictEqual(other.check("u3", halves(0x01234566, 0x89abcdef)), "changed");
  });

  it("reads `id<TAB>hash` lines where they stand, as add would one by one", () => {
    const entries: Array<readonly [string, string]> = [["u1", hashHex(H1)], ["u 2,\"x\"", hashHex(H2)], ["ünï", "not-a-hash"], ["u4", hashHex(H1)]];
    const lines = ContentDigest.withCapacity(entries.length);
    lines.addLines(entries.map(([id, hash]) => `${id}\t${hash}`).join("\n"));
    const one = digestOf(entries);
    assert.strictEqual(lines.size, one.size);
    for (const [id, hash] of [["u1", H1], ["u 2,\"x\"", H2], ["ünï", H1], ["u4", H2], ["u5", H1]] as const) {
      assert.strictEqual(lines.check(id, hash), one.check(id, hash), id);
    }
    const empty = ContentDigest.withCapacity(1);
    empty.addLines("");
    assert.strictEqual(empty.size, 0);
    assert.throws(() => ContentDigest.withCapacity(1).addLines("no tab here"), /without a tab/);
  });

  it("accepts the stored hash in upper case", () => {
    const digest = digestOf([["u1", hashHex(H1).toUpperCase()]]);
    assert.strictEqual(digest.check("u1", H1), "unchanged");
  });

  it("a second check of a known id is a repeat, whatever its content", () => {
    const digest = digestOf([["u1", hashHex(H1)], ["u2", hashHex(H1)]]);
    assert.strictEqual(digest.check("u1", H1), "unchanged");
    assert.strictEqual(digest.check("u1", H1), "repeat");
    assert.strictEqual(digest.check("u1", H2), "repeat");
    assert.strictEqual(digest.check("u2", H2), "changed");
    assert.strictEqual(digest.check("u2", H1), "repeat");
  });

  it("ids that were not added are new, every time", () => {
    const digest = digestOf([["u1", hashHex(H1)]]);
    assert.strictEqual(digest.check("u9", H1), "new");
    assert.strictEqual(digest.check("u9", H1), "new");
    assert.strictEqual(digest.check("", H1), "new");
    assert.strictEqual(digest.check("U1", H1), "new");
    assert.strictEqual(digest.check("u1 ", H1), "new");
    assert.strictEqual(digest.check("u1", H1), "unchanged");
  });

  it("an external id added twice is a clash: changed on every check, never unchanged nor a repeat", () => {
    for (const second of [hashHex(H1), hashHex(H2)]) {
      const digest = digestOf([["u1", hashHex(H1)], ["u1", second], ["u2", hashHex(H1)]]);
      assert.strictEqual(digest.check("u1", H1), "changed");
      assert.strictEqual(digest.check("u1", H1), "changed");
      assert.strictEqual(digest.check("u1", H2), "changed");
      // The clash does not spill over to its neighbours.
      assert.strictEqual(digest.check("u2", H1), "unchanged");
      assert.strictEqual(digest.check("u2", H1), "repeat");
    }
  });

  it("a malformed stored hash is never unchanged", () => {
    const zero = halves(0, 0);
    const malformed = ["", "0", "000000000000000", "00000000000000000", "000000000000000g", "0x00000000000000", " 000000000000000", "-000000000000000"];
    for (const stored of malformed) {
      const digest = digestOf([["u1", stored], ["u2", hex(0, 0)]]);
      // An all-zero incoming hash would match the zeroed slot if the parse failure were ignored.
      assert.strictEqual(digest.check("u1", zero), "changed", JSON.stringify(stored));
      assert.strictEqual(digest.check("u1", zero), "changed", JSON.stringify(stored));
      assert.strictEqual(digest.check("u2", zero), "unchanged", JSON.stringify(stored));
    }
  });

  it("allSeen: every active link counted, held under a key of its own, and checked", () => {
    const seenAll = (entries: ReadonlyArray<readonly [string, string]>, activeLinks: number | null, ids: ReadonlyArray<string>) => {
      const digest = ContentDigest.withCapacity(entries.length, activeLinks);
      for (const [id, hash] of entries) digest.add(id, hash);
      for (const id of ids) digest.check(id, H2);
      return digest.allSeen;
    };
    const two: ReadonlyArray<readonly [string, string]> = [["u1", hashHex(H1)], ["u2", hashHex(H1)]];
    assert.isTrue(seenAll(two, 2, ["u1", "u2"]));
    assert.isTrue(seenAll(two, 2, ["u2", "u9", "u1", "u1"]), "new ids and repeats do not matter");
    assert.isFalse(seenAll(two, 2, ["u1", "u9"]), "u2 was not sent");
    assert.isFalse(seenAll(two, 3, ["u1", "u2"]), "a link the digest does not hold");
    assert.isFalse(seenAll(two, null, ["u1", "u2"]), "a store that did not count");
    assert.isFalse(seenAll([["u1", hashHex(H1)], ["u1", hashHex(H1)]], 2, ["u1"]), "two links under one key");
    assert.isFalse(seenAll([["u1", "not-a-hash"]], 1, ["u1"]), "a link whose content is unknowable");
    assert.isTrue(seenAll([], 0, []), "no links at all");
    assert.isFalse(ContentDigest.empty().allSeen);
  });

  it("withCapacity(n) holds n entries", () => {
    for (const n of [0, 1, 11, 12, 13, 23, 24, 25, 47, 48, 49, 96, 97, 1000, 3073]) {
      const digest = ContentDigest.withCapacity(n);
      for (let i = 0; i < n; i++) digest.add(`id${i}`, hex(i, n));
      assert.strictEqual(digest.size, n);
      for (let i = 0; i < n; i++) assert.strictEqual(digest.check(`id${i}`, halves(i, n)), "unchanged", `n=${n} i=${i}`);
    }
  });

  it("100 000 random ids are all found again, with their own hash", () => {
    const next = random32(42);
    const n = 100_000;
    const ids: Array<string> = [];
    const hashes = new Uint32Array(n * 2);
    const digest = ContentDigest.withCapacity(n);
    for (let i = 0; i < n; i++) {
      ids.push(`${next().toString(36)}-${next().toString(36)}-${i}`);
      hashes[i * 2] = next();
      hashes[i * 2 + 1] = next();
      digest.add(ids[i]!, hashHex(hashes.subarray(i * 2, i * 2 + 2)));
    }
    assert.strictEqual(digest.size, n);
    const verdicts = new Map<string, number>();
    const tally = (v: string) => verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    // Odd ids come with another hash: found, but changed.
    for (let i = 0; i < n; i++) {
      const h = hashes.slice(i * 2, i * 2 + 2);
      if (i % 2 === 1) h[1] = h[1]! ^ 1;
      tally(digest.check(ids[i]!, h));
    }
    for (let i = 0; i < 1000; i++) tally(digest.check(`absent-${i}`, hashes.subarray(0, 2)));
    for (let i = 0; i < n; i += 997) tally(digest.check(ids[i]!, hashes.subarray(i * 2, i * 2 + 2)));
    assert.deepStrictEqual(Object.fromEntries(verdicts), { unchanged: n / 2, changed: n / 2, new: 1000, repeat: Math.ceil(n / 997) });
  });

  it("adding beyond its capacity throws a clear error, and what it holds stays intact", () => {
    // A table of 2^k slots is full at 3/4 of them, so these sizes leave no slack: entry n + 1 is too many.
    // (A bound past the slot count would make a missing check hang the suite instead of failing it.)
    for (const n of [12, 96, 768, 3 << 14]) {
      const digest = ContentDigest.withCapacity(n);
      for (let i = 0; i < n; i++) digest.add(`id${i}`, hex(0, i));
      assert.throws(() => digest.add(`id${n}`, hex(0, n)), /ContentDigest is full.*withCapacity/);
      assert.strictEqual(digest.size, n);
      assert.strictEqual(digest.check(`id${n}`, halves(0, n)), "new");
      for (let i = 0; i < n; i++) assert.strictEqual(digest.check(`id${i}`, halves(0, i)), "unchanged", `n=${n} i=${i}`);
    }
  });
});

describe("ContentHash halves and hex", () => {
  it("parseHashHex(hashHex(x)) round-trips", () => {
    const next = random32(7);
    const samples: Array<readonly [number, number]> = [[0, 0], [0xffffffff, 0xffffffff], [0x80000000, 1], [1, 0x80000000], [0x0000000f, 0xf0000000]];
    for (let i = 0; i < 1000; i++) samples.push([next(), next()]);
    const out = new Uint32Array(2);
    for (const [hi, lo] of samples) {
      const text = hex(hi, lo);
      assert.match(text, /^[0-9a-f]{16}$/);
      assert.isTrue(parseHashHex(text, out), text);
      assert.deepStrictEqual([out[0], out[1]], [hi, lo], text);
      assert.isTrue(parseHashHex(text.toUpperCase(), out));
      assert.deepStrictEqual([out[0], out[1]], [hi, lo], text);
    }
    assert.strictEqual(hex(0x01234567, 0x89abcdef), "0123456789abcdef");
  });

  it("parseHashHex refuses what is not 16 hex digits", () => {
    const out = new Uint32Array(2);
    for (const text of ["", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", "g123456789abcdef", "0123456789abcde ", "01234567-89abcde"]) {
      assert.isFalse(parseHashHex(text, out), JSON.stringify(text));
    }
  });

  const samples: ReadonlyArray<{ [K in Kind]: readonly [K, FieldsByKind[K]] }[Kind]> = [
    ["school", F.school("s1", { grades: ["09", "10"], identifier: "ID-1" }).fields],
    ["class", F.klass("c1", "s1", {
      course: { externalId: "crs1", title: "Algebra", code: null },
      terms: [{ externalId: "t1", title: "Fall", type: "semester", startDate: "2026-09-01", endDate: null, schoolYear: "2027" }],
      periods: ["1"], subjects: ["Math"],
    }).fields],
    ["user", F.user("u1", { email: "a@b.org", grades: ["09"], schoolExternalIds: ["s1", "s2"] }).fields],
    ["enrollment", F.enrollment("e1", "c1", "u1", { primary: true, beginDate: "2026-09-01" }).fields],
  ];

  it("contentHash is hashHex of contentHashInto for the same fields", () => {
    const out = new Uint32Array(2);
    const seen = new Set<string>();
    for (const [kind, fields] of samples) {
      contentHashInto(kind, fields as never, out);
      const text = contentHash(kind, fields as never);
      assert.match(text, /^[0-9a-f]{16}$/);
      assert.strictEqual(text, hashHex(out), kind);
      seen.add(text);
    }
    assert.strictEqual(seen.size, samples.length);
  });

  it("a digest built from contentHash recognises the halves of contentHashInto", () => {
    const out = new Uint32Array(2);
    const digest = digestOf(samples.map(([kind, fields], i) => [`id${i}`, contentHash(kind, fields as never)] as const));
    samples.forEach(([kind, fields], i) => {
      contentHashInto(kind, fields as never, out);
      assert.strictEqual(digest.check(`id${i}`, out), "unchanged", kind);
    });
  });

  it("tells apart values that a naive join would confuse", () => {
    const u = F.user("u1").fields;
    const differ = (a: Partial<typeof u>, b: Partial<typeof u>) =>
      assert.notStrictEqual(contentHash("user", { ...u, ...a }), contentHash("user", { ...u, ...b }), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    differ({ grades: ["1", "2"] }, { grades: ["1,2"] });
    differ({ grades: ["a", "b"] }, { grades: ["ab"] });
    differ({ grades: ["", ""] }, { grades: [""] });
    differ({ grades: [] }, { grades: [""] });
    differ({ middleName: null }, { middleName: "" });
    differ({ middleName: null }, { middleName: "null" });
    differ({ middleName: "x", email: null }, { middleName: null, email: "x" });
    differ({ givenName: "ab", familyName: "c" }, { givenName: "a", familyName: "bc" });
    differ({ grades: ["s1"], schoolExternalIds: [] }, { grades: [], schoolExternalIds: ["s1"] });
    differ({ enabled: true }, { enabled: false });

    const c = F.klass("c1", "s1").fields;
    assert.notStrictEqual(contentHash("class", c), contentHash("class", { ...c, course: { externalId: "", title: null, code: null } }));
    assert.notStrictEqual(contentHash("class", { ...c, periods: ["1"], subjects: [] }), contentHash("class", { ...c, periods: [], subjects: ["1"] }));
    const term = { externalId: "t1", title: null, type: null, startDate: null, endDate: null, schoolYear: null };
    assert.notStrictEqual(contentHash("class", c), contentHash("class", { ...c, terms: [term] }));
    assert.notStrictEqual(contentHash("class", { ...c, terms: [term] }), contentHash("class", { ...c, terms: [term, term] }));

    const e = F.enrollment("e1", "c1", "u1").fields;
    assert.notStrictEqual(contentHash("enrollment", e), contentHash("enrollment", { ...e, primary: true }));
    assert.notStrictEqual(contentHash("enrollment", { ...e, beginDate: null, endDate: "2026" }), contentHash("enrollment", { ...e, beginDate: "2026", endDate: null }));
    // Equal values hash alike, even when built separately.
    assert.strictEqual(contentHash("user", { ...u, grades: ["1", "2"] }), contentHash("user", { ...u, grades: ["1", "2"].slice() }));
  });
});
