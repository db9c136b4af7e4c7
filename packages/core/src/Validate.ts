/**
 * Required-value checks every connector's records pass before staging, so the same feed problem is
 * rejected the same way whichever provider sent it.
 */
import { USER_ROLES, type AnyRecord, type UserRole } from "./Roster";

const blank = (value: string | null | undefined): boolean => value === null || value === undefined || value.trim() === "";
const isRole = (value: string): value is UserRole => (USER_ROLES as ReadonlyArray<string>).includes(value);

/** Returns the reason a record must be rejected, or `null` when it can be staged. */
export const rejectReason = (record: AnyRecord): string | null => {
  if (blank(record.externalId)) return "missing external id";
  switch (record.kind) {
    case "school":
      return blank(record.fields.name) ? "school has no name" : null;
    case "class":
      if (blank(record.fields.title)) return "class has no title";
      return blank(record.fields.schoolExternalId) ? "class has no school" : null;
    case "user":
      if (!isRole(record.fields.role)) return `unknown role "${record.fields.role}"`;
      if (blank(record.fields.givenName) && blank(record.fields.familyName)) return "user has no name";
      return null;
    case "enrollment":
      if (blank(record.fields.classExternalId)) return "enrollment has no class";
      if (blank(record.fields.userExternalId)) return "enrollment has no user";
      return isRole(record.fields.role) ? null : `unknown role "${record.fields.role}"`;
  }
};

/** External ids a record points at, in the order `PlanCandidate.refEntityIds` reports them. */
export const refsOf = (record: AnyRecord): ReadonlyArray<string> => {
  switch (record.kind) {
    case "class":
      return [record.fields.schoolExternalId];
    case "enrollment":
      return [record.fields.classExternalId, record.fields.userExternalId];
    default:
      return [];
  }
};

/** The kinds `refsOf` points at, position by position. */
export const REF_KINDS = { school: [], class: ["school"], user: [], enrollment: ["class", "user"] } as const;
