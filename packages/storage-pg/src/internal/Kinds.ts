/**
 * How each roster kind maps onto columns: the staging table, the roster table and the normalized
 * fields they share. Staging keeps normalized fields as typed columns (not jsonb) so COPY parses
 * little and the load is a plain column-to-column INSERT … SELECT.
 */
import type { Kind } from "@sis-sync/core";
import { encodeCopyValue, escapeText, type CopyValue } from "../PgDatabase";

export type FieldType = "text" | "bool" | "text[]" | "json";

export interface FieldSpec {
  /** Property of the canonical fields object. */
  readonly field: string;
  /** Column name, identical in the staging and the roster table. */
  readonly column: string;
  readonly type: FieldType;
  /** SQL default used when the roster column is NOT NULL and the staged value is null. */
  readonly orElse?: string;
}

export interface KindSpec {
  readonly kind: Kind;
  readonly staging: "sis_raw_schools" | "sis_raw_classes" | "sis_raw_users" | "sis_raw_enrollments";
  readonly entity: "schools" | "classes" | "users" | "enrollments";
  readonly fields: ReadonlyArray<FieldSpec>;
  /** Kinds the row's refs point at, position by position (core's `REF_KINDS`). */
  readonly refKinds: ReadonlyArray<Kind>;
  /** Roster columns holding the resolved ref entity ids, position by position. */
  readonly refColumns: ReadonlyArray<string>;
  /** Reader field names for the ref entity ids (`schoolId`, `classId`, `userId`). */
  readonly refFields: ReadonlyArray<string>;
  /** Users also carry the match keys. */
  readonly keys: boolean;
}

const text = (field: string, column: string, orElse?: string): FieldSpec =>
  orElse === undefined ? { field, column, type: "text" } : { field, column, type: "text", orElse };
const texts = (field: string, column: string): FieldSpec => ({ field, column, type: "text[]", orElse: "'{}'::text[]" });

export const KIND_SPECS: Readonly<Record<Kind, KindSpec>> = {
  school: {
    kind: "school",
    staging: "sis_raw_schools",
    entity: "schools",
    fields: [
      text("name", "name", "''"),
      text("identifier", "identifier"),
      text("type", "school_type"),
      text("parentExternalId", "parent_external_id"),
      texts("grades", "grades"),
    ],
    refKinds: [],
    refColumns: [],
    refFields: [],
    keys: false,
  },
  class: {
    kind: "class",
    staging: "sis_raw_classes",
    entity: "classes",
    fields: [
      text("title", "title", "''"),
      text("classCode", "class_code"),
      text("classType", "class_type"),
      text("schoolExternalId", "school_external_id"),
      { field: "course", column: "course", type: "json" },
      { field: "terms", column: "terms", type: "json", orElse: "'[]'::jsonb" },
      texts("periods", "periods"),
      texts("subjects", "subjects"),
      texts("grades", "grades"),
      text("location", "location"),
    ],
    refKinds: ["school"],
    refColumns: ["school_id"],
    refFields: ["schoolId"],
    keys: false,
  },
  user: {
    kind: "user",
    staging: "sis_raw_users",
    entity: "users",
    fields: [
      text("role", "role", "''"),
      text("givenName", "given_name", "''"),
      text("familyName", "family_name", "''"),
      text("middleName", "middle_name"),
      text("email", "email"),
      text("username", "username"),
      text("studentNumber", "student_number"),
      text("stateId", "state_id"),
      texts("grades", "grades"),
      texts("schoolExternalIds", "school_external_ids"),
      { field: "enabled", column: "enabled", type: "bool", orElse: "true" },
    ],
    refKinds: [],
    refColumns: [],
    refFields: [],
    keys: true,
  },
  enrollment: {
    kind: "enrollment",
    staging: "sis_raw_enrollments",
    entity: "enrollments",
    fields: [
      text("classExternalId", "class_external_id"),
      text("userExternalId", "user_external_id"),
      text("role", "role", "''"),
      { field: "primary", column: "is_primary", type: "bool", orElse: "false" },
      text("beginDate", "begin_date"),
      text("endDate", "end_date"),
    ],
    refKinds: ["class", "user"],
    refColumns: ["class_id", "user_id"],
    refFields: ["classId", "userId"],
    keys: false,
  },
};

/** Staging columns in COPY order (common columns, match keys, refs, fields); run and provider ids are partition defaults. */
export const stagingColumns = (spec: KindSpec): ReadonlyArray<string> => [
  "seq", "external_id", "status", "state", "hash", "file", "line", "raw",
  ...(spec.keys ? ["email_key", "student_number_key"] : []),
  ...spec.refKinds.map((_, i) => `ref${i + 1}`),
  ...spec.fields.map((f) => f.column),
];

const NUL_ESCAPE = /\\u0000/g;

/** A canonical field value as a COPY value of its column type. */
export const fieldToCopy = (type: FieldType, value: unknown): CopyValue => {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "text":
      return typeof value === "string" ? value : String(value);
    case "bool":
      return typeof value === "boolean" ? value : Boolean(value);
    case "text[]":
      return Array.isArray(value) ? value.map((v) => (v === null || v === undefined ? null : String(v))) : [String(value)];
    case "json": {
      // jsonb refuses \u0000; drop it rather than fail the whole batch.
      const json = JSON.stringify(value);
      return json.includes("\\u0000") ? json.replace(NUL_ESCAPE, "") : json;
    }
  }
};

const NULL = "\\N";

/** A canonical field value straight to COPY text (what `encodeCopyValue(fieldToCopy(…))` gives, faster). */
export const fieldEncoder = (type: FieldType): ((value: unknown) => string) => {
  switch (type) {
    case "text":
      return (v) => (v === null || v === undefined ? NULL : escapeText(typeof v === "string" ? v : String(v)));
    case "bool":
      return (v) => (v === null || v === undefined ? NULL : v ? "t" : "f");
    case "text[]":
    case "json":
      return (v) => encodeCopyValue(fieldToCopy(type, v));
  }
};

/** Rebuilds the canonical fields object from a row holding the spec's columns. */
export const fieldsFromRow = (spec: KindSpec, row: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const value = row[f.column];
    out[f.field] = value === undefined ? null : value;
  }
  return out;
};
