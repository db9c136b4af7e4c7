/**
 * The data folder: where it is by default (the folder the command was started from), and one
 * process per embedded database in it: a second opener (another process, or this one again) is
 * refused with a message naming the holder; a lock left by a dead process is taken over.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, assert, describe, it } from "vitest";
import * as ConfigCipher from "../src/ConfigCipher";
import * as PgDatabase from "../src/PgDatabase";
import { LOCK_FILE, lockDataDir } from "../src/internal/DataDirLock";

const dirs: Array<string> = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "sis-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

describe("lockDataDir", () => {
  it("refuses a folder a live process holds, naming it, and a second lock in this process", () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    assert.throws(() => lockDataDir(dir), new RegExp(`in use by process ${process.ppid}: stop that process first.*DATABASE_URL.*delete ${join(dir, LOCK_FILE)}`));

    const mine = freshDir();
    const release = lockDataDir(mine);
    assert.strictEqual(readFileSync(join(mine, LOCK_FILE), "utf8").split(" ")[0], String(process.pid));
    assert.throws(() => lockDataDir(mine), /in use by this process/);
    release();
    assert.isFalse(existsSync(join(mine, LOCK_FILE)));
    lockDataDir(mine)();
  });

  it("takes over a lock whose process is gone, or that holds this process's own pid from an earlier life", () => {
    for (const pid of [deadPid(), process.pid]) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
      const release = lockDataDir(dir);
      assert.strictEqual(readFileSync(join(dir, LOCK_FILE), "utf8").split(" ")[0], String(process.pid));
      release();
    }
  });
});

describe("processes starting together over a lock left by a dead one", () => {
  it("end with exactly one holder; the others are refused with the holder named", async () => {
    const dir = freshDir();
    const script = join(dir, "contend.ts");
    writeFileSync(script, `
      import { lockDataDir } from ${JSON.stringify(fileURLToPath(new URL("../src/internal/DataDirLock.ts", import.meta.url)))};
      const start = Number(process.argv[2]);
      while (Date.now() < start) {}
      try {
        lockDataDir(process.argv[3]!);
        process.stdout.write("held");
        setTimeout(() => process.exit(0), 1500);
      } catch (error) {
        process.stdout.write("refused: " + (error as Error).message);
      }
    `);
    const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
    for (let trial = 0; trial < 3; trial++) {
      writeFileSync(join(dir, LOCK_FILE), `${deadPid()} stale\n`);
      const start = Date.now() + 2500;
      const outputs = await Promise.all(Array.from({ length: 5 }, () =>
        new Promise<string>((done) => execFile(tsx, [script, String(start), dir], (_error, stdout) => done(stdout)))));
      assert.strictEqual(outputs.filter((o) => o === "held").length, 1, outputs.join(" | "));
      assert.isTrue(outputs.filter((o) => o !== "held").every((o) => /^refused: .* is in use by process \d+/.test(o)), outputs.join(" | "));
    }
  }, 60_000);
});

describe("the embedded database", () => {
  it("cannot be opened twice at once, and opens again once closed", async () => {
    const dir = freshDir();
    const first = await PgDatabase.open({ dataDir: dir, migrate: false });
    try {
      const second = await PgDatabase.open({ dataDir: dir, migrate: false }).then(() => null, (e: unknown) => e as Error);
      assert.match(second?.message ?? "", /embedded database in .* is in use by this process/);
    } finally {
      await first.close();
    }
    const again = await PgDatabase.open({ dataDir: dir, migrate: false });
    await again.close();
    assert.isFalse(existsSync(join(dir, LOCK_FILE)));
  });
});

describe("dataDirFromEnv", () => {
  it("is SIS_DATA_DIR, else .data where the command was started (INIT_CWD under pnpm), else in the working directory", () => {
    assert.strictEqual(PgDatabase.dataDirFromEnv({ SIS_DATA_DIR: "/srv/sis", INIT_CWD: "/work" }), "/srv/sis");
    assert.strictEqual(PgDatabase.dataDirFromEnv({ SIS_DATA_DIR: "memory://" }), "memory://");
    assert.strictEqual(PgDatabase.dataDirFromEnv({ INIT_CWD: "/work/repo" }), "/work/repo/.data");
    assert.strictEqual(PgDatabase.dataDirFromEnv({ SIS_DATA_DIR: " ", INIT_CWD: "" }), join(process.cwd(), ".data"));
    assert.strictEqual(PgDatabase.optionsFromEnv({ INIT_CWD: "/work/repo" }).dataDir, "/work/repo/.data");
  });

  it("memory:// keeps the development key in memory, with no folder on disk", () => {
    const before = existsSync(join(process.cwd(), "memory:"));
    ConfigCipher.fromEnv({ SIS_DATA_DIR: "memory://" });
    assert.strictEqual(existsSync(join(process.cwd(), "memory:")), before);
    assert.isFalse(before);
  });
});
