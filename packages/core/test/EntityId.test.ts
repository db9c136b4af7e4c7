import { describe, expect, it } from "vitest";
import { uuidv7, uuidv7Prefix } from "../src/EntityId";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("is a version 7, RFC 9562 variant uuid carrying the millisecond timestamp", () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = uuidv7(at + 10_000); // ahead of any id made so far in this process
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at + 10_000);
  });

  it("is strictly increasing within one millisecond and past the 12-bit counter", () => {
    const now = Date.now() + 60_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it("never goes backwards when the clock does", () => {
    const later = uuidv7(Date.now() + 120_000);
    expect(uuidv7(Date.now()) > later).toBe(true);
  });

  it("has a prefix that, with 8 hex digits of a row number, makes ids that increase with the number", () => {
    const prefix = uuidv7Prefix(Date.now() + 180_000);
    const ids = [0, 1, 255, 65_536, 2 ** 31 - 1].map((n) => prefix + n.toString(16).padStart(8, "0"));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(uuidv7Prefix(Date.now() + 180_000)).not.toBe(prefix);
  });
});
