/**
 * The planning rules: for one staged row that may have changed, decide what the load does —
 * create, update, reactivate, link to a matched user, delete (delta feeds) — or reject it with a
 * reason. Users are matched external id → email → student number → create; two candidates for a
 * key is ambiguous and never guessed.
 */
import { KIND_PLURAL, type Kind, type UserFields } from "./Roster";
import type { MatchCandidate, MatchedBy, PlanCandidate, PlanDecision } from "./RosterStore";
import { rowIssue, type RowIssue } from "./RowIssue";
import { REF_KINDS } from "./Validate";

export interface PlanPolicy {
  readonly createUsers: boolean;
  /** Makes new entity ids; injected so tests and property checks stay deterministic. */
  readonly newId: () => string;
}

export type Outcome =
  | { readonly type: "decision"; readonly decision: PlanDecision }
  | { readonly type: "skip" }
  | { readonly type: "reject"; readonly issue: RowIssue };

const origin = (c: PlanCandidate) => (c.file === null ? null : { file: c.file, line: c.line ?? 0 });

const reject = (kind: Kind, c: PlanCandidate, code: RowIssue["code"], message: string): Outcome => ({
  type: "reject",
  issue: rowIssue(kind, "error", code, message, { origin: origin(c), externalId: c.externalId }),
});

const decision = (
  c: PlanCandidate,
  action: PlanDecision["action"],
  entityId: string,
  matchedBy: MatchedBy | null,
  refEntityIds: ReadonlyArray<string>,
): Outcome => ({ type: "decision", decision: { seq: c.seq, externalId: c.externalId, action, entityId, matchedBy, refEntityIds } });

type KeyMatch =
  | { readonly type: "none" }
  | { readonly type: "one"; readonly candidate: MatchCandidate }
  | { readonly type: "ambiguous"; readonly reason: string };

const matchOn = (candidates: ReadonlyArray<MatchCandidate>): KeyMatch => {
  if (candidates.length === 0) return { type: "none" };
  if (candidates.length > 1) return { type: "ambiguous", reason: `${candidates.length} users of the tenant share it` };
  const candidate = candidates[0]!;
  // A second record of the same provider claiming one person (siblings sharing a parent's email) is
  // not the same user.
  if (candidate.linkedByThisProvider) return { type: "ambiguous", reason: "it already belongs to another record of this provider" };
  return { type: "one", candidate };
};

const matchUser = (c: PlanCandidate, policy: PlanPolicy): Outcome => {
  const fields = c.data as UserFields;
  const keys: ReadonlyArray<readonly [MatchedBy, string, ReadonlyArray<MatchCandidate>, boolean]> = [
    ["email", "email", c.byEmail, fields.email !== null],
    ["studentNumber", "student number", c.byStudentNumber, fields.role === "student" && fields.studentNumber !== null],
  ];
  for (const [matchedBy, label, candidates, applies] of keys) {
    if (!applies) continue;
    const found = matchOn(candidates);
    if (found.type === "ambiguous") {
      return reject("user", c, "ambiguous_match", `ambiguous match on ${label}: ${found.reason}; link the user by hand`);
    }
    if (found.type === "one") {
      return decision(c, found.candidate.active ? "match" : "reactivate", found.candidate.entityId, matchedBy, []);
    }
  }
  if (!policy.createUsers) return reject("user", c, "no_match", "no existing user matches and user creation is disabled");
  return decision(c, "create", policy.newId(), null, []);
};

/**
 * Whether `decide` needs the candidate's match candidates: an unlinked, active user with a user of
 * the tenant under its email or student number. Every other candidate is decided by its external
 * id, its references and its link alone, which a store can do set-based (`RosterStore.planInStore`).
 */
export const needsMatching = (kind: Kind, c: Pick<PlanCandidate, "status" | "link" | "byEmail" | "byStudentNumber">): boolean =>
  kind === "user" && c.status !== "tobedeleted" && c.link === null && (c.byEmail.length > 0 || c.byStudentNumber.length > 0);

/** The reason a row whose reference to `refKind` does not resolve is rejected with. */
export const unknownReferenceMessage = (kind: Kind, refKind: Kind): string =>
  `${kind} references ${refKind} that is not in the feed or was rejected (${KIND_PLURAL[refKind]})`;

/** Decides one candidate of `kind`. Pure: the same candidate and policy give the same outcome. */
export const decide = (kind: Kind, c: PlanCandidate, policy: PlanPolicy): Outcome => {
  if (c.status === "tobedeleted") {
    return c.link?.linkActive ? decision(c, "delete", c.link.entityId, "externalId", []) : { type: "skip" };
  }
  const refKinds: ReadonlyArray<Kind> = REF_KINDS[kind];
  const refEntityIds: Array<string> = [];
  for (const [i, refKind] of refKinds.entries()) {
    const id = c.refEntityIds[i];
    if (id === null || id === undefined) {
      return reject(kind, c, "unknown_reference", unknownReferenceMessage(kind, refKind));
    }
    refEntityIds.push(id);
  }
  if (c.link !== null) {
    const revived = !c.link.linkActive || !c.link.entityActive;
    return decision(c, revived ? "reactivate" : "update", c.link.entityId, "externalId", refEntityIds);
  }
  if (kind === "user") return matchUser(c, policy);
  return decision(c, "create", policy.newId(), null, refEntityIds);
};
