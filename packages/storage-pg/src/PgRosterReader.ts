/**
 * Read side of the roster: a tenant's entities of one kind with the provider links that feed them,
 * fields in camelCase as the canonical model names them, plus the resolved reference ids.
 */
import { RosterReader, RosterStoreError, normalizeEmail, type Kind, type RosterEntity, type RosterFilter, type RosterLink } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { sql, type RawBuilder } from "kysely";
import { KIND_SPECS, fieldsFromRow } from "./internal/Kinds";
import { PgDatabase, errorMessage, type PgHandle } from "./PgDatabase";

const attempt = <A>(label: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new RosterStoreError({ message: `${label}: ${errorMessage(cause)}`, cause }),
  });

const filterSql = (kind: Kind, tenantId: string, filter: RosterFilter): RawBuilder<unknown> => {
  const conditions: Array<RawBuilder<unknown>> = [sql`e.tenant_id = ${tenantId}`];
  if (filter.active !== undefined) conditions.push(sql`e.active = ${filter.active}`);
  if (filter.email !== undefined) {
    conditions.push(kind === "user" ? sql`e.email_key is not distinct from ${normalizeEmail(filter.email)}::text` : sql`false`);
  }
  if (filter.externalId !== undefined) {
    conditions.push(sql`exists (select 1 from sis_links fl where fl.entity_id = e.id and fl.kind = ${kind} and fl.external_id = ${filter.externalId})`);
  }
  return sql.join(conditions, sql` and `);
};

export const makeWith = (handle: PgHandle) => {
  const db = handle.db;
  return RosterReader.of({
    list: (tenantId, kind, filter, page) =>
      attempt("list roster", async () => {
        const spec = KIND_SPECS[kind];
        const result = await sql<Record<string, unknown>>`
          select e.*,
                 (select coalesce(json_agg(json_build_object(
                           'providerId', l.provider_id, 'providerName', coalesce(p.name, ''),
                           'externalId', l.external_id, 'active', l.active)
                         order by l.created_at, l.provider_id, l.external_id), '[]'::json)
                  from sis_links l left join sis_providers p on p.id = l.provider_id
                  where l.entity_id = e.id and l.kind = ${kind}) as links
          from ${sql.table(spec.entity)} e
          where ${filterSql(kind, tenantId, filter)}
          order by e.created_at, e.id
          limit ${Math.max(0, page.limit)} offset ${Math.max(0, page.offset)}`.execute(db);
        return result.rows.map((row): RosterEntity => {
          const fields: Record<string, unknown> = fieldsFromRow(spec, row);
          spec.refColumns.forEach((column, i) => {
            fields[spec.refFields[i]!] = (row[column] as string | null | undefined) ?? null;
          });
          return {
            id: row["id"] as string,
            kind,
            active: row["active"] as boolean,
            deactivatedAt: (row["deactivated_at"] as Date | null) ?? null,
            fields,
            links: (row["links"] as ReadonlyArray<RosterLink> | null) ?? [],
          };
        });
      }),
    count: (tenantId, kind, filter) =>
      attempt("count roster", async () => {
        const result = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.table(KIND_SPECS[kind].entity)} e where ${filterSql(kind, tenantId, filter)}`.execute(db);
        return result.rows[0]?.n ?? 0;
      }),
  });
};

export const make = Effect.gen(function* () {
  return makeWith(yield* PgDatabase);
});

/**
 * @example
 * const ReaderLive = PgRosterReader.layer.pipe(Layer.provide(PgDatabase.layerFromEnv()))
 */
export const layer: Layer.Layer<RosterReader, never, PgDatabase> = Layer.effect(RosterReader, make);
