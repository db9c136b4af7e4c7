/**
 * One process per embedded database. PGlite keeps no lock of its own, and two processes writing one
 * data folder corrupt it: a CLI sync run while the server had the folder open lost users and left
 * an index pointing past its table. The lock is a file holding the owner's pid; a lock whose process
 * is gone (killed, crashed) is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
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

const holderOf = (file: string): number | null => {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
};

const inUse = (dir: string, file: string, holder: number) =>
  new Error(
    `the embedded database in ${dir} is in use by ${holder === process.pid ? "this process" : `process ${holder}`}: ` +
      `stop that process first (or send the work to its API), or use PostgreSQL with DATABASE_URL. ` +
      `If no sis-sync process is running, delete ${file}`,
  );

/** Locks `dir` for this process; returns the release (also run when the process exits). Throws when another live process holds it. */
export const lockDataDir = (dir: string): (() => void) => {
  const file = join(dir, LOCK_FILE);
  if (held.has(dir)) throw inUse(dir, file, process.pid);
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = holderOf(file);
      // Our own pid in a lock we do not hold is a leftover of an earlier life (a container's pid 1).
      if (holder !== null && holder !== process.pid && isAlive(holder)) throw inUse(dir, file, holder);
      unlinkSync(file);
    }
  }
  held.add(dir);
  const release = () => {
    if (!held.delete(dir)) return;
    process.off("exit", release);
    if (holderOf(file) === process.pid) unlinkSync(file);
  };
  process.on("exit", release);
  return release;
};
