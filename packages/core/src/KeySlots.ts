/**
 * Open addressing for 64-bit keys held as two 32-bit halves in a typed array (`keys[2 * slot]`,
 * `keys[2 * slot + 1]`), with a byte per slot that is 0 while the slot is free. Shared by
 * `ContentDigest` and `SeenIds`, which keep hundreds of thousands of external-id keys without a
 * JavaScript object per key.
 */

/** The slot holding the key (k0, k1), or the free slot where it would go. Linear probing. */
export const slotFor = (keys: Uint32Array, states: Uint8Array, mask: number, k0: number, k1: number): number => {
  let slot = (k0 ^ Math.imul(k1, 0x9e3779b1)) & mask;
  while (states[slot] !== 0 && (keys[slot * 2] !== k0 || keys[slot * 2 + 1] !== k1)) slot = (slot + 1) & mask;
  return slot;
};
