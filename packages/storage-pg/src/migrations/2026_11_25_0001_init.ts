/**
 * The initial schema: providers, runs, per-run staging and plans, the roster tables, the provider
 * links, row issues and the append-only audit log. Frozen: later changes go in new migrations.
 */
import { sql, type Kysely } from "kysely";

const run = async (db: Kysely<any>, statements: ReadonlyArray<string>): Promise<void> => {
  for (const statement of statements) await sql.raw(statement).execute(db);
};

const TIMESTAMPS = `
  active boolean not null default true,
  deactivated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()`;

// Staging: one LIST partition per run (created UNLOGGED by the store when a run first stages), so
// pruning a run is a DROP, not a DELETE. Indexes are built per partition once a kind is sealed.
// Join keys are COLLATE "C": byte comparison, and one collation on both sides of every join.
const STAGING_COMMON = `
  run_id uuid not null,
  provider_id uuid not null,
  seq integer not null,
  external_id text collate "C" not null,
  status text not null,
  state text not null,
  hash text not null,
  file text,
  line integer,
  raw json`;

export async function up(db: Kysely<any>): Promise<void> {
  await run(db, [
    `create table sis_providers (
      id uuid primary key,
      tenant_id text not null,
      provider_type text not null,
      name text not null,
      config_ciphertext text not null,
      config_key_id text not null,
      enabled boolean not null default true,
      sync_schedule text,
      timezone text not null default 'UTC',
      options jsonb not null default '{}'::jsonb,
      last_sync_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint sis_providers_tenant_name_key unique (tenant_id, name)
    )`,

    `create table sis_sync_runs (
      id uuid primary key,
      tenant_id text not null,
      provider_id uuid not null references sis_providers (id) on delete cascade,
      status text not null default 'PENDING'
        check (status in ('PENDING', 'IN_PROGRESS', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED')),
      phase text not null default 'queued',
      progress jsonb,
      is_manual boolean not null default false,
      dry_run boolean not null default false,
      override_safeguard boolean not null default false,
      stats jsonb,
      error_message text,
      issue_count integer not null default 0,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      completed_at timestamptz,
      cancel_requested_at timestamptz,
      lease_token text,
      lease_owner text,
      lease_expires_at timestamptz,
      heartbeat_at timestamptz,
      scheduled_for timestamptz
    )`,
    // One pending or running run per provider: a database invariant, not only application logic.
    `create unique index sis_sync_runs_one_open on sis_sync_runs (provider_id) where status in ('PENDING', 'IN_PROGRESS')`,
    // One run per cron slot, however many scheduler replicas enqueue it.
    `create unique index sis_sync_runs_slot on sis_sync_runs (provider_id, scheduled_for) where scheduled_for is not null`,
    `create index sis_sync_runs_provider_created on sis_sync_runs (provider_id, created_at desc)`,
    `create index sis_sync_runs_open on sis_sync_runs (status, created_at) where status in ('PENDING', 'IN_PROGRESS')`,

    `create table sis_raw_schools (${STAGING_COMMON},
      name text, identifier text, school_type text, parent_external_id text, grades text[]
    ) partition by list (run_id)`,
    `create table sis_raw_classes (${STAGING_COMMON},
      ref1 text collate "C",
      title text, class_code text, class_type text, school_external_id text, course jsonb, terms jsonb,
      periods text[], subjects text[], grades text[], location text
    ) partition by list (run_id)`,
    `create table sis_raw_users (${STAGING_COMMON},
      email_key text collate "C", student_number_key text collate "C",
      role text, given_name text, family_name text, middle_name text, email text, username text,
      student_number text, state_id text, grades text[], school_external_ids text[], enabled boolean
    ) partition by list (run_id)`,
    `create table sis_raw_enrollments (${STAGING_COMMON},
      ref1 text collate "C", ref2 text collate "C",
      class_external_id text, user_external_id text, role text, is_primary boolean, begin_date text, end_date text
    ) partition by list (run_id)`,

    `create table sis_sync_plan (
      run_id uuid not null,
      kind text not null,
      seq integer not null,
      action text not null check (action in ('create', 'update', 'reactivate', 'match', 'delete')),
      entity_id uuid not null,
      matched_by text,
      ref1_entity_id uuid,
      ref2_entity_id uuid
    ) partition by list (run_id)`,

    `create table schools (
      id uuid primary key,
      tenant_id text not null,
      name text not null,
      identifier text,
      school_type text,
      parent_external_id text,
      grades text[] not null default '{}',${TIMESTAMPS}
    )`,
    `create index schools_tenant on schools (tenant_id)`,

    `create table classes (
      id uuid primary key,
      tenant_id text not null,
      school_id uuid,
      title text not null,
      class_code text,
      class_type text,
      school_external_id text,
      course jsonb,
      terms jsonb not null default '[]'::jsonb,
      periods text[] not null default '{}',
      subjects text[] not null default '{}',
      grades text[] not null default '{}',
      location text,${TIMESTAMPS}
    )`,
    `create index classes_tenant on classes (tenant_id)`,

    `create table users (
      id uuid primary key,
      tenant_id text not null,
      role text not null,
      given_name text not null default '',
      family_name text not null default '',
      middle_name text,
      email text,
      email_key text collate "C",
      username text,
      student_number text,
      student_number_key text collate "C",
      state_id text,
      grades text[] not null default '{}',
      school_external_ids text[] not null default '{}',
      enabled boolean not null default true,${TIMESTAMPS}
    )`,
    `create index users_tenant on users (tenant_id)`,
    `create index users_tenant_email on users (tenant_id, email_key) where email_key is not null`,
    `create index users_tenant_student_number on users (tenant_id, student_number_key) where student_number_key is not null`,

    `create table enrollments (
      id uuid primary key,
      tenant_id text not null,
      class_id uuid,
      user_id uuid,
      class_external_id text,
      user_external_id text,
      role text not null,
      is_primary boolean not null default false,
      begin_date text,
      end_date text,${TIMESTAMPS}
    )`,
    `create index enrollments_tenant on enrollments (tenant_id)`,

    `create table sis_links (
      tenant_id text not null,
      provider_id uuid not null,
      kind text not null check (kind in ('school', 'class', 'user', 'enrollment')),
      external_id text collate "C" not null,
      entity_id uuid not null,
      content_hash text,
      active boolean not null default true,
      deactivated_at timestamptz,
      last_run_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (provider_id, kind, external_id)
    )`,
    `create index sis_links_entity on sis_links (entity_id)`,

    `create table sis_row_issues (
      id bigserial primary key,
      run_id uuid not null,
      kind text,
      severity text not null,
      code text not null,
      file text,
      line integer,
      external_id text,
      message text not null
    )`,
    `create index sis_row_issues_run on sis_row_issues (run_id, id)`,

    `create table sis_audit_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      actor text,
      role text,
      tenant_id text,
      action text not null,
      target_type text,
      target_id text,
      outcome text not null,
      request_id text,
      details jsonb
    )`,
    `create index sis_audit_log_tenant_at on sis_audit_log (tenant_id, at desc)`,
    `create function sis_audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'sis_audit_log is append-only (% refused)', tg_op using errcode = '42501';
      end
    $$`,
    `create trigger sis_audit_log_no_update before update or delete on sis_audit_log
      for each row execute function sis_audit_log_append_only()`,
    `create trigger sis_audit_log_no_truncate before truncate on sis_audit_log
      for each statement execute function sis_audit_log_append_only()`,
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(db, [
    "drop table if exists sis_audit_log",
    "drop function if exists sis_audit_log_append_only()",
    "drop table if exists sis_row_issues",
    "drop table if exists sis_links",
    "drop table if exists enrollments",
    "drop table if exists users",
    "drop table if exists classes",
    "drop table if exists schools",
    "drop table if exists sis_sync_plan",
    "drop table if exists sis_raw_enrollments",
    "drop table if exists sis_raw_users",
    "drop table if exists sis_raw_classes",
    "drop table if exists sis_raw_schools",
    "drop table if exists sis_sync_runs",
    "drop table if exists sis_providers",
  ]);
}
