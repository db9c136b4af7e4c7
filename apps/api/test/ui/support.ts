/**
 * Harness for the admin page's browser tests: the API on 127.0.0.1 (port 0) over a throwaway
 * database (PostgreSQL on TEST_DATABASE_URL, else PGlite), the scheduler's worker executing runs
 * in the same process, a feed whose batches can be held at a gate (so a run can be watched or
 * cancelled while it is in progress), headless Chromium through playwright-core, and screenshots.
 */
import { serve, type ServerType } from "@hono/node-server";
import { RosterSource, RosterSourceError, type Provider, type RosterSourceShape } from "@sis-sync/core";
import { BackgroundConfig, Connectors, startBackground, type Background } from "@sis-sync/scheduler";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Stream from "effect/Stream";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { AppOptions } from "../../src/App";
import { authorization, openTestApp, type Caller, type TestApp } from "../support";

/** The launch arguments of STACK.md §9 (Debian chromium, no sandbox in containers). */
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check",
];

export const SHOT_DIR = process.env["SHOT_DIR"] || resolve(import.meta.dirname, "../../test-results/screenshots");

/**
 * Holds every feed batch while closed. `close()` before starting a sync to watch it in progress;
 * `open()` lets it go on.
 */
export class FeedGate {
  private waiting: Promise<void> | null = null;
  private release: (() => void) | null = null;
  /** Batches read so far by all runs. */
  batches = 0;
  close() {
    if (this.waiting !== null) return;
    this.waiting = new Promise((ok) => {
      this.release = ok;
    });
  }
  open() {
    this.release?.();
    this.waiting = null;
    this.release = null;
  }
  pass(): Promise<void> {
    this.batches += 1;
    return this.waiting ?? Promise.resolve();
  }
}

/** The scheduler's connector for a provider, each batch passing the gate first (and a short pause). */
const gatedSource = (gate: FeedGate, delayMs: number) => (provider: Provider): Layer.Layer<RosterSource> =>
  Layer.effect(
    RosterSource,
    Connectors.sourceFor(provider).pipe(
      Effect.map((source): RosterSourceShape => ({
        ...source,
        extract: source.extract.pipe(Stream.tap(() => Effect.promise(async () => {
          await gate.pass();
          await new Promise((ok) => setTimeout(ok, delayMs));
        }))),
      })),
      Effect.catch((error: RosterSourceError) => Effect.succeed<RosterSourceShape>({ extract: Stream.fail(error), testConnection: Effect.fail(error) })),
    ),
  );

export interface UiHarness {
  readonly t: TestApp;
  readonly baseUrl: string;
  readonly browser: Browser;
  readonly gate: FeedGate;
  /** A bearer token (without "Bearer ") for a kind of caller. */
  readonly token: (caller: Caller, tenantId?: string) => Promise<string>;
  /** A fresh browser context and page (1280×900, en-US, America/Chicago); page errors are collected. */
  readonly newPage: () => Promise<{ readonly context: BrowserContext; readonly page: Page; readonly errors: Array<string> }>;
  readonly close: () => Promise<void>;
}

export const openUiHarness = async (options: Partial<AppOptions> = {}): Promise<UiHarness> => {
  const t = await openTestApp(options);
  const gate = new FeedGate();
  let background: Background.Background | null = null;
  let server: ServerType | null = null;
  let browser: Browser | null = null;
  let port = 0;
  try {
    background = await startBackground({
      runtime: t.runtime,
      config: { worker: BackgroundConfig.workerConfig({ pollIntervalMs: 100, leaseMs: 60_000 }), scheduler: null },
      worker: { sourceLayer: gatedSource(gate, 20) },
    });
    port = await new Promise<number>((ok) => {
      server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => ok(info.port));
    });
    browser = await chromium.launch({ executablePath: process.env["CHROMIUM_PATH"] || "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    await browser?.close();
    (server as ServerType | null)?.close();
    await background?.stop();
    await t.close();
    throw error;
  }
  mkdirSync(SHOT_DIR, { recursive: true });
  const liveBrowser = browser;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    t,
    baseUrl,
    browser: liveBrowser,
    gate,
    token: async (caller, tenantId) => (await authorization(caller, tenantId))!.replace(/^Bearer /, ""),
    newPage: async () => {
      const context = await liveBrowser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "America/Chicago" });
      const page = await context.newPage();
      const errors: Array<string> = [];
      page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error" && !/status of (400|401|404|409|429)/.test(message.text())) errors.push(`console: ${message.text()}`);
      });
      return { context, page, errors };
    },
    close: async () => {
      gate.open();
      await liveBrowser.close().catch(() => undefined);
      await new Promise<void>((ok) => (server === null ? ok() : (server as ServerType).close(() => ok())));
      await background?.stop();
      await t.close();
    },
  };
};

/** Saves a full-page screenshot as `<SHOT_DIR>/<name>.png`. */
let lastShot = Date.now();

export const shot = async (page: Page, name: string) => {
  if (process.env["UI_TIMING"]) console.log(`${String(Date.now() - lastShot).padStart(6)} ms before ${name}`);
  lastShot = Date.now();
  // Toasts are transient; keep them out of the pictures of the pages.
  await page.evaluate("document.querySelectorAll('#toasts .toast').forEach(function (t) { t.remove(); })");
  await page.screenshot({ path: resolve(SHOT_DIR, `${name}.png`), fullPage: true });
};
