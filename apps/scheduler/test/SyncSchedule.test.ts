/**
 * The schedule rules without a database: presets, validation messages, slots in a non-UTC zone
 * across both daylight-saving changes, and "catch up once" after a downtime.
 */
import { assert, describe, it } from "@effect/vitest";
import * as SyncSchedule from "../src/SyncSchedule";

const valid = (schedule: string, timezone?: string) => {
  const parsed = SyncSchedule.parse(schedule, timezone);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed;
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Wall-clock time of `d` in `timeZone`, e.g. "2026-03-08 03:00". */
const local = (d: Date, timeZone: string) =>
  new Intl.DateTimeFormat("sv-SE", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(d);

const slotsBetween = (schedule: SyncSchedule.ValidSchedule, from: string, count: number) => {
  const out: Array<Date> = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    const next = SyncSchedule.nextSlot(schedule, at)!;
    out.push(next);
    at = next;
  }
  return out;
};

describe("SyncSchedule presets", () => {
  it("maps every preset to its cron expression, with a description", () => {
    assert.deepStrictEqual(
      SyncSchedule.presets.map((p) => [p.name, p.cron]),
      [
        ["daily", "0 2 * * *"],
        ["twice-daily", "0 2,14 * * *"],
        ["every-6-hours", "0 */6 * * *"],
        ["weekdays", "0 2 * * 1-5"],
        ["hourly", "0 * * * *"],
        ["weekly", "0 2 * * 0"],
      ],
    );
    for (const preset of SyncSchedule.presets) {
      const parsed = valid(preset.name);
      assert.strictEqual(parsed.preset, preset.name);
      assert.strictEqual(parsed.cron, preset.cron);
      assert.isTrue(preset.description.length > 5);
    }
  });

  it("computes each preset's slots in UTC", () => {
    const from = "2026-06-05T12:30:00Z"; // a Friday
    const slots = (name: string, n: number) => slotsBetween(valid(name), from, n).map(iso);
    assert.deepStrictEqual(slots("daily", 2), ["2026-06-06T02:00:00.000Z", "2026-06-07T02:00:00.000Z"]);
    assert.deepStrictEqual(slots("twice-daily", 3), ["2026-06-05T14:00:00.000Z", "2026-06-06T02:00:00.000Z", "2026-06-06T14:00:00.000Z"]);
    assert.deepStrictEqual(slots("every-6-hours", 3), ["2026-06-05T18:00:00.000Z", "2026-06-06T00:00:00.000Z", "2026-06-06T06:00:00.000Z"]);
    assert.deepStrictEqual(slots("weekdays", 2), ["2026-06-08T02:00:00.000Z", "2026-06-09T02:00:00.000Z"]); // skips the weekend
    assert.deepStrictEqual(slots("hourly", 2), ["2026-06-05T13:00:00.000Z", "2026-06-05T14:00:00.000Z"]);
    assert.deepStrictEqual(slots("weekly", 2), ["2026-06-07T02:00:00.000Z", "2026-06-14T02:00:00.000Z"]); // Sundays
  });
});

describe("SyncSchedule validation", () => {
  it("accepts cron expressions, presets with spaces around them, and nicknames", () => {
    assert.strictEqual(valid("  */15 6-18 * * 1-5 ").cron, "*/15 6-18 * * 1-5");
    assert.strictEqual(valid(" daily ").preset, "daily");
    assert.isTrue(SyncSchedule.parse("@daily").ok);
    assert.strictEqual(valid("30 3 * * *", "Europe/Berlin").timezone, "Europe/Berlin");
  });

  it("rejects what is not a schedule, each with a message saying what to write", () => {
    const message = (schedule: string, timezone?: string) => {
      const parsed = SyncSchedule.parse(schedule, timezone);
      assert.isFalse(parsed.ok, schedule);
      return (parsed as SyncSchedule.InvalidSchedule).message;
    };
    assert.match(message("nightly"), /"nightly" is neither a preset nor a cron expression.*daily, twice-daily/);
    assert.match(message(""), /empty/);
    assert.match(message("61 * * * *"), /not a valid cron expression: Invalid value for minute: 61/);
    assert.match(message("0 2 * *"), /has 4 fields; a schedule has exactly 5/);
    assert.match(message("0 0 2 * * *"), /has 6 fields; a schedule has exactly 5 \(no seconds/);
    assert.match(message("0 0 30 2 *"), /never matches a date/);
    assert.match(message("0 2 * * *", "Mars/Olympus_Mons"), /Unknown time zone "Mars\/Olympus_Mons"/);
    assert.match(message("0 2 * * *", ""), /time zone is empty/);
    for (const m of [message("nightly"), message("61 * * * *")]) assert.include(m, "\"0 2 * * *\"");
  });
});

describe("SyncSchedule slots in America/Chicago across daylight saving", () => {
  const zone = "America/Chicago";

  it("spring forward (2026-03-08, 02:00 does not exist): a daily 02:00 runs once, at 03:00 CDT", () => {
    const daily = valid("daily", zone);
    const slots = slotsBetween(daily, "2026-03-06T12:00:00Z", 4);
    assert.deepStrictEqual(slots.map((d) => local(d, zone)), ["2026-03-07 02:00", "2026-03-08 03:00", "2026-03-09 02:00", "2026-03-10 02:00"]);
    assert.deepStrictEqual(slots.map(iso), ["2026-03-07T08:00:00.000Z", "2026-03-08T08:00:00.000Z", "2026-03-09T07:00:00.000Z", "2026-03-10T07:00:00.000Z"]);
    // The same for a list of fixed times.
    const twice = slotsBetween(valid("twice-daily", zone), "2026-03-07T21:00:00Z", 3).map((d) => local(d, zone));
    assert.deepStrictEqual(twice, ["2026-03-08 03:00", "2026-03-08 14:00", "2026-03-09 02:00"]);
  });

  it("fall back (2026-11-01, 01:00-02:00 happens twice): a daily 01:30 runs once; hourly runs on both 01:00s", () => {
    const early = slotsBetween(valid("30 1 * * *", zone), "2026-10-31T12:00:00Z", 3);
    assert.deepStrictEqual(early.map(iso), ["2026-11-01T06:30:00.000Z", "2026-11-02T07:30:00.000Z", "2026-11-03T07:30:00.000Z"]);
    const daily = slotsBetween(valid("daily", zone), "2026-10-31T12:00:00Z", 2);
    assert.deepStrictEqual(daily.map(iso), ["2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z"]); // 02:00 CST both days
    const hourly = slotsBetween(valid("hourly", zone), "2026-11-01T05:30:00Z", 4);
    assert.deepStrictEqual(hourly.map(iso), ["2026-11-01T06:00:00.000Z", "2026-11-01T07:00:00.000Z", "2026-11-01T08:00:00.000Z", "2026-11-01T09:00:00.000Z"]);
    assert.deepStrictEqual(hourly.map((d) => local(d, zone)), ["2026-11-01 01:00", "2026-11-01 01:00", "2026-11-01 02:00", "2026-11-01 03:00"]);
  });

  it("the latest due slot is computed in the zone as well", () => {
    const daily = valid("daily", zone);
    assert.strictEqual(iso(SyncSchedule.latestSlot(daily, new Date("2026-03-08T09:00:00Z"))), "2026-03-08T08:00:00.000Z");
    assert.strictEqual(iso(SyncSchedule.latestSlot(daily, new Date("2026-03-08T07:59:59Z"))), "2026-03-07T08:00:00.000Z");
    // A slot is due at its exact instant.
    assert.strictEqual(iso(SyncSchedule.latestSlot(daily, new Date("2026-03-08T08:00:00Z"))), "2026-03-08T08:00:00.000Z");
  });
});

describe("SyncSchedule due slot", () => {
  const hourly = valid("hourly");
  const at = (s: string) => new Date(s);

  it("after a three-day downtime only the latest missed slot is due, once", () => {
    const now = at("2026-05-04T10:17:00Z");
    const lastScheduled = at("2026-05-01T09:00:00Z");
    const due = SyncSchedule.dueSlot(hourly, now, lastScheduled);
    assert.strictEqual(iso(due), "2026-05-04T10:00:00.000Z");
    // Once that slot is enqueued, it is the newest scheduled slot: nothing more is due until 11:00.
    assert.isNull(SyncSchedule.dueSlot(hourly, at("2026-05-04T10:59:59Z"), due));
    assert.strictEqual(iso(SyncSchedule.dueSlot(hourly, at("2026-05-04T11:00:00Z"), due)), "2026-05-04T11:00:00.000Z");
  });

  it("a sync that completed after the slot (a manual run) makes the slot moot", () => {
    const since = SyncSchedule.newest(at("2026-05-04T08:00:00Z"), at("2026-05-04T10:05:00Z"), null);
    assert.isNull(SyncSchedule.dueSlot(hourly, at("2026-05-04T10:30:00Z"), since));
  });

  it("a provider created or edited after the latest slot waits for the next one", () => {
    const created = at("2026-05-04T10:20:00Z");
    assert.isNull(SyncSchedule.dueSlot(hourly, at("2026-05-04T10:30:00Z"), created));
    assert.strictEqual(iso(SyncSchedule.dueSlot(hourly, at("2026-05-04T11:00:01Z"), created)), "2026-05-04T11:00:00.000Z");
  });

  it("newest picks the latest of optional instants", () => {
    assert.isNull(SyncSchedule.newest(null, undefined));
    assert.strictEqual(iso(SyncSchedule.newest(at("2026-01-01T00:00:00Z"), null, at("2026-02-01T00:00:00Z"))), "2026-02-01T00:00:00.000Z");
  });
});
