/**
 * Content hashing of normalized fields. Two records hash alike exactly when every normalized field
 * is equal, so "unchanged" never depends on raw noise such as `dateLastModified`.
 */
import type { ClassFields, EnrollmentFields, FieldsByKind, Kind, SchoolFields, UserFields } from "./Roster";

// Field order is fixed here rather than taken from object key order, which connectors do not promise.
const canonical: { readonly [K in Kind]: (fields: FieldsByKind[K]) => ReadonlyArray<unknown> } = {
  school: (f: SchoolFields) => [f.name, f.identifier, f.type, f.parentExternalId, f.grades],
  class: (f: ClassFields) => [
    f.title, f.classCode, f.classType, f.schoolExternalId,
    f.course && [f.course.externalId, f.course.title, f.course.code],
    f.terms.map((t) => [t.externalId, t.title, t.type, t.startDate, t.endDate, t.schoolYear]),
    f.periods, f.subjects, f.grades, f.location,
  ],
  user: (f: UserFields) => [
    f.role, f.givenName, f.familyName, f.middleName, f.email, f.username, f.studentNumber, f.stateId,
    f.grades, f.schoolExternalIds, f.enabled,
  ],
  enrollment: (f: EnrollmentFields) => [f.classExternalId, f.userExternalId, f.role, f.primary, f.beginDate, f.endDate],
};

/**
 * cyrb53-style 2×32-bit string hash (53 bits of output). Not cryptographic: it only decides whether
 * a record changed since the provider last sent it, where 2^-53 odds of a missed update are fine and
 * speed on ~1M rows per sync matters.
 */
export const hashString = (input: string): string => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < input.length; i++) {
    const ch = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
};

export const contentHash = <K extends Kind>(kind: K, fields: FieldsByKind[K]): string =>
  hashString(JSON.stringify(canonical[kind](fields)));
