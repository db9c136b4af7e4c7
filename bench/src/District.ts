/**
 * A large, deterministic district written as a OneRoster 1.1 CSV export, plus the "next night"
 * version of it: ~2 % of users edited, 1 % leave, 1 % join — what a real nightly feed changes.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DistrictSize {
  readonly schools: number;
  readonly students: number;
  readonly teachers: number;
  readonly classes: number;
  readonly classesPerStudent: number;
}

export const LARGE: DistrictSize = { schools: 120, students: 100_000, teachers: 7_000, classes: 35_000, classesPerStudent: 6.6 };

/** Writes lines through a stream, waiting for drain so memory stays flat. */
const csvWriter = (path: string, header: string) => {
  const out = createWriteStream(path);
  let buffer = header + "\n";
  let rows = 0;
  return {
    async row(line: string) {
      buffer += line + "\n";
      rows++;
      if (buffer.length > 1 << 16) {
        if (!out.write(buffer)) await once(out, "drain");
        buffer = "";
      }
    },
    async close() {
      out.end(buffer);
      await once(out, "finish");
      return rows;
    },
  };
};

const GIVEN = ["Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Aria", "Lucas", "Mila", "Owen", "Nora", "Eli", "Ivy", "Caleb", "Ruby", "Jonah"];
const FAMILY = ["Nguyen", "Garcia", "Okafor", "Smith", "Kowalski", "Haddad", "Tanaka", "Johnson", "Martinez", "Patel", "Chen", "Abebe"];

/** Night 1 = the first export; night 2 = the same district a day later. */
export const writeDistrict = async (dir: string, size: DistrictSize, night: 1 | 2) => {
  mkdirSync(dir, { recursive: true });
  const files = ["academicSessions", "classes", "courses", "enrollments", "orgs", "users"];
  writeFileSync(join(dir, "manifest.csv"), ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.1", ...files.map((f) => `file.${f},bulk`)].join("\n") + "\n");

  const orgs = csvWriter(join(dir, "orgs.csv"), "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId");
  await orgs.row("district-1,,,Bench Unified School District,district,0600001,");
  for (let s = 0; s < size.schools; s++) await orgs.row(`sch-${s},,,School ${s},school,${1000 + s},district-1`);
  await orgs.close();

  writeFileSync(join(dir, "academicSessions.csv"), [
    "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
    "sy-2027,,,2026-2027,schoolYear,2026-08-17,2027-06-11,,2027",
    "t1-2027,,,Fall 2026,semester,2026-08-17,2026-12-18,sy-2027,2027",
    "t2-2027,,,Spring 2027,semester,2027-01-05,2027-06-11,sy-2027,2027",
  ].join("\n") + "\n");

  const courseCount = Math.max(1, Math.round(size.classes / 17));
  const courses = csvWriter(join(dir, "courses.csv"), "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes");
  for (let c = 0; c < courseCount; c++) await courses.row(`crs-${c},,,sy-2027,Course ${c},C-${c},"09,10",district-1,Mathematics,`);
  await courses.close();

  const classSchool = (c: number) => c % size.schools;
  const classes = csvWriter(join(dir, "classes.csv"), "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods");
  for (let c = 0; c < size.classes; c++) {
    await classes.row(`cls-${c},,,Course ${c % courseCount} - Section ${c},"09,10",crs-${c % courseCount},S-${c},scheduled,Room ${c % 300},sch-${classSchool(c)},"t1-2027,t2-2027",Mathematics,,${(c % 7) + 1}`);
  }
  await classes.close();

  // Night 2: the last 1 % of students left, 1 % new ones joined, 2 % of users were edited.
  const leavers = night === 2 ? Math.round(size.students * 0.01) : 0;
  const joiners = night === 2 ? Math.round(size.students * 0.01) : 0;
  const editEvery = night === 2 ? 50 : 0;
  const users = csvWriter(join(dir, "users.csv"), "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password");
  let userIndex = 0;
  const edited = () => editEvery > 0 && userIndex++ % editEvery === 0;
  for (let t = 0; t < size.teachers; t++) {
    const family = edited() ? "Edited" : FAMILY[t % FAMILY.length];
    await users.row(`tch-${t},,,true,sch-${t % size.schools},teacher,tch${t},,${GIVEN[t % GIVEN.length]},${family},,,tch${t}@bench.example.org,,,,,`);
  }
  const studentIds = (n: number) => `stu-${n}`;
  const studentRow = (n: number, family: string) =>
    `${studentIds(n)},,,true,sch-${n % size.schools},student,stu${n},,${GIVEN[n % GIVEN.length]},${family},,${200000 + n},stu${n}@students.bench.example.org,,,,${n % 2 ? "09" : "10"},`;
  for (let n = 0; n < size.students - leavers; n++) await users.row(studentRow(n, edited() ? "Edited" : FAMILY[n % FAMILY.length]!));
  for (let n = size.students; n < size.students + joiners; n++) await users.row(studentRow(n, FAMILY[n % FAMILY.length]!));
  await users.close();

  const enrollments = csvWriter(join(dir, "enrollments.csv"), "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate");
  for (let c = 0; c < size.classes; c++) {
    const t = c % size.teachers;
    await enrollments.row(`enr-c${c}-t${t},,,cls-${c},sch-${classSchool(c)},tch-${t},teacher,true,2026-08-17,`);
  }
  const perStudent = (n: number) => Math.floor(size.classesPerStudent) + (n % 10 < (size.classesPerStudent % 1) * 10 ? 1 : 0);
  const studentEnrollments = async (n: number) => {
    for (let k = 0; k < perStudent(n); k++) {
      const c = (n * 31 + k * 997) % size.classes;
      await enrollments.row(`enr-${n}-${k},,,cls-${c},sch-${classSchool(c)},${studentIds(n)},student,false,2026-08-17,`);
    }
  };
  for (let n = 0; n < size.students - leavers; n++) await studentEnrollments(n);
  for (let n = size.students; n < size.students + joiners; n++) await studentEnrollments(n);
  const enrollmentRows = await enrollments.close();
  return { enrollments: enrollmentRows };
};
