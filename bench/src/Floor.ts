/**
 * The floor every sync is measured against: PostgreSQL `COPY` of the export's files, unchanged,
 * into tables keyed by `sourcedId`. No sync can write the same rows faster.
 */
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const FILES = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments"];

export const measureFloor = async (connectionString: string, dir: string) => {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    let rows = 0;
    const started = performance.now();
    for (const file of FILES) {
      const path = join(dir, `${file}.csv`);
      const header = readFileSync(path, "utf8").slice(0, 4096).split("\n")[0]!.trim().split(",");
      const table = `floor_${file.toLowerCase()}`;
      await client.query(`drop table if exists ${table}`);
      await client.query(`create table ${table} (${header.map((c, i) => `"${c}" text${i === 0 ? " primary key" : ""}`).join(", ")})`);
      const copy = client.query(copyFrom(`copy ${table} from stdin with (format csv, header true)`));
      await pipeline(createReadStream(path), copy);
      rows += Number(copy.rowCount ?? 0);
    }
    return { ms: performance.now() - started, rows };
  } finally {
    await client.end();
  }
};
