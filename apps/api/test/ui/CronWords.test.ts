/**
 * Schedules in words: every scheduler preset, the common cron shapes, the raw fallback, and the
 * preview the admin page shows (words, next runs in the provider's zone, the API's field errors).
 */
import { assert, describe, it } from "@effect/vitest";
import { SyncSchedule } from "@sis-sync/scheduler";
import { clockTime, describeCron, describeSchedule, listInWords, MANUAL_ONLY } from "../../src/ui/CronWords";
import { formatInZone, presetsInWords, previewSchedule } from "../../src/ui/SchedulePreview";

describe("describeCron", () => {
  it("puts every preset into words", () => {
    const words = Object.fromEntries(SyncSchedule.presets.map((p) => [p.name, describeCron(p.cron)]));
    assert.deepStrictEqual(words, {
      "daily": "Every day at 2:00 AM",
      "twice-daily": "Every day at 2:00 AM and 2:00 PM",
      "every-6-hours": "Every 6 hours, on the hour",
      "weekdays": "Monday to Friday at 2:00 AM",
      "hourly": "Every hour, on the hour",
      "weekly": "Every Sunday at 2:00 AM",
    });
  });

  it("covers the common shapes", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["* * * * *", "Every minute"],
      ["*/15 * * * *", "Every 15 minutes"],
      ["30 * * * *", "Every hour, at 30 minutes past the hour"],
      ["1 * * * *", "Every hour, at 1 minute past the hour"],
      ["0 */4 * * *", "Every 4 hours, on the hour"],
      ["15 */2 * * 1-5", "Every 2 hours, at 15 minutes past the hour, Monday to Friday"],
      ["0 0 * * *", "Every day at 12:00 AM"],
      ["0 12 * * *", "Every day at 12:00 PM"],
      ["45 23 * * *", "Every day at 11:45 PM"],
      ["0,30 6 * * *", "Every day at 6:00 AM and 6:30 AM"],
      ["0 6,12,18 * * *", "Every day at 6:00 AM, 12:00 PM and 6:00 PM"],
      ["30 1 * * 1-5", "Monday to Friday at 1:30 AM"],
      ["0 2 * * MON-FRI", "Monday to Friday at 2:00 AM"],
      ["0 6 * * 1,3,5", "Every Monday, Wednesday and Friday at 6:00 AM"],
      ["0 8 * * 0,6", "Every Saturday and Sunday at 8:00 AM"],
      ["0 8 * * 6,7", "Every Saturday and Sunday at 8:00 AM"],
      ["0 2 * * 7", "Every Sunday at 2:00 AM"],
      ["0 2 * * 0-6", "Every day at 2:00 AM"],
      ["0 0 1 * *", "On the 1st of every month at 12:00 AM"],
      ["0 3 1,15 * *", "On the 1st and 15th of every month at 3:00 AM"],
      ["0 3 22 * *", "On the 22nd of every month at 3:00 AM"],
      ["0 3 11 * *", "On the 11th of every month at 3:00 AM"],
      ["0 0 1 1 *", "Every year on January 1 at 12:00 AM"],
      ["0 5 1 JAN,APR,JUL,OCT *", "On the 1st of January, April, July and October at 5:00 AM"],
      ["0 2 * 6-8 *", "Every day in June to August at 2:00 AM"],
      ["0 7 * 9 1", "Every Monday in September at 7:00 AM"],
      ["0 9-17 * * 1-5", "Every hour from 9:00 AM to 5:00 PM, Monday to Friday"],
      ["*/30 9-16 * * *", "Every 30 minutes from 9:00 AM to 4:30 PM"],
      ["*/10 * * * 6", "Every 10 minutes, on Saturdays"],
      ["@daily", "Every day at 12:00 AM"],
      ["@hourly", "Every hour, on the hour"],
      ["  0   2  *  *  *  ", "Every day at 2:00 AM"],
    ];
    for (const [cron, words] of cases) assert.strictEqual(describeCron(cron), words, cron);
  });

  it("returns null for shapes it does not put into words", () => {
    for (const cron of [
      "0 2 1 * 1", // day of month OR day of week: said raw rather than wrongly
      "0 0 L * *",
      "0 0 * * 5#3",
      "5/15 * * * *",
      "0 0 */2 * *",
      "0,10,20,30,40,50 1,2 * * *", // too many times to list
      "0 2 * *",
      "0 0 0 2 * *",
      "61 * * * *",
      "daily",
      "",
    ]) {
      assert.isNull(describeCron(cron), cron);
    }
  });
});

