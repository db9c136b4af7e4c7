/**
 * The district admin page at `/integrations/sis`: one HTML shell for every page of the UI (the
 * browser routes `/`, `/new`, `/providers/:id`, `/runs/:id`), its stylesheet and script served by
 * this app (nothing from elsewhere; a strict Content-Security-Policy says so), and three small
 * JSON helpers for the page: who a token belongs to, a schedule in words with its next run times,
 * and the schedule presets in words. Everything else the page does goes through `/api/v1`.
 */
import { createHash } from "node:crypto";
import { Hono, type Context } from "hono";
import type { AppContext } from "../AppContext";
import type { Principal } from "../auth/Jwt";
import { forbidden, unauthorized, validation } from "../http/Problem";
import type { ApiEnv } from "../http/Route";
import { CLIENT_SCRIPT } from "./Client";
import { shellPage } from "./Page";
import { MAX_NEXT_RUNS, presetsInWords, previewSchedule } from "./SchedulePreview";
import { STYLES } from "./Styles";

export const UI_BASE = "/integrations/sis";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

interface Asset {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
  readonly version: string;
}

const asset = (body: string, type: string): Asset => {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
  return { body, type, etag: `"${hash}"`, version: hash };
};

const serveAsset = (c: Context<ApiEnv>, a: Asset) => {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-type": a.type,
    etag: a.etag,
    // Versioned URLs change with the content; an unversioned request revalidates.
    "cache-control": c.req.query("v") === a.version ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (c.req.header("if-none-match") === a.etag) return c.body(null, 304, headers);
  return c.body(a.body, 200, headers);
};

/** The caller of a UI helper, from the same bearer token the API takes. */
const principalOf = async (c: Context<ApiEnv>, ctx: AppContext): Promise<Principal> => {
  const result = await ctx.authenticator.authenticate(c.req.header("authorization"));
  if (!result.ok) throw result.status === 401 ? unauthorized(result.reason) : forbidden(result.reason);
  return result.principal;
};

const noStore = { "cache-control": "no-store" } as const;

/** The UI as a Hono app, mounted by `makeApp` at `/integrations/sis`. */
export const adminUi = (ctx: AppContext): Hono<ApiEnv> => {
  const ui = new Hono<ApiEnv>();
  const script = asset(CLIENT_SCRIPT, "text/javascript; charset=utf-8");
  const styles = asset(STYLES, "text/css; charset=utf-8");
  const html = shellPage({
    base: UI_BASE,
    scriptUrl: `${UI_BASE}/assets/app.js?v=${script.version}`,
    styleUrl: `${UI_BASE}/assets/app.css?v=${styles.version}`,
    production: ctx.production,
  });

  // "/integrations/sis/" and other page paths with a trailing slash: the page's canonical address.
  ui.use("*", async (c, next) => {
    const path = c.req.path;
    if (c.req.method === "GET" && path.length > UI_BASE.length && path.endsWith("/")) {
      const search = new URL(c.req.url).search;
      return c.redirect(`${path.replace(/\/+$/, "")}${search}`, 308);
    }
    await next();
  });

  ui.get("/assets/app.js", (c) => serveAsset(c, script));
  ui.get("/assets/app.css", (c) => serveAsset(c, styles));

  ui.get("/ui-api/session", async (c) => {
    const principal = await principalOf(c, ctx);
    return c.json({ sub: principal.sub, role: principal.role, tenantId: principal.tenantId }, 200, noStore);
  });

  ui.get("/ui-api/schedule", async (c) => {
    await principalOf(c, ctx);
    const schedule = c.req.query("schedule") ?? null;
    const timezone = c.req.query("timezone") ?? "UTC";
    const countText = c.req.query("count") ?? "5";
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 0 || count > MAX_NEXT_RUNS) {
      throw validation([{ path: "count", message: `must be a whole number from 0 to ${MAX_NEXT_RUNS}` }]);
    }
    if ((schedule?.length ?? 0) > 120 || timezone.length > 64) {
      throw validation([{ path: schedule !== null && schedule.length > 120 ? "syncSchedule" : "timezone", message: "is too long" }]);
    }
    return c.json(previewSchedule(schedule, timezone, new Date(), count), 200, noStore);
  });

  ui.get("/ui-api/presets", async (c) => {
    await principalOf(c, ctx);
    return c.json({ items: presetsInWords() }, 200, noStore);
  });

  // Every other path under the base is a page of the UI: the browser routes it.
  const page = (c: Context<ApiEnv>) => c.html(html, 200, { ...SECURITY_HEADERS, "cache-control": "no-store" });
  ui.get("/", page);
  ui.get("/new", page);
  ui.get("/providers/:providerId", page);
  ui.get("/runs/:runId", page);
  return ui;
};
