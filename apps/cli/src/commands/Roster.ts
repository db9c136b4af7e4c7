/**
 * `sis-sync roster`: the tenant's roster of one kind with the provider links that feed each row.
 */
import { kindFromPlural, RosterReader, type RosterEntity } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { runCommand } from "../Runtime";
import { parse, required, UsageError } from "../Usage";

const MAIN_FIELDS: Record<string, ReadonlyArray<string>> = {
  school: ["name", "identifier"],
  class: ["title", "classCode", "schoolId"],
  user: ["role", "givenName", "familyName", "email", "studentNumber"],
  enrollment: ["role", "classId", "userId", "primary"],
};

const PAGE = 5000;

const toJson = (e: RosterEntity) => ({
  id: e.id,
  active: e.active,
  ...Object.fromEntries(MAIN_FIELDS[e.kind]!.map((f) => [f, e.fields[f] ?? null])),
  links: e.links.map((l) => ({ providerName: l.providerName, externalId: l.externalId, active: l.active })),
});

export const roster = async (args: ReadonlyArray<string>): Promise<number> => {
  const values = parse(args, { tenant: { type: "string" }, kind: { type: "string" }, json: { type: "boolean" } });
  const tenantId = required(values, "tenant");
  const kindName = required(values, "kind");
  const kind = kindFromPlural(kindName);
  if (!kind) throw new UsageError(`--kind must be one of schools, classes, users, enrollments (got "${kindName}")`);
  const rows = await runCommand(Effect.gen(function* () {
    const reader = yield* RosterReader;
    const all: Array<RosterEntity> = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = yield* reader.list(tenantId, kind, {}, { limit: PAGE, offset });
      all.push(...page);
      if (page.length < PAGE) return all;
    }
  }));
  if (values.json) {
    process.stdout.write(JSON.stringify(rows.map(toJson)) + "\n");
    return 0;
  }
  const fields = MAIN_FIELDS[kind]!;
  const lines = rows.map((r) => {
    const j = toJson(r) as Record<string, unknown>;
    const links = r.links.map((l) => `${l.providerName}:${l.externalId}${l.active ? "" : " (inactive)"}`).join(" ");
    return [r.id, r.active ? "active  " : "inactive", ...fields.map((f) => String(j[f] ?? "")), links].join("\t");
  });
  // The id first: other kinds refer to entities by it (schoolId, classId, userId).
  const header = ["id".padEnd(rows[0]?.id.length ?? 2), "status  ", ...fields, "links"].join("\t");
  process.stdout.write([header, ...lines].join("\n") + `\n${rows.length} ${kindName}\n`);
  return 0;
};
