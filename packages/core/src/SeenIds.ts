/**
 * The external ids a run has staged as valid rows of one kind, as 64-bit keys in a typed-array set
 * (8 bytes an id, about 11 MB for 700 000 enrollments at most). It answers one question for the
 * store's duplicate pass: could two valid rows share an id? Two equal ids always share a key, so a
 * kind whose keys never repeated has no duplicates and the pass can be skipped; a repeated key may
 * also be two ids whose keys collide, which only means the pass runs and decides.
 */
import { hashStringInto } from "./ContentHash";
import { slotFor } from "./KeySlots";

const scratch = new Uint32Array(2);

export class SeenIds {
  private keys = new Uint32Array(0);
  private used = new Uint8Array(0);
  private mask = -1;
  private count = 0;
  /** Some key was added twice: the kind may hold duplicate ids. */
  repeated = false;

  /** Ids added. */
  get size(): number {
    return this.count;
  }

  add(externalId: string): void {
    // Linear probing stays short up to a load of 3/4.
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    hashStringInto(externalId, scratch);
    const slot = slotFor(this.keys, this.used, this.mask, scratch[0]!, scratch[1]!);
    if (this.used[slot] === 1) {
      this.repeated = true;
      return;
    }
    this.used[slot] = 1;
    this.keys[slot * 2] = scratch[0]!;
    this.keys[slot * 2 + 1] = scratch[1]!;
    this.count++;
  }

  private grow(): void {
    const capacity = Math.max(1024, (this.mask + 1) * 2);
    const keys = new Uint32Array(capacity * 2);
    const used = new Uint8Array(capacity);
    const mask = capacity - 1;
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.used[slot] !== 1) continue;
      const k0 = this.keys[slot * 2]!;
      const k1 = this.keys[slot * 2 + 1]!;
      const to = slotFor(keys, used, mask, k0, k1);
      used[to] = 1;
      keys[to * 2] = k0;
      keys[to * 2 + 1] = k1;
    }
    this.keys = keys;
    this.used = used;
    this.mask = mask;
  }
}
