/**
 * Clever Data API v3.0 wire shapes, decoded leniently at the edge. Clever marks most fields optional
 * and sends absent values as `""`, as a missing key or (rarely) as `null`, so every optional field
 * accepts all three; `mapping.ts` folds them into `null`. Unknown keys are ignored (v3.1 only adds).
 */
import * as Schema from "effect/Schema";

/** Optional scalar: a missing key, `null` and `""` all mean "absent" (normalised in mapping). */
const Opt = Schema.optional(Schema.NullOr(Schema.String));
const OptIds = Schema.optional(Schema.NullOr(Schema.Array(Schema.String)));

export const Link = Schema.Struct({ rel: Schema.String, uri: Schema.String });
export type Link = typeof Link.Type;

/** `{ data: [{ data, uri? }], links? }`. The item records stay `unknown` so one bad record is a row issue, not a failed page. */
export const ListEnvelope = Schema.Struct({
  data: Schema.Array(Schema.Struct({ data: Schema.Unknown, uri: Schema.optional(Schema.String) })),
  links: Schema.optional(Schema.NullOr(Schema.Array(Link))),
});
export type ListEnvelope = typeof ListEnvelope.Type;

export const District = Schema.Struct({ id: Schema.String, name: Opt, sis_type: Opt, last_sync: Opt, state: Opt });
export type District = typeof District.Type;

/** `GET https://clever.com/oauth/tokens?owner_type=district`: one entry per connected district. */
export const TokenList = Schema.Struct({
  data: Schema.Array(Schema.Struct({
    owner: Schema.Struct({ type: Schema.String, id: Schema.String }),
    access_token: Schema.String,
  })),
});

export const School = Schema.Struct({
  id: Schema.String,
  district: Opt,
  name: Opt,
  sis_id: Opt,
  school_number: Opt,
  state_id: Opt,
  nces_id: Opt,
  low_grade: Opt,
  high_grade: Opt,
});
export type School = typeof School.Type;

export const Term = Schema.Struct({ id: Schema.String, name: Opt, start_date: Opt, end_date: Opt });
export type Term = typeof Term.Type;

export const Course = Schema.Struct({ id: Schema.String, name: Opt, number: Opt });
export type Course = typeof Course.Type;

export const Section = Schema.Struct({
  id: Schema.String,
  school: Opt,
  name: Opt,
  sis_id: Opt,
  section_number: Opt,
  course: Opt,
  term_id: Opt,
  period: Opt,
  subject: Opt,
  grade: Opt,
  teacher: Opt,
  teachers: OptIds,
  students: OptIds,
});
export type Section = typeof Section.Type;

/**
 * What the enrollment pass needs of a section; decoded on its own so a bad title never costs
 * enrollments. `students` is required (Clever guarantees it: "sections must have at least one
 * student"): a section without the list would otherwise read as one whose students all left.
 */
export const SectionMembers = Schema.Struct({ id: Schema.String, teacher: Opt, teachers: OptIds, students: Schema.Array(Schema.String) });
export type SectionMembers = typeof SectionMembers.Type;

const Credentials = Schema.optional(Schema.NullOr(Schema.Struct({ district_username: Opt })));

export const StudentRole = Schema.Struct({
  sis_id: Opt,
  student_number: Opt,
  state_id: Opt,
  school: Opt,
  schools: OptIds,
  grade: Opt,
  email: Opt,
  credentials: Credentials,
});

export const TeacherRole = Schema.Struct({
  sis_id: Opt,
  teacher_number: Opt,
  state_id: Opt,
  school: Opt,
  schools: OptIds,
  title: Opt,
  credentials: Credentials,
});

export const StaffRole = Schema.Struct({ staff_id: Opt, schools: OptIds, title: Opt, department: Opt, credentials: Credentials });

export const DistrictAdminRole = Schema.Struct({ title: Opt });

export const User = Schema.Struct({
  id: Schema.String,
  district: Opt,
  email: Opt,
  name: Schema.optional(Schema.NullOr(Schema.Struct({ first: Opt, middle: Opt, last: Opt }))),
  roles: Schema.Struct({
    student: Schema.optional(Schema.NullOr(StudentRole)),
    teacher: Schema.optional(Schema.NullOr(TeacherRole)),
    staff: Schema.optional(Schema.NullOr(StaffRole)),
    district_admin: Schema.optional(Schema.NullOr(DistrictAdminRole)),
    contact: Schema.optional(Schema.Unknown),
  }),
});
export type User = typeof User.Type;

/** The `/users?role=` values the roster reads. Contacts are never requested: we store no guardians. */
export const USER_LIST_ROLES = ["district_admin", "teacher", "staff", "student"] as const;
export type UserListRole = (typeof USER_LIST_ROLES)[number];
