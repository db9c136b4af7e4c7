/**
 * The canonical roster model: what every connector maps its wire format to and what the
 * sync engine plans against. Plain data (no classes) so records stream cheaply in batches.
 */

/** The four kinds that land in the platform, in the order they are extracted and planned. */
export const KINDS = ["school", "class", "user", "enrollment"] as const;
export type Kind = (typeof KINDS)[number];

/** Plural names used by the stats contract, the CLI and the API. */
export const KIND_PLURAL = { school: "schools", class: "classes", user: "users", enrollment: "enrollments" } as const;
export type KindPlural = (typeof KIND_PLURAL)[Kind];
export const kindFromPlural = (plural: string): Kind | undefined =>
  KINDS.find((kind) => KIND_PLURAL[kind] === plural);

/** `tobedeleted` only comes from delta feeds; a bulk feed deletes by omission. */
export type RecordStatus = "active" | "tobedeleted";

export interface SchoolFields {
  readonly name: string;
  readonly identifier: string | null;
  readonly type: string | null;
  readonly parentExternalId: string | null;
  readonly grades: ReadonlyArray<string>;
}

export interface CourseRef {
  readonly externalId: string;
  readonly title: string | null;
  readonly code: string | null;
}

export interface TermRef {
  readonly externalId: string;
  readonly title: string | null;
  readonly type: string | null;
  readonly startDate: string | null;
  readonly endDate: string | null;
  readonly schoolYear: string | null;
}

export interface ClassFields {
  readonly title: string;
  readonly classCode: string | null;
  readonly classType: string | null;
  readonly schoolExternalId: string;
  readonly course: CourseRef | null;
  readonly terms: ReadonlyArray<TermRef>;
  readonly periods: ReadonlyArray<string>;
  readonly subjects: ReadonlyArray<string>;
  readonly grades: ReadonlyArray<string>;
  readonly location: string | null;
}

export const USER_ROLES = [
  "student", "teacher", "administrator", "aide", "staff", "guardian", "parent", "relative", "proctor",
] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface UserFields {
  readonly role: UserRole;
  readonly givenName: string;
  readonly familyName: string;
  readonly middleName: string | null;
  readonly email: string | null;
  readonly username: string | null;
  /** OneRoster `identifier`, Clever `student_number`. */
  readonly studentNumber: string | null;
  readonly stateId: string | null;
  readonly grades: ReadonlyArray<string>;
  /** Primary school first. */
  readonly schoolExternalIds: ReadonlyArray<string>;
  readonly enabled: boolean;
}

export interface EnrollmentFields {
  readonly classExternalId: string;
  readonly userExternalId: string;
  readonly role: UserRole;
  readonly primary: boolean;
  readonly beginDate: string | null;
  readonly endDate: string | null;
}

export interface FieldsByKind {
  readonly school: SchoolFields;
  readonly class: ClassFields;
  readonly user: UserFields;
  readonly enrollment: EnrollmentFields;
}

/** Where a record came from, for row-level issues. */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

export interface SourceRecord<K extends Kind = Kind> {
  readonly kind: K;
  /** The provider's id: OneRoster `sourcedId`, Clever `id`. */
  readonly externalId: string;
  readonly status: RecordStatus;
  readonly fields: FieldsByKind[K];
  /** The source record as received, kept in staging for audit and debugging. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly origin: Origin | null;
}

export type AnyRecord = { [K in Kind]: SourceRecord<K> }[Kind];

/** Lower-cased, trimmed email: the form users are matched on. */
export const normalizeEmail = (email: string | null): string | null => {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
};

export const normalizeStudentNumber = (value: string | null): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};
