/**
 * The OneRoster 1.1 CSV files this reader uses and the columns it maps from each. Columns are found
 * by header name, never by position: real exports reorder them and keep 1.0 names (`grade`).
 */

export interface ColumnSpec {
  readonly required: boolean;
  /** Older (1.0) names accepted when the 1.1 name is absent. */
  readonly aliases?: ReadonlyArray<string>;
}

export interface TableSpec<C extends string = string> {
  /** Manifest key suffix: `file.<name>`. */
  readonly name: string;
  readonly file: string;
  readonly columns: { readonly [K in C]: ColumnSpec };
  /** The full 1.1 header, to tell extension columns from names we do not understand. */
  readonly standard: ReadonlyArray<string>;
}

const required: ColumnSpec = { required: true };
const optional: ColumnSpec = { required: false };

const table = <C extends string>(
  name: string,
  columns: { readonly [K in C]: ColumnSpec },
  standard: string,
): TableSpec<C> => ({ name, file: `${name}.csv`, columns, standard: standard.split(",") });

export const orgs = table("orgs", {
  sourcedId: required, status: optional, name: required, type: required, identifier: optional,
  parentSourcedId: optional, grades: optional,
}, "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId");

/** Folded into classes as terms. Only the ids and titles are insisted on. */
export const academicSessions = table("academicSessions", {
  sourcedId: required, status: optional, title: required, type: optional, startDate: optional, endDate: optional,
  schoolYear: optional,
}, "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear");

/** Folded into classes as the course. */
export const courses = table("courses", {
  sourcedId: required, status: optional, title: required, courseCode: optional,
}, "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes");

export const classes = table("classes", {
  sourcedId: required, status: optional, title: required, grades: { required: false, aliases: ["grade"] },
  courseSourcedId: optional, classCode: optional, classType: optional, location: optional, schoolSourcedId: required,
  termSourcedIds: optional, subjects: optional, periods: optional,
}, "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods");

export const users = table("users", {
  sourcedId: required, status: optional, enabledUser: optional, orgSourcedIds: optional, role: required,
  username: optional, givenName: required, familyName: required, middleName: optional, identifier: optional,
  email: optional, grades: { required: false, aliases: ["grade"] },
}, "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password");

export const enrollments = table("enrollments", {
  sourcedId: required, status: optional, classSourcedId: required, userSourcedId: required, role: required,
  primary: optional, beginDate: optional, endDate: optional,
}, "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate");

/** Every `file.*` the 1.1 manifest may declare; the reader only opens the six above. */
export const MANIFEST_FILES = [
  "academicSessions", "categories", "classes", "classResources", "courses", "courseResources", "demographics",
  "enrollments", "lineItems", "orgs", "resources", "results", "users",
] as const;
