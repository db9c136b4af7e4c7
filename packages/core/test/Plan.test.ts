import { assert, describe, it } from "@effect/vitest";
import * as Plan from "../src/Plan";
import type { PlanCandidate } from "../src/RosterStore";
import * as F from "../src/testing/Fixtures";

const policy = (createUsers = true): Plan.PlanPolicy => {
  let n = 0;
  return { createUsers, newId: () => `new-${++n}` };
};

const candidate = (over: Partial<PlanCandidate> & { data: unknown }): PlanCandidate => ({
  seq: 1, externalId: "x1", status: "active", hash: "h", file: "users.csv", line: 2, link: null, byEmail: [], byStudentNumber: [],
  refEntityIds: [], ...over,
});

const student = F.user("x1", { email: "a@b.org", studentNumber: "42" }).fields;
const one = (entityId: string, active = true) => [{ entityId, active, linkedByThisProvider: false }];

describe("Plan.decide", () => {
  it("an existing link wins over every other key", () => {
    const out = Plan.decide("user", candidate({ data: student, link: { entityId: "e1", linkActive: true, entityActive: true, hash: "old" }, byEmail: one("e2") }), policy());
    assert.deepStrictEqual(out.type === "decision" && [out.decision.action, out.decision.entityId, out.decision.matchedBy], ["update", "e1", "externalId"]);
  });

  it("an inactive link is reactivated, not recreated", () => {
    const out = Plan.decide("user", candidate({ data: student, link: { entityId: "e1", linkActive: false, entityActive: false, hash: "h" } }), policy());
    assert.deepStrictEqual(out.type === "decision" && out.decision.action, "reactivate");
  });

  it("email comes before student number", () => {
    const out = Plan.decide("user", candidate({ data: student, byEmail: one("e-mail"), byStudentNumber: one("e-num") }), policy());
    assert.deepStrictEqual(out.type === "decision" && [out.decision.entityId, out.decision.matchedBy], ["e-mail", "email"]);
  });

  it("student number matches only students", () => {
    const teacher = F.user("x1", { role: "teacher", studentNumber: "42" }).fields;
    const out = Plan.decide("user", candidate({ data: teacher, byStudentNumber: one("e-num") }), policy());
    assert.deepStrictEqual(out.type === "decision" && [out.decision.action, out.decision.entityId], ["create", "new-1"]);
  });

  it("a matched inactive user is reactivated", () => {
    const out = Plan.decide("user", candidate({ data: student, byEmail: one("e1", false) }), policy());
    assert.deepStrictEqual(out.type === "decision" && out.decision.action, "reactivate");
  });

  it("two candidates for a key, or one already held by another record of the provider, is ambiguous", () => {
    const two = Plan.decide("user", candidate({ data: student, byEmail: [...one("e1"), ...one("e2")] }), policy());
    assert.strictEqual(two.type === "reject" && two.issue.code, "ambiguous_match");
    const held = Plan.decide("user", candidate({ data: student, byEmail: [{ entityId: "e1", active: true, linkedByThisProvider: true }] }), policy());
    assert.strictEqual(held.type === "reject" && held.issue.code, "ambiguous_match");
    assert.strictEqual(held.type === "reject" && held.issue.line, 2);
  });

  it("creation can be switched off", () => {
    const out = Plan.decide("user", candidate({ data: student }), policy(false));
    assert.strictEqual(out.type === "reject" && out.issue.code, "no_match");
  });

  it("an enrollment whose class or user does not resolve is rejected with the reason", () => {
    const data = F.enrollment("e", "c", "u").fields;
    const out = Plan.decide("enrollment", candidate({ data, refEntityIds: ["class-1", null] }), policy());
    assert.strictEqual(out.type === "reject" && out.issue.code, "unknown_reference");
    assert.match(out.type === "reject" ? out.issue.message : "", /user/);
    const ok = Plan.decide("enrollment", candidate({ data, refEntityIds: ["class-1", "user-1"] }), policy());
    assert.deepStrictEqual(ok.type === "decision" && ok.decision.refEntityIds, ["class-1", "user-1"]);
  });

  it("tobedeleted deletes an active link and skips anything else", () => {
    const data = student;
    const del = Plan.decide("user", candidate({ data, status: "tobedeleted", link: { entityId: "e1", linkActive: true, entityActive: true, hash: "h" } }), policy());
    assert.strictEqual(del.type === "decision" && del.decision.action, "delete");
    assert.strictEqual(Plan.decide("user", candidate({ data, status: "tobedeleted" }), policy()).type, "skip");
  });
});

describe("Plan.needsMatching", () => {
  it("holds only for an unlinked, active user with a user under its email or student number", () => {
    const link = { entityId: "e1", linkActive: true, entityActive: true, hash: "h" };
    assert.isTrue(Plan.needsMatching("user", candidate({ data: student, byEmail: one("e-mail") })));
    assert.isTrue(Plan.needsMatching("user", candidate({ data: student, byStudentNumber: one("e-sn") })));
    assert.isFalse(Plan.needsMatching("user", candidate({ data: student })), "nobody to match: created (or rejected) without matching");
    assert.isFalse(Plan.needsMatching("user", candidate({ data: student, link, byEmail: one("e-mail") })), "the link decides");
    assert.isFalse(Plan.needsMatching("user", candidate({ data: student, status: "tobedeleted", byEmail: one("e-mail") })));
    assert.isFalse(Plan.needsMatching("class", candidate({ data: F.klass("c1", "s1").fields, byEmail: one("e-mail") })));
  });
});

