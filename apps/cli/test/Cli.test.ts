/**
 * The CLI contract, end to end: real processes on the example district, against the PostgreSQL
 * test server when TEST_DATABASE_URL is set, else the embedded database in a temporary folder.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import { openHarness, ROOT, type CliHarness } from "./support";

const EXAMPLE = join(ROOT, "examples/maplewood");
const DAY2 = join(ROOT, "examples/maplewood-day2");

let h: CliHarness;
let work: string;
const cli = (...args: Array<string>) => h.cli(...args);
const json = (...args: Array<string>) => h.json(...args);

beforeAll(async () => {
  h = await openHarness();
  work = h.work;
});

afterAll(() => h.close());

const changes = (s: Record<string, number>) => [s["created"], s["updated"], s["deactivated"], s["reactivated"]];

describe("sis-sync CLI", () => {
  it("migrate brings the database up to date", async () => {
    const r = await cli("migrate");
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /migration|up to date/);
  });

  it("syncs the example district, then an unchanged re-sync changes nothing", async () => {
    const first = await json("sync", "--tenant", "demo", "--provider", "maplewood", "--oneroster-csv", EXAMPLE);
    assert.strictEqual(first.code, 0, first.stderr);
    assert.strictEqual(first.body.status, "SUCCESS");
    assert.deepStrictEqual(
      [first.body.stats.schools.created, first.body.stats.classes.created, first.body.stats.users.created, first.body.stats.enrollments.created],
      [3, 11, 40, 81],
    );
    assert.deepStrictEqual(first.body.issues, []);
    const again = await json("sync", "--tenant", "demo", "--provider", "maplewood", "--oneroster-csv", EXAMPLE);
    assert.strictEqual(again.body.status, "SUCCESS");
    for (const kind of ["schools", "classes", "users", "enrollments"]) assert.deepStrictEqual(changes(again.body.stats[kind]), [0, 0, 0, 0], kind);
    assert.strictEqual(again.body.stats.users.unchanged, 40);
  });

  it("the next night's export yields exact counts, and the roster shows the leaver inactive", async () => {
    const day2 = await json("sync", "--tenant", "demo", "--provider", "maplewood", "--oneroster-csv", DAY2);
    assert.strictEqual(day2.body.status, "SUCCESS");
    const s = day2.body.stats;
    assert.deepStrictEqual(changes(s.users), [1, 1, 1, 0]);
    assert.deepStrictEqual(changes(s.enrollments), [3, 0, 3, 0]);
    assert.deepStrictEqual(changes(s.classes), [0, 0, 0, 0]);
    assert.strictEqual(s.classes.unchanged, 11);
    const roster = await json("roster", "--tenant", "demo", "--kind", "users");
    assert.strictEqual(roster.code, 0);
    assert.strictEqual(roster.body.length, 41);
    const leaver = roster.body.find((u: { links: Array<{ externalId: string }> }) => u.links[0]!.externalId === "stu-1004");
    assert.strictEqual(leaver.active, false);
    const renamed = roster.body.find((u: { links: Array<{ externalId: string }> }) => u.links[0]!.externalId === "stu-1011");
    assert.strictEqual(renamed.familyName, "Okafor-Reyes");
    assert.deepStrictEqual(Object.keys(renamed).sort(), ["active", "email", "familyName", "givenName", "id", "links", "role", "studentNumber"]);
    assert.deepStrictEqual(renamed.links, [{ providerName: "maplewood", externalId: "stu-1011", active: true }]);
    const text = await cli("roster", "--tenant", "demo", "--kind", "schools");
    assert.match(text.stdout, /Maplewood High School/);
    assert.match(text.stdout, /3 schools/);
    // The text table leads with each entity's id, as the JSON does.
    const schools = (await json("roster", "--tenant", "demo", "--kind", "schools")).body as Array<{ id: string }>;
    const rows = text.stdout.trim().split("\n").slice(1, -1);
    assert.deepStrictEqual(rows.map((r) => r.split("\t")[0]).sort(), schools.map((x) => x.id).sort());
    assert.match(text.stdout.split("\n")[0]!, /^id\s+\tstatus/);
  });

  it("bad rows make the run PARTIAL with file, line and reason; nothing is deactivated because of them", async () => {
    const broken = join(work, "broken");
    cpSync(EXAMPLE, broken, { recursive: true });
    const users = readFileSync(join(broken, "users.csv"), "utf8").replace("stu-1002,,,TRUE,org-es,student", "stu-1002,,,TRUE,org-es,wizard");
    writeFileSync(join(broken, "users.csv"), users);
    const enrollments = readFileSync(join(broken, "enrollments.csv"), "utf8") + "\nenr-ghost,,,cls-nowhere,org-hs,stu-1000,student,false,,";
    writeFileSync(join(broken, "enrollments.csv"), enrollments);
    const r = await json("sync", "--tenant", "broken", "--provider", "maplewood", "--oneroster-csv", EXAMPLE);
    assert.strictEqual(r.body.status, "SUCCESS");
    const bad = await json("sync", "--tenant", "broken", "--provider", "maplewood", "--oneroster-csv", broken);
    assert.strictEqual(bad.code, 0);
    assert.strictEqual(bad.body.status, "PARTIAL");
    assert.strictEqual(bad.body.stats.users.deactivated, 0);
    const role = bad.body.issues.find((i: { externalId: string }) => i.externalId === "stu-1002");
    assert.deepStrictEqual([role.kind, role.severity, role.file, role.line], ["user", "error", "users.csv", 14]);
    assert.match(role.message, /role/);
    const ghost = bad.body.issues.find((i: { externalId: string }) => i.externalId === "enr-ghost");
    assert.deepStrictEqual([ghost.kind, ghost.file, ghost.line], ["enrollment", "enrollments.csv", 83]);
  });

  it("a stray quote that swallows rows makes the run PARTIAL and deactivates none of them", async () => {
    const quoted = join(work, "stray-quote");
    cpSync(EXAMPLE, quoted, { recursive: true });
    // Miles's given name opens a quote that Amir's closes: the rows in between merge into one value.
    const users = readFileSync(join(quoted, "users.csv"), "utf8")
      .replace("miles8,,Miles,Haddad", 'miles8,,"Miles ,Haddad')
      .replace("amir12,,Amir,Rossi", 'amir12,,Amir",Rossi');
    writeFileSync(join(quoted, "users.csv"), users);
    assert.strictEqual((await json("sync", "--tenant", "quoted", "--provider", "maplewood", "--oneroster-csv", EXAMPLE)).body.status, "SUCCESS");
    const bad = await json("sync", "--tenant", "quoted", "--provider", "maplewood", "--oneroster-csv", quoted);
    assert.strictEqual(bad.body.status, "PARTIAL");
    assert.deepStrictEqual([bad.body.stats.users.deactivated, bad.body.stats.enrollments.deactivated], [0, 0]);
    const swallowed = bad.body.issues.filter((i: { message: string }) => /a value runs from line/.test(i.message));
    assert.deepStrictEqual(swallowed.map((i: { externalId: string }) => i.externalId), ["stu-1008", "stu-1009", "stu-1010", "stu-1011", "stu-1012"]);
    const roster = await json("roster", "--tenant", "quoted", "--kind", "users");
    assert.isTrue(roster.body.every((u: { active: boolean }) => u.active));
  });

  it("an emptied users file trips the safeguard (exit 1, nothing applied); the override applies it", async () => {
    const emptied = join(work, "emptied");
    cpSync(EXAMPLE, emptied, { recursive: true });
    writeFileSync(join(emptied, "users.csv"), readFileSync(join(emptied, "users.csv"), "utf8").split(/\r?\n/)[0] + "\r\n");
    writeFileSync(join(emptied, "enrollments.csv"), readFileSync(join(emptied, "enrollments.csv"), "utf8").split("\n")[0] + "\n");
    assert.strictEqual((await json("sync", "--tenant", "guarded", "--provider", "p", "--oneroster-csv", EXAMPLE)).body.status, "SUCCESS");
    const tripped = await json("sync", "--tenant", "guarded", "--provider", "p", "--oneroster-csv", emptied);
    assert.strictEqual(tripped.code, 1);
    assert.strictEqual(tripped.body.status, "FAILURE");
    assert.match(tripped.body.error, /safeguard/i);
    const still = await json("roster", "--tenant", "guarded", "--kind", "users");
    assert.strictEqual(still.body.filter((u: { active: boolean }) => u.active).length, 40);
    const dry = await json("sync", "--tenant", "guarded", "--provider", "p", "--oneroster-csv", emptied, "--dry-run", "--override-safeguard");
    assert.strictEqual(dry.body.stats.users.deactivated, 40);
    assert.strictEqual((await json("roster", "--tenant", "guarded", "--kind", "users")).body.filter((u: { active: boolean }) => u.active).length, 40);
    const forced = await json("sync", "--tenant", "guarded", "--provider", "p", "--oneroster-csv", emptied, "--override-safeguard");
    assert.strictEqual(forced.body.status, "SUCCESS");
    assert.strictEqual(forced.body.stats.users.deactivated, 40);
  });

  it("a broken export fails with a clear message and exit 1", async () => {
    const noColumn = join(work, "no-column");
    cpSync(EXAMPLE, noColumn, { recursive: true });
    const users = readFileSync(join(noColumn, "users.csv"), "utf8").replace(",role,", ",rolle,");
    writeFileSync(join(noColumn, "users.csv"), users);
    const r = await json("sync", "--tenant", "demo2", "--provider", "x", "--oneroster-csv", noColumn);
    assert.strictEqual(r.code, 1);
    assert.strictEqual(r.body.status, "FAILURE");
    assert.match(r.body.error, /users\.csv.*role/);
  });

  it("bad usage exits 2 with the usage text", async () => {
    for (const args of [["sync", "--provider", "x", "--oneroster-csv", EXAMPLE], ["roster", "--tenant", "t", "--kind", "pupils"], ["sync", "--tenant", "t", "--provider", "x", "--oneroster-csv", "/no/such/path"], ["frobnicate"], ["sync", "--bogus"]]) {
      const r = await cli(...args);
      assert.strictEqual(r.code, 2, args.join(" "));
      assert.match(r.stderr, /Usage: sis-sync/);
    }
  });

  it("an unknown LOG_LEVEL is bad usage (exit 2), naming the variable", async () => {
    h.env["LOG_LEVEL"] = "loud";
    try {
      const r = await cli("roster", "--tenant", "t", "--kind", "users");
      assert.strictEqual(r.code, 2);
      assert.match(r.stderr, /sis-sync: LOG_LEVEL must be debug, info, warn or error, got "loud"/);
    } finally {
      h.env["LOG_LEVEL"] = "warn";
    }
  });
});
