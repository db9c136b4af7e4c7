/**
 * What a provider last sent for one kind, compactly: for every active link to an active entity, a
 * 64-bit key of its external id and the content hash stored on the link. The engine checks each
 * incoming row against it, so a row whose content has not changed is recognised before it is
 * staged: it travels to the store as its id and hash only, and never reaches planning or a write
 * statement. About 16 bytes per link in typed arrays (~12 MB for 700 000 enrollments), not the
 * rows themselves.
 *
 * The digest also remembers which keys the feed has sent, so a second row with a known external
 * id is reported as a repeat (the first row wins, as in `RosterStore.sealKind`).
 */
import { hashStringInto, parseHashHex } from "./ContentHash";
import { slotFor } from "./KeySlots";

/** How an incoming row relates to what the provider sent before. */
export type DigestVerdict =
  /** The link is active, its entity is active and the content hash is the same. */
  | "unchanged"
  /** Known external id, different (or unknowable) content. */
  | "changed"
  /** Not an active link of this provider and kind. */
  | "new"
  /** A known external id this feed has already sent. */
  | "repeat";

/** 0, as `KeySlots` reads a free slot. */
const EMPTY = 0;
const KNOWN = 1;
const SEEN = 2;
/** Two external ids share one 64-bit key: neither is ever "unchanged" nor a "repeat". */
const CLASH = 3;

const scratch = new Uint32Array(2);

export class ContentDigest {
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly hashes: Uint32Array;
  private readonly states: Uint8Array;
  private count = 0;
  private seenCount = 0;
  /** Every active link of the provider and kind, as the store counted them; null when unknown. */
  readonly activeLinks: number | null;

  private constructor(expected: number, activeLinks: number | null) {
    this.activeLinks = activeLinks;
    // Linear probing stays short up to a load of 3/4.
    let capacity = 16;
    while (capacity * 3 < expected * 4) capacity *= 2;
    this.mask = capacity - 1;
    this.keys = new Uint32Array(capacity * 2);
    this.hashes = new Uint32Array(capacity * 2);
    this.states = new Uint8Array(capacity);
  }

  /**
   * A digest sized for about `expected` links; fill it with `add`. `activeLinks`: how many active
   * links the provider has for the kind in all, counting those the digest cannot hold (no hash, an id
   * its store cannot carry), when the store knows.
   */
  static withCapacity(expected: number, activeLinks: number | null = null): ContentDigest {
    return new ContentDigest(Math.max(0, expected), activeLinks);
  }

  /** A digest that knows nothing: every row is "new" (first sync, or a store that keeps no hashes). */
  static empty(): ContentDigest {
    return new ContentDigest(0, null);
  }

  /** Links held. */
  get size(): number {
    return this.count;
  }

  /**
   * Whether the feed has sent the external id of every active link the provider has for the kind:
   * the digest holds them all (each under a key of its own) and each was checked. A bulk feed for
   * which this holds deactivates nothing.
   */
  get allSeen(): boolean {
    return this.activeLinks !== null && this.activeLinks === this.count && this.seenCount === this.count;
  }

  /** Finds the slot of the key in `scratch`: its index, or the empty slot where it would go. */
  private slotOf(): number {
    return slotFor(this.keys, this.states, this.mask, scratch[0]!, scratch[1]!);
  }

  /** Records an active link's external id and content hash. */
  add(externalId: string, hash: string): void {
    this.addRange(externalId, 0, externalId.length, hash, 0, hash.length);
  }

  /**
   * Records every line of `externalId<TAB>hash` lines separated by `\n` (so no id in them holds a
   * tab or a newline). Reads the ids and hashes where they stand: a store's 700 000 links would
   * otherwise cost two short strings each.
   */
  addLines(text: string): void {
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf("\n", at);
      if (end === -1) end = text.length;
      const tab = text.lastIndexOf("\t", end);
      if (tab < at) throw new Error(`ContentDigest.addLines: a line without a tab at ${at}`);
      this.addRange(text, at, tab, text, tab + 1, end);
      at = end + 1;
    }
  }

  private addRange(id: string, idStart: number, idEnd: number, hash: string, hashStart: number, hashEnd: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) throw new Error("ContentDigest is full: size it with withCapacity");
    hashStringInto(id, scratch, idStart, idEnd);
    const slot = this.slotOf();
    if (this.states[slot] !== EMPTY) {
      this.states[slot] = CLASH;
      return;
    }
    this.keys[slot * 2] = scratch[0]!;
    this.keys[slot * 2 + 1] = scratch[1]!;
    this.count++;
    if (parseHashHex(hash, scratch, hashStart, hashEnd)) {
      this.hashes[slot * 2] = scratch[0]!;
      this.hashes[slot * 2 + 1] = scratch[1]!;
      this.states[slot] = KNOWN;
    } else this.states[slot] = CLASH;
  }

  /**
   * Classifies one incoming valid row by its content hash (`ContentHash.contentHashInto`'s two
   * halves) and remembers that the feed sent its id.
   */
  check(externalId: string, hash: Uint32Array): DigestVerdict {
    if (this.count === 0) return "new";
    hashStringInto(externalId, scratch);
    const slot = this.slotOf();
    const state = this.states[slot]!;
    if (state === EMPTY) return "new";
    if (state === CLASH) return "changed";
    if (state === SEEN) return "repeat";
    this.states[slot] = SEEN;
    this.seenCount++;
    return this.hashes[slot * 2] === hash[0] && this.hashes[slot * 2 + 1] === hash[1] ? "unchanged" : "changed";
  }
}
