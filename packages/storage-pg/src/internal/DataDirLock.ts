/**
 * One process per embedded database. PGlite keeps no lock of its own, and two processes writing one
 * data folder corrupt it: a CLI sync run while the server had the folder open lost users and left
 * an index pointing past its table. The lock is a file holding the owner's pid; a lock whose process
 * is gone (killed, crashed) is taken over.
 */
import { randomUUID } from "node:crypto";
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "sis-sync.lock";

/** Folders this process holds: a second open here is refused too, and the pid in a lock is ours only then. */
const held = new Set<string>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The file's text, or null when it is gone. */
const contentOf = (file: string): string | null => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
};

/** The pid a lock's text names (`<pid> <token>`), or null. */
const pidIn = (content: string | null): number | null => {
  const pid = Number.parseInt(content ?? "", 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
};

const unlinkQuietly = (file: string) => {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
};

const inUse = (dir: string, file: string, holder: number | null) =>
  new Error(
    `the embedded database in ${dir} is in use by ${holder === process.pid ? "this process" : holder === null ? "another process" : `process ${holder}`}: ` +
      `stop that process first (or send the work to its API), or use PostgreSQL with DATABASE_URL. ` +
      `If no sis-sync process is running, delete ${file}`,
  );

/**
 * Locks `dir` for this process; returns the release (also run when the process exits). Throws when
 * another live process holds it. Every step is atomic, so processes starting together over a lock
 * left by a dead one end with one holder: the lock appears whole (`link` of a written file, which
 * fails when one exists), and a stale lock is taken away by renaming it, which only one process
 * can do to that file; whoever finds it renamed a live lock instead puts it back.
 */
export const lockDataDir = (dir: string): (() => void) => {
  const file = join(dir, LOCK_FILE);
  if (held.has(dir)) throw inUse(dir, file, process.pid);
  const token = `${process.pid} ${randomUUID()}\n`;
  const mine = join(dir, `${LOCK_FILE}.${process.pid}.${randomUUID()}`);
  writeFileSync(mine, token, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const content = contentOf(file);
      if (content === null) continue; // released meanwhile: try again
      const holder = pidIn(content);
      // Our own pid in a lock we do not hold is a leftover of an earlier life (a container's pid 1).
      if ((holder !== null && holder !== process.pid && isAlive(holder)) || attempt >= 20) throw inUse(dir, file, holder);
      const claimed = join(dir, `${LOCK_FILE}.stale.${process.pid}.${randomUUID()}`);
      try {
        renameSync(file, claimed);
      } catch {
        continue; // another process took it first
      }
      // A rival may have replaced the stale lock with its own between the read and the rename.
      if (contentOf(claimed) !== content) {
        try {
          linkSync(claimed, file);
        } catch {
          // the place is taken again: that holder stands
        }
      }
      unlinkQuietly(claimed);
    }
  } finally {
    unlinkQuietly(mine);
  }
  held.add(dir);
  const release = () => {
    if (!held.delete(dir)) return;
    process.off("exit", release);
    if (contentOf(file) === token) unlinkQuietly(file);
  };
  process.on("exit", release);
  return release;
};
