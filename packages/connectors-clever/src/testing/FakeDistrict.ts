/**
 * A generated, mutable Clever district in v3.0 wire shape, for the fake server. Deterministic, and
 * built to carry the quirks of real Clever data: `""` for absent values, missing keys, students
 * without email, siblings sharing one, a teacher who is also staff, co-taught sections, contacts
 * that a roster must not read, duplicate term names. Tests change it between runs.
 */

/** Wire records stay open: real Clever data has keys beyond any schema, and tests drop keys on purpose. */
export interface FakeSchool {
  id: string;
  district: string;
  name: string;
  [key: string]: unknown;
}

export interface FakeTerm {
  id: string;
  district: string;
  [key: string]: unknown;
}

export interface FakeCourse {
  id: string;
  district: string;
  [key: string]: unknown;
}

export interface FakeSection {
  id: string;
  district: string;
  school: string;
  name: string;
  teacher?: string;
  teachers: Array<string>;
  students: Array<string>;
  [key: string]: unknown;
}

export interface FakeUser {
  id: string;
  district: string;
  email?: string;
  name: { first?: string; middle?: string; last?: string };
  roles: {
    student?: Record<string, unknown>;
    teacher?: Record<string, unknown>;
    staff?: Record<string, unknown>;
    district_admin?: Record<string, unknown>;
    contact?: Record<string, unknown>;
  };
  [key: string]: unknown;
}

export interface DistrictShape {
  readonly schools?: number;
  readonly teachersPerSchool?: number;
  readonly sectionsPerTeacher?: number;
  readonly studentsPerSchool?: number;
  readonly sectionsPerStudent?: number;
  readonly name?: string;
}

/** The canonical records a full sync of the district should stage. */
export interface ExpectedCounts {
  readonly schools: number;
  readonly classes: number;
  readonly users: number;
  readonly enrollments: number;
}

export interface FakeDistrict {
  readonly id: string;
  readonly record: Record<string, unknown>;
  readonly schools: Map<string, FakeSchool>;
  readonly terms: Map<string, FakeTerm>;
  readonly courses: Map<string, FakeCourse>;
  readonly sections: Map<string, FakeSection>;
  readonly users: Map<string, FakeUser>;
  /** A new ObjectId-like id, greater than every earlier one (Clever sorts lists by id). */
  readonly nextId: () => string;
  readonly addStudent: (opts: { readonly schoolId?: string; readonly sectionIds?: ReadonlyArray<string>; readonly first?: string; readonly last?: string }) => string;
  /** Unshares a user: gone from `/users` and from every section. */
  readonly removeUser: (id: string) => void;
  readonly updateUser: (id: string, change: (user: FakeUser) => void) => void;
  readonly updateSection: (id: string, change: (section: FakeSection) => void) => void;
  readonly expected: () => ExpectedCounts;
  /** Ids by role, in id order, for tests that pick someone. */
  readonly idsWithRole: (role: keyof FakeUser["roles"]) => Array<string>;
}

const STAMP = "2026-11-02T08:15:00.000Z";
const SUBJECTS = ["math", "english/language arts", "science", "social studies", "homeroom/advisory", "arts and music"];
const GRADES = ["Kindergarten", "1", "2", "3", "4", "5", "6", "7", "8"];

