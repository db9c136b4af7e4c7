/**
 * A link's content hash stands for "the provider's row is already in the roster as sent". When its
 * entity is deactivated, deleted or truncated away by anything but the sync's own load (an
 * administrator, another service, an operator), that stops being true: these triggers then clear
 * the hash of the entity's active links, so the next sync stages the row whole and reactivates or
 * recreates the entity.
 *
 * Kept here rather than checked by every digest: the digest query then reads `sis_links` alone
 * instead of joining each kind's entity table (for 700 000 enrollments, 0.3 s instead of 0.8 s of
 * database time while the export is being read).
 */
import { sql, type Kysely } from "kysely";

const ENTITY_KINDS: ReadonlyArray<readonly [table: string, kind: string]> = [
  ["schools", "school"], ["classes", "class"], ["users", "user"], ["enrollments", "enrollment"],
];

export async function up(db: Kysely<any>): Promise<void> {
  // Index probes per changed entity: the store's transactions turn nested loops off for their
  // whole-kind statements, and a hash join here would read every link for a few changed entities.
  await sql.raw(`
    create function sis_links_clear_stale_hashes() returns trigger
      language plpgsql
      set enable_nestloop = on
      set enable_hashjoin = off
    as $$
    begin
      if tg_op = 'TRUNCATE' then
        update sis_links set content_hash = null where kind = tg_argv[0] and active and content_hash is not null;
        return null;
      end if;
      if tg_op = 'UPDATE' and not exists (select 1 from sis_changed_entities where not active) then
        return null;
      end if;
      update sis_links l set content_hash = null
      from sis_changed_entities e
      where l.entity_id = e.id and l.kind = tg_argv[0] and l.active and l.content_hash is not null
        and (tg_op = 'DELETE' or not e.active);
      return null;
    end
    $$`).execute(db);
  for (const [table, kind] of ENTITY_KINDS) {
    await sql.raw(`
      create trigger ${table}_deactivated after update on ${table}
        referencing new table as sis_changed_entities
        for each statement execute function sis_links_clear_stale_hashes('${kind}')`).execute(db);
    await sql.raw(`
      create trigger ${table}_deleted after delete on ${table}
        referencing old table as sis_changed_entities
        for each statement execute function sis_links_clear_stale_hashes('${kind}')`).execute(db);
    await sql.raw(`
      create trigger ${table}_truncated after truncate on ${table}
        for each statement execute function sis_links_clear_stale_hashes('${kind}')`).execute(db);
    // Entities already deactivated or deleted outside the sync before this migration.
    await sql.raw(`
      update sis_links l set content_hash = null
      where l.kind = '${kind}' and l.active and l.content_hash is not null
        and not exists (select 1 from ${table} e where e.id = l.entity_id and e.active)`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table] of ENTITY_KINDS) {
    await sql.raw(`drop trigger if exists ${table}_deactivated on ${table}`).execute(db);
    await sql.raw(`drop trigger if exists ${table}_deleted on ${table}`).execute(db);
    await sql.raw(`drop trigger if exists ${table}_truncated on ${table}`).execute(db);
  }
  await sql.raw("drop function if exists sis_links_clear_stale_hashes()").execute(db);
}
