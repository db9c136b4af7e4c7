/**
 * Kysely table interfaces for the schema the migrations create. Row shapes only: the migrations
 * never import this file, and the store's bulk statements are plain SQL over the same names.
 */
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** Set by the database on insert, writable on update. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb / json columns: objects in, objects out. */
type Json<T = unknown> = ColumnType<T, T | string, T | string>;

export interface SisProvidersTable {
  id: string;
  tenant_id: string;
  provider_type: string;
  name: string;
  config_ciphertext: string;
  config_key_id: string;
  enabled: Generated<boolean>;
  sync_schedule: string | null;
  timezone: Generated<string>;
  options: Json<Record<string, unknown>>;
  last_sync_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SisSyncRunsTable {
  id: string;
  tenant_id: string;
  provider_id: string;
  status: Generated<string>;
  phase: Generated<string>;
  progress: Json | null;
  is_manual: Generated<boolean>;
  dry_run: Generated<boolean>;
  override_safeguard: Generated<boolean>;
  stats: Json | null;
  error_message: string | null;
  issue_count: Generated<number>;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  cancel_requested_at: NullableTimestamp;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
  heartbeat_at: NullableTimestamp;
  scheduled_for: NullableTimestamp;
}

/** Columns every staging table has. */
export interface StagingCommon {
  run_id: string;
  provider_id: string;
  seq: number;
  external_id: string;
  status: string;
  /** `valid` | `rejected` | `duplicate` */
  state: string;
  hash: string;
  file: string | null;
  line: number | null;
  raw: Json | null;
}

export interface SisRawSchoolsTable extends StagingCommon {
  name: string | null;
  identifier: string | null;
  school_type: string | null;
  parent_external_id: string | null;
  grades: Array<string> | null;
}

export interface SisRawClassesTable extends StagingCommon {
  ref1: string | null;
  title: string | null;
  class_code: string | null;
  class_type: string | null;
  school_external_id: string | null;
  course: Json | null;
  terms: Json | null;
  periods: Array<string> | null;
  subjects: Array<string> | null;
  grades: Array<string> | null;
  location: string | null;
}

export interface SisRawUsersTable extends StagingCommon {
  email_key: string | null;
  student_number_key: string | null;
  role: string | null;
  given_name: string | null;
  family_name: string | null;
  middle_name: string | null;
  email: string | null;
  username: string | null;
  student_number: string | null;
  state_id: string | null;
  grades: Array<string> | null;
  school_external_ids: Array<string> | null;
  enabled: boolean | null;
}

export interface SisRawEnrollmentsTable extends StagingCommon {
  ref1: string | null;
  ref2: string | null;
  class_external_id: string | null;
  user_external_id: string | null;
  role: string | null;
  is_primary: boolean | null;
  begin_date: string | null;
  end_date: string | null;
}

/** One decision per planned staged row (`seq` joins the run's staging / work set). */
export interface SisSyncPlanTable {
  run_id: string;
  kind: string;
  seq: number;
  action: string;
  entity_id: string;
  matched_by: string | null;
  ref1_entity_id: string | null;
  ref2_entity_id: string | null;
}

export interface EntityCommon {
  id: string;
  tenant_id: string;
  active: Generated<boolean>;
  deactivated_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SchoolsTable extends EntityCommon {
  name: string;
  identifier: string | null;
  school_type: string | null;
  parent_external_id: string | null;
  grades: Array<string>;
}

export interface ClassesTable extends EntityCommon {
  school_id: string | null;
  title: string;
  class_code: string | null;
  class_type: string | null;
  school_external_id: string | null;
  course: Json | null;
  terms: Json;
  periods: Array<string>;
  subjects: Array<string>;
  grades: Array<string>;
  location: string | null;
}

export interface UsersTable extends EntityCommon {
  role: string;
  given_name: string;
  family_name: string;
  middle_name: string | null;
  email: string | null;
  /** Lower-cased, trimmed email: the match key. */
  email_key: string | null;
  username: string | null;
  student_number: string | null;
  /** Trimmed student number, students only: the match key. */
  student_number_key: string | null;
  state_id: string | null;
  grades: Array<string>;
  school_external_ids: Array<string>;
  enabled: boolean;
}

export interface EnrollmentsTable extends EntityCommon {
  class_id: string | null;
  user_id: string | null;
  class_external_id: string | null;
  user_external_id: string | null;
  role: string;
  is_primary: boolean;
  begin_date: string | null;
  end_date: string | null;
}

export interface SisLinksTable {
  tenant_id: string;
  provider_id: string;
  kind: string;
  external_id: string;
  entity_id: string;
  content_hash: string | null;
  active: Generated<boolean>;
  deactivated_at: NullableTimestamp;
  last_run_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SisRowIssuesTable {
  id: Generated<string | number>;
  run_id: string;
  kind: string | null;
  severity: string;
  code: string;
  file: string | null;
  line: number | null;
  external_id: string | null;
  message: string;
}

export interface SisAuditLogTable {
  id: Generated<string | number>;
  at: Timestamp;
  actor: string | null;
  role: string | null;
  tenant_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  request_id: string | null;
  details: Json | null;
}

/** The whole schema, for `Kysely<Database>`. */
export interface Database {
  sis_providers: SisProvidersTable;
  sis_sync_runs: SisSyncRunsTable;
  sis_raw_schools: SisRawSchoolsTable;
  sis_raw_classes: SisRawClassesTable;
  sis_raw_users: SisRawUsersTable;
  sis_raw_enrollments: SisRawEnrollmentsTable;
  sis_sync_plan: SisSyncPlanTable;
  schools: SchoolsTable;
  classes: ClassesTable;
  users: UsersTable;
  enrollments: EnrollmentsTable;
  sis_links: SisLinksTable;
  sis_row_issues: SisRowIssuesTable;
  sis_audit_log: SisAuditLogTable;
}

export type ProviderRow = Selectable<SisProvidersTable>;
export type RunRow = Selectable<SisSyncRunsTable>;
export type NewAuditEntry = Insertable<SisAuditLogTable>;
