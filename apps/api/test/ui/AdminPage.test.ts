/**
 * The district admin page at /integrations/sis in real headless Chromium, against the API on a
 * real port with the scheduler's worker executing runs: a district admin signs in, adds a
 * OneRoster CSV integration step by step (an API field error lands on its field), tests it, syncs
 * it and watches it finish, reads its history and a run, previews a change, trips the deletion
 * safeguard and overrides it once, cancels a run, edits the schedule, disables and deletes it.
 * A second test: a district admin sees only its own tenant. Screenshots go to SHOT_DIR.
 */
import { ProviderRepository, RunRepository } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { MAPLEWOOD, OTHER_TENANT, ROOT, TENANT } from "../support";
import { openUiHarness, shot, type UiHarness } from "./support";

const MAPLEWOOD_DAY2 = resolve(ROOT, "examples/maplewood-day2");

let ui: UiHarness;
let importRoot: string;
let feed: string;

/** Replaces the feed folder's files with another export's. */
const useExport = (from: string) => {
  rmSync(feed, { recursive: true, force: true });
  cpSync(from, feed, { recursive: true });
};

beforeAll(async () => {
  const started = Date.now();
  importRoot = mkdtempSync(join(tmpdir(), "sis-ui-import-"));
  feed = join(importRoot, TENANT, "maplewood");
  useExport(MAPLEWOOD);
  ui = await openUiHarness({ localImportRoot: importRoot });
  if (process.env["UI_TIMING"]) console.log(`harness ready in ${Date.now() - started} ms`);
});

afterAll(async () => {
  const started = Date.now();
  await ui?.close();
  if (process.env["UI_TIMING"]) console.log(`harness closed in ${Date.now() - started} ms`);
  if (importRoot) rmSync(importRoot, { recursive: true, force: true });
});

const signIn = async (page: Page, token: string) => {
  await page.goto(`${ui.baseUrl}/integrations/sis`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "SIS integrations", level: 1 }).waitFor();
};

const historyRows = (page: Page) => page.locator("[data-testid=history] tbody tr");

/** Form controls on the page without a label (none allowed). */
const unlabelled = (page: Page): Promise<Array<string>> =>
  page.evaluate(`Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(function (el) { return el.type !== "hidden" && el.labels.length === 0 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"); })
    .map(function (el) { return el.id || el.name || el.outerHTML.slice(0, 80); })`);