describe("describeSchedule", () => {
  it("adds the time zone, resolves presets and falls back to the raw expression", () => {
    assert.strictEqual(describeSchedule("daily", "America/Chicago"), "Every day at 2:00 AM, America/Chicago");
    assert.strictEqual(describeSchedule("0 2 * * *", "UTC"), "Every day at 2:00 AM, UTC");
    assert.strictEqual(describeSchedule("weekdays", "Europe/Paris"), "Monday to Friday at 2:00 AM, Europe/Paris");
    assert.strictEqual(describeSchedule("0 2 1 * 1", "UTC"), 'Custom schedule "0 2 1 * 1", UTC');
    assert.strictEqual(describeSchedule(null, "UTC"), MANUAL_ONLY);
    assert.strictEqual(describeSchedule("  ", "UTC"), MANUAL_ONLY);
  });

  it("has small helpers that read naturally", () => {
    assert.strictEqual(clockTime(0, 5), "12:05 AM");
    assert.strictEqual(clockTime(13, 0), "1:00 PM");
    assert.strictEqual(listInWords(["a"]), "a");
    assert.strictEqual(listInWords(["a", "b"]), "a and b");
    assert.strictEqual(listInWords(["a", "b", "c"]), "a, b and c");
  });
});

describe("previewSchedule", () => {
  const now = new Date("2026-03-06T12:00:00Z"); // a Friday; US daylight saving starts Sunday 2026-03-08

  it("gives the words and the next runs in the provider's zone", () => {
    const preview = previewSchedule("daily", "America/Chicago", now, 3);
    assert.isTrue(preview.ok);
    if (!preview.ok) return;
    assert.strictEqual(preview.words, "Every day at 2:00 AM, America/Chicago");
    assert.strictEqual(preview.preset, "daily");
    assert.strictEqual(preview.cron, "0 2 * * *");
    assert.deepStrictEqual(preview.nextRuns.map((r) => r.at), [
      "2026-03-07T08:00:00.000Z", // 02:00 CST
      "2026-03-08T08:00:00.000Z", // 02:00 does not exist that day: the first valid time, 03:00 CDT
      "2026-03-09T07:00:00.000Z", // 02:00 CDT
    ]);
    assert.strictEqual(preview.nextRuns[0]!.label, "Sat, Mar 7, 2026, 2:00 AM CST");
    assert.strictEqual(preview.nextRuns[2]!.label, "Mon, Mar 9, 2026, 2:00 AM CDT");
  });

  it("previews custom expressions and manual-only schedules", () => {
    const custom = previewSchedule(" 30 1 * * 1-5 ", "UTC", now, 2);
    assert.deepStrictEqual(custom.ok && { schedule: custom.schedule, words: custom.words, at: custom.nextRuns.map((r) => r.at) }, {
      schedule: "30 1 * * 1-5",
      words: "Monday to Friday at 1:30 AM, UTC",
      at: ["2026-03-09T01:30:00.000Z", "2026-03-10T01:30:00.000Z"],
    });
    const manual = previewSchedule(null, "UTC", now, 5);
    assert.deepStrictEqual(manual, { ok: true, schedule: null, preset: null, cron: null, timezone: "UTC", words: MANUAL_ONLY, nextRuns: [] });
    assert.deepStrictEqual(previewSchedule("", "UTC", now, 5).ok, true);
  });

  it("answers the API's field errors for bad schedules and zones", () => {
    const badCron = previewSchedule("61 * * * *", "UTC", now, 5);
    assert.isFalse(badCron.ok);
    assert.deepStrictEqual(!badCron.ok && badCron.errors.map((e) => e.path), ["syncSchedule"]);
    const never = previewSchedule("0 0 30 2 *", "UTC", now, 5);
    assert.match(!never.ok ? never.errors[0]!.message : "", /never matches/);
    const zone = previewSchedule("daily", "Mars/Olympus_Mons", now, 5);
    assert.deepStrictEqual(!zone.ok && zone.errors.map((e) => e.path), ["timezone"]);
  });

  it("formats instants in a zone and lists the presets in words", () => {
    assert.strictEqual(formatInZone(new Date("2026-07-01T07:00:00Z"), "America/Chicago"), "Wed, Jul 1, 2026, 2:00 AM CDT");
    assert.deepStrictEqual(presetsInWords().map((p) => p.name), SyncSchedule.presets.map((p) => p.name));
    assert.strictEqual(presetsInWords()[0]!.words, "Every day at 2:00 AM");
  });
});
