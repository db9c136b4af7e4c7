/**
 * `pnpm bench`: a 100 000-student district as OneRoster CSV against PostgreSQL. Measures the COPY
 * floor, a full first sync, an unchanged re-sync and a nightly-change re-sync; prints wall time,
 * rows/s, peak RSS, roster rows written and each sync's ratio to the floor.
 *
 * BENCH_DATABASE_URL (default: TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 * names the server; a fresh `sis_bench` database is made on it. BENCH_SCALE shrinks the district
 * (e.g. 0.1) for a quick look.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { LARGE, writeDistrict, type DistrictSize } from "./District";
import { measureFloor } from "./Floor";

const ROOT = resolve(import.meta.dirname, "../..");
const WORK = join(ROOT, "bench/.work");
const server = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const scale = Number(process.env["BENCH_SCALE"] ?? "1");
const size: DistrictSize = {
  schools: Math.max(2, Math.round(LARGE.schools * Math.min(1, scale * 4))),
  students: Math.round(LARGE.students * scale),
  teachers: Math.round(LARGE.teachers * scale),
  classes: Math.round(LARGE.classes * scale),
  classesPerStudent: LARGE.classesPerStudent,
};

const databaseUrl = (name: string) => {
  const u = new URL(server);
  u.pathname = `/${name}`;
  return u.toString();
};

const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

/** Roster rows inserted, updated or deleted so far (staging and bookkeeping tables excluded). */
const rosterWrites = async (url: string) => {
  await new Promise((r) => setTimeout(r, 1200)); // backends publish their counters about once a second
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint as n from pg_stat_user_tables
       where relname in ('schools', 'classes', 'users', 'enrollments', 'sis_links')`,
    );
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
};

/**
 * Lets the database settle before a measured sync, as a night later finds it: the previous run's
 * rows vacuumed (hint bits set, autovacuum not due mid-run) and its dirty pages checkpointed.
 * Without this, the run after a full sync pays for the full sync's aftermath.
 */
const settle = async (url: string) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("vacuum (analyze)");
    await c.query("checkpoint").catch(() => undefined); // needs pg_checkpoint or superuser
  } finally {
    await c.end();
  }
};

interface SyncResult {
  ms: number;
  maxRssMb: number;
  status: string;
  error: string | null;
  stats: Record<string, Record<string, number>>;
}

const syncOnce = (url: string, dir: string): SyncResult => {
  const out = execFileSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "bench/src/SyncChild.ts"), url, dir, "bench"], {
    encoding: "utf8",
    maxBuffer: 16 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").pop()!);
};

const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
const changed = (stats: SyncResult["stats"]) =>
  Object.values(stats).reduce((sum, s) => sum + (s["created"] ?? 0) + (s["updated"] ?? 0) + (s["deactivated"] ?? 0) + (s["reactivated"] ?? 0), 0);

const main = async () => {
  const night1 = join(WORK, "night1");
  const night2 = join(WORK, "night2");
  console.log(`district: ${fmt(size.students)} students, ${fmt(size.teachers)} teachers, ${fmt(size.classes)} classes, ${size.schools} schools`);
  const marker = join(WORK, "size.json");
  const current = existsSync(marker) ? readFileSync(marker, "utf8") : "";
  if (current !== JSON.stringify(size) || process.env["BENCH_REGENERATE"]) {
    rmSync(WORK, { recursive: true, force: true });
    const t = performance.now();
    const { enrollments } = await writeDistrict(night1, size, 1);
    await writeDistrict(night2, size, 2);
    writeFileSync(marker, JSON.stringify(size));
    console.log(`generated two nights of CSV (${fmt(enrollments)} enrollments) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await admin("drop database if exists sis_bench with (force)");
  await admin("create database sis_bench");
  const url = databaseUrl("sis_bench");
  try {
    // The floor is the median of three COPYs: on a shared 2-core machine one COPY can be 50 % off.
    const floors = [];
    for (let i = 0; i < 3; i++) {
      await settle(url);
      floors.push(await measureFloor(url, night1));
    }
    const floor = [...floors].sort((a, b) => a.ms - b.ms)[1]!;
    console.log(`\nfloor: COPY of the CSV files into tables keyed by sourcedId: ${(floor.ms / 1000).toFixed(2)} s (median of ${floors.map((f) => (f.ms / 1000).toFixed(2)).join(", ")}), ${fmt(floor.rows)} rows, ${fmt(floor.rows / (floor.ms / 1000))} rows/s`);
    const rows: Array<Array<string>> = [];
    for (const [label, dir] of [["full first sync", night1], ["unchanged re-sync", night1], ["nightly change", night2]] as const) {
      await settle(url);
      const before = await rosterWrites(url);
      const r = syncOnce(url, dir);
      const written = (await rosterWrites(url)) - before;
      if (r.status !== "SUCCESS") console.log(`${label}: ${r.status} ${r.error ?? ""}`);
      rows.push([
        label, `${(r.ms / 1000).toFixed(2)} s`, fmt(floor.rows / (r.ms / 1000)), `${r.maxRssMb} MB`, fmt(written), fmt(changed(r.stats)),
        `${(r.ms / floor.ms).toFixed(2)} ×`,
      ]);
    }
    const header = ["run", "wall", "rows/s", "peak RSS", "roster rows written", "changes", "vs floor"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    console.log("");
    for (const line of [header, ...rows]) console.log(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
    console.log("\n(roster rows written = inserts + updates + deletes on schools, classes, users, enrollments and sis_links, from pg_stat_user_tables)");
  } finally {
    await admin("drop database if exists sis_bench with (force)");
  }
};

await main();