describe("the district admin page", () => {
  it("adds a OneRoster CSV integration, tests, syncs, previews, trips and overrides the safeguard", async () => {
    const { page, context, errors } = await ui.newPage();
    onTestFailed(async () => {
      await shot(page, `failure-${Date.now()}`).catch(() => undefined);
      console.log(`page errors: ${JSON.stringify(errors)}; url: ${page.url()}`);
    });
    try {
      // Sign-in: the token is pasted; development explains how to mint one.
      await page.goto(`${ui.baseUrl}/integrations/sis`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await expect(page.locator(".dev-hint").textContent()).resolves.toContain("pnpm sis-sync token --role DISTRICT_ADMIN --tenant <id>");
      await page.getByLabel("API token").fill("not-a-token");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("This token was not accepted").waitFor();
      await shot(page, "01-sign-in");
      expect(await unlabelled(page)).toEqual([]);
      await signIn(page, await ui.token("district"));
      expect(await page.evaluate(() => sessionStorage.getItem("sis-sync.token"))).toMatch(/^ey/);
      await page.getByRole("heading", { name: "No integrations yet" }).waitFor();
      await expect(page.locator("#identity").textContent()).resolves.toContain(`District admin · ${TENANT}`);
      await shot(page, "02-empty-list");

      // Add integration: type → connection → schedule → review.
      await page.getByRole("link", { name: "Add integration", exact: true }).click();
      await page.getByRole("heading", { name: "Add an integration" }).waitFor();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.locator(".field-error", { hasText: "Choose the system your district uses." }).waitFor();
      expect(await unlabelled(page)).toEqual([]);
      // Keyboard only: the provider choices are one radio group reached with Tab and the arrow keys.
      await page.getByLabel(/OneRoster CSV files/).focus();
      await page.keyboard.press("Space");
      await page.keyboard.press("ArrowDown");
      expect(await page.getByLabel(/OneRoster REST API/).isChecked()).toBe(true);
      await page.keyboard.press("ArrowUp");
      expect(await page.getByLabel(/OneRoster CSV files/).isChecked()).toBe(true);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("heading", { name: /Step 2 of 4/ }).waitFor();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("alert").filter({ hasText: "There are 2 problems" }).waitFor();
      expect(await page.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
      await page.getByLabel("Name").fill("Maplewood nightly export");
      expect(await page.getByLabel("A folder on this server").isChecked()).toBe(true);
      // A folder outside SIS_LOCAL_IMPORT_ROOT passes the client checks; the API refuses it.
      await page.getByLabel("Folder or .zip file").fill(join(tmpdir(), "somewhere-else"));
      await shot(page, "03-add-connection");
      expect(await unlabelled(page)).toEqual([]);
      await page.getByRole("button", { name: "Continue" }).click();

      await page.getByRole("heading", { name: /Step 3 of 4: Schedule/ }).waitFor();
      await page.getByLabel("Custom schedule").check();
      await page.getByLabel("Cron expression", { exact: true }).fill("61 * * * *");
      await page.locator("[data-path=syncSchedule] .field-error").waitFor();
      await expect(page.locator("[data-path=syncSchedule] .field-error").textContent()).resolves.toContain("61");
      await page.getByLabel("Every day at 2:00 AM", { exact: true }).check();
      await page.getByLabel("Time zone").fill("America/Chicago");
      const preview = page.getByTestId("schedule-preview");
      await preview.getByText("Every day at 2:00 AM, America/Chicago").waitFor();
      expect(await preview.locator("li").count()).toBe(5);
      await expect(preview.locator("li").first().textContent()).resolves.toMatch(/2:00 AM C[SD]T/);
      await shot(page, "04-add-schedule");
      expect(await unlabelled(page)).toEqual([]);
      await page.getByRole("button", { name: "Review" }).click();
      await page.getByRole("heading", { name: /Step 4 of 4: Review/ }).waitFor();
      await shot(page, "05-add-review");
      await page.getByRole("button", { name: "Create integration" }).click();

      // The API's problem+json field error is shown on the field, on its step.
      await page.getByRole("heading", { name: /Step 2 of 4/ }).waitFor();
      const pathError = page.locator("[data-path='config.localPath'] .field-error");
      await expect(pathError.textContent()).resolves.toContain(`Folder or .zip file must be inside the tenant's folder SIS_LOCAL_IMPORT_ROOT/${TENANT}`);
      await shot(page, "06-add-api-error");
      await page.getByLabel("Folder or .zip file").fill(feed);
      expect(await pathError.count()).toBe(0);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Review" }).click();
      await page.getByRole("button", { name: "Create integration" }).click();

      // The integration's page.
      await page.getByRole("heading", { name: "Maplewood nightly export", level: 1 }).waitFor();
      await page.getByText("Every day at 2:00 AM, America/Chicago").first().waitFor();
      await page.getByRole("button", { name: "Test connection" }).click();
      const test = page.getByTestId("test-result");
      await test.getByRole("heading", { name: "Connection works" }).waitFor();
      expect((await test.getByTestId("test-message").textContent())!.length).toBeGreaterThan(3);
      await shot(page, "07-integration");

      // Run a sync and watch it: held at the feed gate, it shows its phase and progress.
      ui.gate.close();
      await page.getByRole("button", { name: "Run sync now" }).click();
      const status = page.getByTestId("sync-status");
      await status.locator("[data-run-phase=extract]").waitFor();
      await expect(status.locator(".progress-phase").textContent()).resolves.toBe("Reading the feed");
      await page.getByRole("button", { name: "Cancel sync" }).waitFor();
      await shot(page, "08-sync-running");
      ui.gate.open();
      await historyRows(page).and(page.locator("[data-status=SUCCESS]")).first().waitFor({ timeout: 20_000 });
      await status.getByText("Succeeded").waitFor();
      await shot(page, "09-sync-done");

      // The list: schedule in words, last sync and its status.
      await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Integrations" }).click();
      const row = page.locator("tr[data-provider-name='Maplewood nightly export']");
      await row.getByText("Every day at 2:00 AM, America/Chicago").waitFor();
      await row.getByText("Succeeded").waitFor();
      await row.getByText("Enabled").waitFor();
      await expect(row.textContent()).resolves.toContain("OneRoster CSV");
      await shot(page, "10-list");

      // History → the run's page.
      await row.getByRole("link", { name: "Maplewood nightly export" }).click();
      await historyRows(page).first().getByRole("link").click();
      await page.getByRole("heading", { name: "Sync run", level: 1 }).waitFor();
      await expect(page.locator("[data-testid=stats-table] tr[data-kind=users] [data-stat=created]").textContent()).resolves.toBe("40");
      await shot(page, "11-run");

      // Preview a change: the day-2 export, dry run, created / updated / deactivated per kind.
      useExport(MAPLEWOOD_DAY2);
      await page.getByRole("link", { name: "Back to integration" }).click();
      await page.getByRole("button", { name: "Preview changes" }).click();
      const previewResult = page.getByTestId("preview-result");
      await previewResult.getByRole("heading", { name: "Preview: what a sync would change now" }).waitFor({ timeout: 20_000 });
      const users = previewResult.locator("tr[data-kind=users]");
      await expect(users.locator("[data-stat=created]").textContent()).resolves.toBe("1");
      await expect(users.locator("[data-stat=updated]").textContent()).resolves.toBe("1");
      await expect(users.locator("[data-stat=deactivated]").textContent()).resolves.toBe("1");
      const enrollments = previewResult.locator("tr[data-kind=enrollments]");
      await expect(enrollments.locator("[data-stat=created]").textContent()).resolves.toBe("3");
      await expect(enrollments.locator("[data-stat=deactivated]").textContent()).resolves.toBe("3");
      await historyRows(page).first().getByText("Preview").waitFor();
      await shot(page, "12-preview");

      // Trip the safeguard: an export whose users file is empty.
      const header = readFileSync(join(feed, "users.csv"), "utf8").split(/\r?\n/)[0]!;
      writeFileSync(join(feed, "users.csv"), `${header}\n`);
      await page.getByRole("button", { name: "Run sync now" }).click();
      const safeguard = page.getByTestId("safeguard-callout");
      await safeguard.getByRole("heading", { name: "The last sync was stopped by the deletion safeguard" }).waitFor({ timeout: 20_000 });
      await expect(safeguard.textContent()).resolves.toMatch(/would deactivate \d+ of \d+ active/);
      await shot(page, "13-safeguard");

      // Its run page explains it, lists the row issues with filters and a CSV download.
      await safeguard.getByRole("link", { name: "View run" }).click();
      await page.getByRole("heading", { name: "Sync run", level: 1 }).waitFor();
      await page.getByTestId("safeguard-callout").getByRole("heading", { name: "Stopped by the deletion safeguard" }).waitFor();
      const issues = page.locator("[data-testid=issues] tbody tr");
      await issues.first().waitFor();
      const total = await issues.count();
      expect(total).toBeGreaterThan(0);
      const firstIssue = (await issues.first().locator("td").allTextContents()).join(" | ");
      expect(firstIssue).toMatch(/\.csv/);
      await shot(page, "14-run-issues");
      expect(await unlabelled(page)).toEqual([]);
      await page.getByLabel("Kind").selectOption("school");
      await page.getByTestId("issues-empty").or(page.locator("[data-testid=issues] tbody tr[data-kind=school]").first()).waitFor();
      expect(await page.locator("[data-testid=issues] tbody tr:not([data-kind=school])").count()).toBe(0);
      await page.getByLabel("Kind").selectOption("");
      await page.getByLabel("Severity").selectOption("error");
      await issues.first().waitFor();
      expect(await page.locator("[data-testid=issues] tbody tr:not([data-severity=error])").count()).toBe(0);
      await page.getByLabel("Severity").selectOption("");
      await issues.first().waitFor();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
      expect(download.suggestedFilename()).toMatch(/^sis-sync-run-[0-9a-f]{8}-issues\.csv$/);
      const csv = readFileSync((await download.path())!, "utf8").replace(/^\ufeff/, "").trim().split(/\r\n/);
      expect(csv[0]).toBe("severity,kind,code,file,line,record,message");
      expect(csv.length - 1).toBeGreaterThanOrEqual(total);

      // The one-time override, after a confirmation.
      await page.getByRole("button", { name: "Apply once, ignoring the safeguard" }).click();
      const dialog = page.getByRole("dialog", { name: "Apply the feed once, ignoring the safeguard?" });
      await dialog.waitFor();
      await shot(page, "15-override-confirm");
      await dialog.getByRole("button", { name: "Apply once" }).click();
      await page.getByText("Safeguard overridden", { exact: true }).waitFor();
      await page.locator("h1 ~ .badge[data-status=SUCCESS], h1 ~ .badge[data-status=PARTIAL]").waitFor({ timeout: 20_000 });
      await expect(page.locator("[data-testid=stats-table] tr[data-kind=users] [data-stat=deactivated]").textContent()).resolves.toBe("40");
      await shot(page, "16-override-done");

      // Cancel a running sync (held at the gate, so it is still running when cancelled).
      useExport(MAPLEWOOD);
      await page.getByRole("link", { name: "Back to integration" }).click();
      ui.gate.close();
      await page.getByRole("button", { name: "Run sync now" }).click();
      // Only once a worker has claimed it: a run still queued is cancelled at once, never "Cancelling".
      await status.locator("[data-run-phase=extract]").waitFor();
      await page.getByRole("button", { name: "Cancel sync" }).click();
      await page.getByText("Cancelling", { exact: false }).first().waitFor();
      ui.gate.open();
      await historyRows(page).first().and(page.locator("[data-status=CANCELLED]")).waitFor({ timeout: 20_000 });

      // Edit the schedule, disable and enable again.
      await page.getByRole("button", { name: "Edit schedule" }).click();
      await page.getByLabel("Custom schedule").check();
      await page.getByLabel("Cron expression", { exact: true }).fill("30 1 * * 1-5");
      await page.getByTestId("schedule-preview").getByText("Monday to Friday at 1:30 AM, America/Chicago").waitFor();
      expect(await unlabelled(page)).toEqual([]);
      await page.getByRole("button", { name: "Save schedule" }).click();
      await page.getByTestId("schedule-words").getByText("Monday to Friday at 1:30 AM, America/Chicago").waitFor();
      await page.getByRole("button", { name: "Disable" }).click();
      await page.locator(".title-row .badge", { hasText: "Disabled" }).waitFor();
      expect(await page.getByRole("button", { name: "Run sync now" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "Enable" }).click();
      await page.locator(".title-row .badge", { hasText: "Enabled" }).waitFor();

      // Delete, after a confirmation.
      await page.getByRole("button", { name: "Delete integration" }).click();
      const confirmDelete = page.getByRole("dialog", { name: "Delete “Maplewood nightly export”?" });
      await confirmDelete.waitFor();
      await confirmDelete.getByRole("button", { name: "Delete integration" }).click();
      await page.getByRole("heading", { name: "No integrations yet" }).waitFor();

      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows a district admin only its own tenant's integrations and runs", async () => {
    const seed = await ui.t.run(Effect.gen(function* () {
      const providers = yield* ProviderRepository;
      const runs = yield* RunRepository;
      const own = yield* providers.create({ tenantId: TENANT, providerType: "ONEROSTER_CSV", name: "Own district CSV", config: { localPath: MAPLEWOOD }, syncSchedule: "weekdays", timezone: "America/New_York" });
      const other = yield* providers.create({ tenantId: OTHER_TENANT, providerType: "ONEROSTER_CSV", name: "Other district CSV", config: { localPath: MAPLEWOOD } });
      const { run } = yield* runs.enqueue({ tenantId: OTHER_TENANT, providerId: other.id, isManual: true, dryRun: true });
      return { own, other, otherRun: run };
    }));
    const { page, context, errors } = await ui.newPage();
    onTestFailed(async () => {
      await shot(page, `failure-${Date.now()}`).catch(() => undefined);
      console.log(`page errors: ${JSON.stringify(errors)}; url: ${page.url()}`);
    });
    try {
      await signIn(page, await ui.token("district"));
      const list = page.locator("tbody tr[data-provider-id]");
      await page.locator(`tr[data-provider-id='${seed.own.id}']`).getByText("Monday to Friday at 2:00 AM, America/New_York").waitFor();
      // Exactly the district's own integrations, whatever an earlier test left there.
      const ownIds = await ui.t.run(Effect.flatMap(ProviderRepository, (providers) => providers.list(TENANT)));
      const shownIds = await list.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-provider-id")));
      expect(shownIds.sort()).toEqual(ownIds.map((provider) => provider.id).sort());
      expect(shownIds).not.toContain(seed.other.id);
      expect(await page.getByText("Other district CSV").count()).toBe(0);

      await page.goto(`${ui.baseUrl}/integrations/sis/runs/${seed.otherRun.id}`);
      await page.getByRole("heading", { name: "This run was not found" }).waitFor();
      await page.goto(`${ui.baseUrl}/integrations/sis/providers/${seed.other.id}`);
      await page.getByRole("heading", { name: "This integration was not found" }).waitFor();
      expect(await page.getByText("Other district CSV").count()).toBe(0);
      await shot(page, "17-other-tenant-not-found");
      // Narrow screens: the same list, the table scrolling on its own.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole("link", { name: "Back to integrations" }).click();
      await page.locator(`tr[data-provider-id='${seed.own.id}']`).getByText("Monday to Friday at 2:00 AM, America/New_York").waitFor();
      await shot(page, "20-list-narrow");
      await page.setViewportSize({ width: 1280, height: 900 });

      // A platform admin picks the tenant and sees the other district's integration.
      await page.getByRole("button", { name: "Sign out" }).click();
      await signIn(page, await ui.token("platform"));
      await page.getByLabel("District (tenant ID)").fill(OTHER_TENANT);
      await page.getByRole("button", { name: "Open district" }).click();
      await page.locator(`tr[data-provider-id='${seed.other.id}']`).waitFor();
      expect(await page.getByText("Own district CSV").count()).toBe(0);
      await shot(page, "18-platform-admin");

      // An expired token kept in the tab sends the admin back to sign in, saying why.
      await page.evaluate(`sessionStorage.setItem("sis-sync.token", ${JSON.stringify(await ui.token("expired"))})`);
      await page.reload();
      await page.getByText("Your session has ended (the token has expired). Sign in again to continue.").waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("takes secrets once and afterwards shows only whether they are set", async () => {
    const { page, context, errors } = await ui.newPage();
    onTestFailed(async () => {
      await shot(page, `failure-${Date.now()}`).catch(() => undefined);
      console.log(`page errors: ${JSON.stringify(errors)}; url: ${page.url()}`);
    });
    try {
      await signIn(page, await ui.token("district"));
      await page.getByRole("link", { name: "Add integration", exact: true }).click();

      // SFTP needs a password or a key; the form says so before the API is asked.
      await page.getByLabel(/OneRoster CSV files/).check();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByLabel("An SFTP server").check();
      await page.getByLabel("SFTP host").fill("sftp.example.org");
      await page.getByLabel("Port (optional)").fill("70000");
      await page.getByLabel("Username", { exact: true }).fill("maplewood");
      await page.getByLabel("Remote folder or .zip file").fill("/exports");
      await page.getByLabel("Name", { exact: true }).fill("SFTP feed");
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("Port must be a whole number from 1 to 65535.").first().waitFor();
      await page.getByText("Enter a password or a private key for the SFTP server.").first().waitFor();
      expect(await unlabelled(page)).toEqual([]);

      // A OneRoster API provider: the secret is typed once.
      await page.getByRole("button", { name: "Back" }).click();
      await page.getByLabel(/OneRoster REST API/).check();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByLabel("Name", { exact: true }).fill("District OneRoster API");
      await page.getByLabel("Base URL").fill("ftp://sis.example.org");
      await page.getByLabel("Client ID").fill("client-7");
      await page.getByLabel("Client secret").fill("s3cret-value-never-shown");
      expect(await page.getByLabel("Token URL").count()).toBe(0);
      await page.getByLabel("Authentication").selectOption("oauth2");
      await page.getByLabel("Token URL").waitFor();
      expect(await page.getByLabel("Signature method").count()).toBe(0);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("Base URL must start with https:// (or http://).").first().waitFor();
      await page.getByLabel("Base URL").fill("https://93.184.216.34/ims/oneroster/v1p1");
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByLabel("Manual only").check();
      await page.getByRole("button", { name: "Review" }).click();
      const review = page.getByRole("region", { name: "Connection" });
      await expect(review.textContent()).resolves.toContain("Client secretSet");
      await expect(review.textContent()).resolves.toContain("OAuth 2.0 client credentials");
      expect(await page.content()).not.toContain("s3cret-value-never-shown");
      await page.getByRole("button", { name: "Create integration" }).click();

      await page.getByRole("heading", { name: "District OneRoster API", level: 1 }).waitFor();
      await page.getByText("Manual only (no schedule)").first().waitFor();
      const settings = page.getByRole("region", { name: "Settings" });
      await expect(settings.textContent()).resolves.toContain("Client secretSet");
      expect(await page.content()).not.toContain("s3cret-value-never-shown");
      await page.reload();
      await page.getByRole("heading", { name: "District OneRoster API", level: 1 }).waitFor();
      expect(await page.content()).not.toContain("s3cret-value-never-shown");
      await shot(page, "19-api-provider");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
