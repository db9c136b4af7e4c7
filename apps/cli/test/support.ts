/**
 * Runs the CLI as a real process against a throwaway database: a fresh database on the
 * TEST_DATABASE_URL server, or the embedded database in a temporary folder.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";

export const ROOT = resolve(import.meta.dirname, "../../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const MAIN = join(ROOT, "apps/cli/src/main.ts");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliHarness {
  readonly work: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cli: (...args: Array<string>) => Promise<CliResult>;
  readonly json: (...args: Array<string>) => Promise<CliResult & { body: any }>;
  readonly close: () => Promise<void>;
}

export const openHarness = async (extraEnv: NodeJS.ProcessEnv = {}): Promise<CliHarness> => {
  const work = mkdtempSync(join(tmpdir(), "sis-cli-"));
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn", ...extraEnv };
  delete env["DATABASE_URL"];
  let dropDatabase: (() => Promise<void>) | undefined;
  const server = process.env["TEST_DATABASE_URL"];
  if (server) {
    const name = `sis_cli_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    env["DATABASE_URL"] = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  } else {
    env["SIS_DATA_DIR"] = join(work, "data");
  }
  // Asynchronous on purpose: fake provider servers in the test process must keep answering.
  const cli = (...args: Array<string>) =>
    new Promise<CliResult>((done) => {
      execFile(TSX, [MAIN, ...args], { cwd: work, env, encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        done({ code, stdout, stderr });
      });
    });
  const json = async (...args: Array<string>) => {
    const r = await cli(...args, "--json");
    try {
      return { ...r, body: JSON.parse(r.stdout) };
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
  };
  return {
    work, env, cli, json,
    close: async () => {
      await dropDatabase?.();
      rmSync(work, { recursive: true, force: true });
    },
  };
};