export const generate = (shape: DistrictShape = {}): FakeDistrict => {
  const opts = {
    schools: shape.schools ?? 2,
    teachersPerSchool: shape.teachersPerSchool ?? 3,
    sectionsPerTeacher: shape.sectionsPerTeacher ?? 2,
    studentsPerSchool: shape.studentsPerSchool ?? 12,
    sectionsPerStudent: shape.sectionsPerStudent ?? 2,
  };
  let seq = 0;
  const nextId = () => `5f${(++seq).toString(16).padStart(22, "0")}`;
  const districtId = nextId();
  const record: Record<string, unknown> = {
    id: districtId, name: shape.name ?? "Fake Unified School District", sis_type: "sftp", state: "running", error: "",
    launch_date: "2017-07-31", portal_url: "https://clever.com/in/fake", login_methods: ["Clever Badges"], last_sync: STAMP,
  };
  const schools = new Map<string, FakeSchool>();
  const terms = new Map<string, FakeTerm>();
  const courses = new Map<string, FakeCourse>();
  const sections = new Map<string, FakeSection>();
  const users = new Map<string, FakeUser>();

  // Three terms, two of them named "Y1": Clever term names are not unique.
  const termIds = [["S1", "2026-08-01", "2026-12-20"], ["Y1", "2026-08-01", "2027-06-15"], ["Y1", "2025-08-01", "2026-06-15"]].map(([name, start, end]) => {
    const id = nextId();
    terms.set(id, { id, district: districtId, end_date: end, name, start_date: start });
    return id;
  });

  let studentCounter = 0;
  const makeStudent = (schoolId: string, first: string, last: string, email: string | null): string => {
    const id = nextId();
    const n = ++studentCounter;
    const role: Record<string, unknown> = {
      credentials: { district_username: `${first.toLowerCase()}${n}` },
      dob: `${(n % 12) + 1}/${(n % 27) + 1}/2014`, enrollments: [], ext: { gifted_status: "" }, gender: n % 2 ? "F" : "M",
      grade: GRADES[n % GRADES.length], graduation_year: "", hispanic_ethnicity: "", location: { address: "", city: "", state: "", zip: "10001" },
      race: "", school: schoolId, schools: [schoolId], sis_id: `${200000 + n}`, state_id: `${900000 + n}`, student_number: `${200000 + n}`,
    };
    const user: FakeUser = { created: STAMP, district: districtId, last_modified: STAMP, name: { first, last, middle: "" }, id, roles: { student: role } };
    if (email !== null) {
      user.email = email;
      role["email"] = email;
    }
    users.set(id, user);
    return id;
  };

  for (let s = 0; s < opts.schools; s++) {
    const schoolId = nextId();
    const school: FakeSchool = {
      created: STAMP, district: districtId, ext: { charter_school: s === 0 ? "N" : "" }, high_grade: s === 0 ? "5" : "8",
      last_modified: STAMP, location: { address: `${s + 1} Main Street`, city: "Springfield", state: "NY", zip: "11201" },
      low_grade: s === 0 ? "Kindergarten" : "6", name: `School ${s + 1}`, phone: "(718) 555-0100",
      principal: { email: `principal${s + 1}@fake.example.org`, name: `Principal ${s + 1}` },
      school_number: `S${100 + s}`, sis_id: `S${100 + s}`, id: schoolId,
    };
    // Optional keys are simply missing in real data (nces_id everywhere, state_id here).
    if (s !== 1) school["state_id"] = `${3000 + s}`;
    schools.set(schoolId, school);

    const teacherIds: Array<string> = [];
    for (let t = 0; t < opts.teachersPerSchool; t++) {
      const id = nextId();
      const n = s * 100 + t;
      const roles: FakeUser["roles"] = {
        teacher: {
          credentials: { district_username: `teacher${n}` }, ext: { admin_permissions: t === 0 ? "Y" : "N" }, school: schoolId, schools: [schoolId],
          sis_id: `T${n}`, state_id: t === 1 ? "" : `7${n}`, teacher_number: `${5000 + n}`, title: "Teacher", legacy_id: `58da8c5d${n.toString(16).padStart(16, "0")}`,
        },
      };
      // The first teacher of the first school also appears in staff.csv with the same email: Clever merges them.
      if (s === 0 && t === 0) roles.staff = { credentials: { district_username: `teacher${n}` }, department: "Library", roles: [], schools: [schoolId], staff_id: `ST${n}`, title: "Librarian" };
      users.set(id, { created: STAMP, district: districtId, email: `teacher${n}@fake.example.org`, last_modified: STAMP, name: { first: `Tess${n}`, last: `Teacher${n}`, middle: "" }, id, roles });
      teacherIds.push(id);
    }

    const schoolSections: Array<FakeSection> = [];
    teacherIds.forEach((teacherId, t) => {
      for (let k = 0; k < opts.sectionsPerTeacher; k++) {
        const courseId = nextId();
        const c = schools.size * 100 + t * 10 + k;
        const course: FakeCourse = { district: districtId, name: `Course ${c}`, id: courseId };
        if (c % 4 !== 3) course["number"] = `${c}`;
        courses.set(courseId, course);
        const id = nextId();
        const last = users.get(teacherId)!.name.last!;
        const period = `${k + 1}`;
        const section: FakeSection = {
          course: courseId, created: STAMP, district: districtId, ext: { classroom: `R${t}${k}` }, grade: GRADES[(s * 3 + k) % GRADES.length],
          last_modified: STAMP, name: `Course ${c} - ${last} - ${period}`, period, school: schoolId, section_number: "", sis_id: `${s}${t}${k}`,
          students: [], subject: SUBJECTS[(t + k) % SUBJECTS.length], teacher: teacherId, teachers: [teacherId], id,
        };
        if ((t + k) % 5 !== 4) section["term_id"] = termIds[k % 2];
        // Every third section is co-taught by the school's next teacher.
        if ((t * opts.sectionsPerTeacher + k) % 3 === 2 && teacherIds.length > 1) section.teachers.push(teacherIds[(t + 1) % teacherIds.length]!);
        sections.set(id, section);
        schoolSections.push(section);
      }
    });

    for (let i = 0; i < opts.studentsPerSchool; i++) {
      const n = s * 1000 + i;
      // Every fifth student has no email at all, one has "", and the second and third share a parent's address.
      const email = i % 5 === 4 ? null : i === 3 ? "" : i === 1 || i === 2 ? `family${n - i}@fake.example.org` : `student${n}@fake.example.org`;
      const id = makeStudent(schoolId, `Sam${n}`, `Student${n}`, email);
      for (let k = 0; k < Math.min(opts.sectionsPerStudent, schoolSections.length); k++) {
        schoolSections[(i + k * 3) % schoolSections.length]!.students.push(id);
      }
    }

    // A guardian: only `/users?role=contact` (or an unfiltered `/users`) returns it.
    const contactId = nextId();
    const child = [...users.values()].find((u) => u.roles.student?.["school"] === schoolId)?.id ?? "";
    users.set(contactId, {
      created: STAMP, district: districtId, email: `guardian${s}@fake.example.org`, last_modified: STAMP, name: { last: `Pat Guardian${s}` }, id: contactId,
      roles: { contact: { legacy_id: nextId(), phone: "", phone_type: "Other", sis_id: "", student_relationships: [{ relationship: "Parent", student: child, type: "Family" }] } },
    });
  }

  const staffId = nextId();
  users.set(staffId, {
    created: STAMP, district: districtId, email: "nurse@fake.example.org", last_modified: STAMP, name: { first: "Nora", last: "Nurse" }, id: staffId,
    roles: { staff: { credentials: { district_username: "nnurse" }, department: "Health", roles: [], schools: [...schools.keys()], staff_id: "ST900", title: "Nurse" } },
  });
  const adminId = nextId();
  users.set(adminId, {
    created: STAMP, district: districtId, email: "admin@fake.example.org", last_modified: STAMP, name: { first: "Ada", last: "Admin", middle: "" }, id: adminId,
    roles: { district_admin: { legacy_id: nextId(), title: "Superintendent" } },
  });

  const isRostered = (u: FakeUser) => Boolean(u.roles.student || u.roles.teacher || u.roles.staff || u.roles.district_admin);

  return {
    id: districtId,
    record,
    schools,
    terms,
    courses,
    sections,
    users,
    nextId,
    addStudent: ({ schoolId, sectionIds = [], first = "New", last = "Student" }) => {
      const school = schoolId ?? [...schools.keys()][0]!;
      const id = makeStudent(school, first, last, `${first}.${last}.${seq}@fake.example.org`.toLowerCase());
      for (const sectionId of sectionIds) sections.get(sectionId)?.students.push(id);
      return id;
    },
    removeUser: (id) => {
      users.delete(id);
      for (const section of sections.values()) {
        section.students = section.students.filter((s) => s !== id);
        section.teachers = section.teachers.filter((t) => t !== id);
        if (section.teacher === id) delete section.teacher;
      }
    },
    updateUser: (id, change) => change(users.get(id)!),
    updateSection: (id, change) => change(sections.get(id)!),
    expected: () => ({
      schools: schools.size,
      classes: sections.size,
      users: [...users.values()].filter(isRostered).length,
      enrollments: [...sections.values()].reduce(
        (sum, s) => sum + new Set([s.teacher, ...s.teachers].filter(Boolean)).size + new Set(s.students).size, 0),
    }),
    idsWithRole: (role) => [...users.values()].filter((u) => u.roles[role] != null).map((u) => u.id).sort(),
  };
};
