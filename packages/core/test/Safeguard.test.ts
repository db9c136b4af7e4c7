import { assert, describe, it } from "@effect/vitest";
import { contentHash } from "../src/ContentHash";
import * as Safeguard from "../src/Safeguard";
import * as F from "../src/testing/Fixtures";

describe("Safeguard.check", () => {
  it("trips strictly above the threshold and explains itself", () => {
    assert.isFalse(Safeguard.check("user", { links: 20, entities: 20, activeLinks: 100 }, 20).tripped);
    const v = Safeguard.check("user", { links: 21, entities: 21, activeLinks: 100 }, 20);
    assert.isTrue(v.tripped);
    assert.match(v.tripped ? v.message : "", /21 of 100 active users \(21%\), above the 20% limit/);
    assert.isTrue(Safeguard.tripped({ status: "FAILURE", errorMessage: v.tripped ? v.message : null }));
    assert.isFalse(Safeguard.tripped({ status: "FAILURE", errorMessage: "connection reset" }));
    assert.isFalse(Safeguard.tripped({ status: "SUCCESS", errorMessage: null }));
  });

  it("an empty feed against a populated district trips; nothing to lose never trips", () => {
    assert.isTrue(Safeguard.check("school", { links: 3, entities: 3, activeLinks: 3 }, 20).tripped);
    assert.isFalse(Safeguard.check("school", { links: 0, entities: 0, activeLinks: 0 }, 20).tripped);
    assert.isTrue(Safeguard.check("school", { links: 1, entities: 1, activeLinks: 3 }, 0).tripped);
  });
});

describe("ContentHash", () => {
  it("depends on normalized fields only, not on raw data or key order", () => {
    const a = F.user("u1", { email: "a@b.org" });
    const b = { ...a, raw: { anything: "else" } };
    assert.strictEqual(contentHash("user", a.fields), contentHash("user", b.fields));
    const reordered = Object.fromEntries(Object.entries(a.fields).reverse()) as typeof a.fields;
    assert.strictEqual(contentHash("user", a.fields), contentHash("user", reordered));
    assert.notStrictEqual(contentHash("user", a.fields), contentHash("user", { ...a.fields, grades: ["10"] }));
  });
});
