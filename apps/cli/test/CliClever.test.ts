/**
 * `sis-sync sync --type CLEVER --config <file>` against the fake Clever server on loopback.
 */
import { FakeCleverServer } from "@sis-sync/connectors-clever/testing";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, assert, beforeAll, describe, it } from "vitest";
import { openHarness, type CliHarness } from "./support";

let h: CliHarness;
let fake: FakeCleverServer.FakeCleverServer;
let configFile: string;

beforeAll(async () => {
  fake = await FakeCleverServer.start({});
  h = await openHarness({ CLEVER_API_URL: fake.url, CLEVER_OAUTH_URL: fake.url });
  configFile = join(h.work, "clever.json");
  writeFileSync(configFile, JSON.stringify(fake.config));
});

afterAll(async () => {
  await h.close();
  await fake.close();
});

const sync = () => h.json("sync", "--tenant", "district-9", "--provider", "clever", "--type", "CLEVER", "--config", configFile);

describe("sis-sync CLI with Clever", () => {
  it("syncs the district, re-syncs idempotently, and counts a change exactly", async () => {
    const expected = fake.district.expected();
    const first = await sync();
    assert.strictEqual(first.code, 0, first.stderr);
    assert.strictEqual(first.body.status, "SUCCESS", first.body.error);
    assert.deepStrictEqual(
      [first.body.stats.schools.created, first.body.stats.classes.created, first.body.stats.users.created, first.body.stats.enrollments.created],
      [expected.schools, expected.classes, expected.users, expected.enrollments],
    );
    const again = await sync();
    for (const kind of ["schools", "classes", "users", "enrollments"]) {
      const s = again.body.stats[kind];
      assert.deepStrictEqual([s.created, s.updated, s.deactivated, s.reactivated], [0, 0, 0, 0], kind);
    }
    const students = fake.district.idsWithRole("student");
    const leaver = students[0]!;
    const leaverSections = [...fake.district.sections.values()].filter((s) => s.students.includes(leaver)).length;
    fake.district.removeUser(leaver);
    fake.district.updateUser(students[1]!, (u) => { u.name = { ...u.name, last: "Renamed" }; });
    const changed = await sync();
    assert.strictEqual(changed.body.status, "SUCCESS");
    const u = changed.body.stats.users;
    assert.deepStrictEqual([u.created, u.updated, u.deactivated], [0, 1, 1]);
    assert.strictEqual(changed.body.stats.enrollments.deactivated, leaverSections);
  });

  it("a token Clever rejects ends the run FAILURE with the re-authorize message and exit 1", async () => {
    const bad = join(h.work, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...fake.config, accessToken: "not-a-real-token" }));
    const r = await h.json("sync", "--tenant", "district-10", "--provider", "clever", "--type", "CLEVER", "--config", bad);
    assert.strictEqual(r.code, 1);
    assert.strictEqual(r.body.status, "FAILURE");
    assert.match(r.body.error, /re-authorize the district/);
    assert.notInclude(r.stdout + r.stderr, "not-a-real-token");
  });
});
