/**
 * Builders for canonical records and small generated districts, shared by tests across packages.
 */
import type { ClassFields, EnrollmentFields, SchoolFields, SourceRecord, UserFields } from "../Roster";

const record = <K extends SourceRecord["kind"]>(kind: K, externalId: string, fields: SourceRecord<K>["fields"]): SourceRecord<K> =>
  ({ kind, externalId, status: "active", fields, raw: { sourcedId: externalId }, origin: null }) as SourceRecord<K>;

export const school = (id: string, f: Partial<SchoolFields> = {}) =>
  record("school", id, { name: `School ${id}`, identifier: null, type: "school", parentExternalId: null, grades: [], ...f });

export const klass = (id: string, schoolId: string, f: Partial<ClassFields> = {}) =>
  record("class", id, {
    title: `Class ${id}`, classCode: null, classType: "scheduled", schoolExternalId: schoolId, course: null, terms: [],
    periods: [], subjects: [], grades: [], location: null, ...f,
  });

export const user = (id: string, f: Partial<UserFields> = {}) =>
  record("user", id, {
    role: "student", givenName: `Given${id}`, familyName: `Family${id}`, middleName: null, email: null, username: null,
    studentNumber: null, stateId: null, grades: [], schoolExternalIds: [], enabled: true, ...f,
  });

export const enrollment = (id: string, classId: string, userId: string, f: Partial<EnrollmentFields> = {}) =>
  record("enrollment", id, { classExternalId: classId, userExternalId: userId, role: "student", primary: false, beginDate: null, endDate: null, ...f });

export const tobedeleted = <R extends SourceRecord>(r: R): R => ({ ...r, status: "tobedeleted" });

/**
 * A deterministic district: `schools` schools, `classesPerSchool` classes each, one teacher per
 * class, `students` students each enrolled in `classesPerStudent` classes.
 */
export const district = (opts: { prefix?: string; schools: number; classesPerSchool: number; students: number; classesPerStudent: number }) => {
  const p = opts.prefix ?? "";
  const schools = Array.from({ length: opts.schools }, (_, s) => school(`${p}sch${s}`));
  const classes = schools.flatMap((s, si) =>
    Array.from({ length: opts.classesPerSchool }, (_, c) => klass(`${p}cls${si}-${c}`, s.externalId)));
  const teachers = classes.map((c, i) =>
    user(`${p}tch${i}`, { role: "teacher", email: `teacher${i}@${p || "d"}.example.org`, schoolExternalIds: [c.fields.schoolExternalId] }));
  const students = Array.from({ length: opts.students }, (_, i) =>
    user(`${p}stu${i}`, { email: `student${i}@${p || "d"}.example.org`, studentNumber: `${100000 + i}`, grades: ["09"] }));
  const enrollments = [
    ...classes.map((c, i) => enrollment(`${p}enr-t${i}`, c.externalId, teachers[i]!.externalId, { role: "teacher", primary: true })),
    ...students.flatMap((s, i) =>
      Array.from({ length: opts.classesPerStudent }, (_, k) => {
        const c = classes[(i * 7 + k * 13) % classes.length]!;
        return enrollment(`${p}enr-s${i}-${k}`, c.externalId, s.externalId);
      })),
  ];
  return { schools, classes, users: [...teachers, ...students], enrollments, all: [...schools, ...classes, ...teachers, ...students, ...enrollments] };
};
