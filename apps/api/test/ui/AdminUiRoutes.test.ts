/**
 * What the app serves for the admin page, without a browser: the HTML shell on each of the page's
 * paths (strict CSP, nothing loaded from elsewhere), the versioned script and stylesheet (the
 * script parses), and the page's JSON helpers (who a token is, schedule previews, presets), which
 * take the same bearer token as the API.
 */
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_SCRIPT } from "../../src/ui/Client";
import { STYLES } from "../../src/ui/Styles";
import { authorization, openTestApp, TENANT, type TestApp } from "../support";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await t.app.request(path, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe("admin page routes", () => {
  it("serves the shell on every page path with a strict CSP and no external resources", async () => {
    for (const path of ["/integrations/sis", "/integrations/sis/new", "/integrations/sis/providers/abc", "/integrations/sis/runs/abc"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.text).toMatch(/<script src="\/integrations\/sis\/assets\/app\.js\?v=[\w-]{16}" defer><\/script>/);
      expect(res.text).toMatch(/<link rel="stylesheet" href="\/integrations\/sis\/assets\/app\.css\?v=[\w-]{16}">/);
      expect(res.text).not.toMatch(/https?:\/\//);
      expect(res.text).not.toMatch(/<script>|<style>|style="/);
      expect(res.text).toContain('data-env="development"');
      expect(res.text).toContain('aria-live="polite"');
    }
    expect((await get("/integrations/sis/elsewhere/deep")).status).toBe(404);
    const slash = await get("/integrations/sis/");
    expect(slash.status).toBe(308);
    expect(slash.headers.get("location")).toBe("/integrations/sis");
    expect((await get("/integrations/sis/runs/abc/")).headers.get("location")).toBe("/integrations/sis/runs/abc");
  });

  it("marks production so the development sign-in hint is hidden", async () => {
    const prod = await openTestApp({ production: true, db: t.db });
    try {
      const res = await prod.app.request("/integrations/sis");
      expect(await res.text()).toContain('data-env="production"');
    } finally {
      await prod.close();
    }
  });

  it("serves the script and the stylesheet, versioned and revalidated", async () => {
    const shell = (await get("/integrations/sis")).text;
    const scriptUrl = /src="([^"]+app\.js[^"]+)"/.exec(shell)![1]!;
    const js = await get(scriptUrl);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.text).toBe(CLIENT_SCRIPT);
    expect(() => new Script(js.text)).not.toThrow();
    expect(js.text).not.toMatch(/\bimport\s*\(|\beval\s*\(|innerHTML|document\.write/);
    const etag = js.headers.get("etag")!;
    expect((await get(scriptUrl, { "if-none-match": etag })).status).toBe(304);
    expect((await get("/integrations/sis/assets/app.js")).headers.get("cache-control")).toBe("no-cache");

    const css = await get(/href="([^"]+app\.css[^"]+)"/.exec(shell)![1]!);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.text).toBe(STYLES);
    expect(css.text).not.toMatch(/url\(\s*["']?https?:|@import/);
  });

  it("tells the page who a token belongs to, with the API's refusals", async () => {
    const none = await get("/integrations/sis/ui-api/session");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.parse(none.text)).toMatchObject({ type: "urn:sis-sync:problem:unauthorized", detail: "missing bearer token" });
    const expired = await get("/integrations/sis/ui-api/session", { authorization: (await authorization("expired"))! });
    expect(JSON.parse(expired.text).detail).toBe("the token has expired");
    const teacher = await get("/integrations/sis/ui-api/session", { authorization: (await authorization("unknownRole"))! });
    expect(teacher.status).toBe(403);
    const district = await get("/integrations/sis/ui-api/session", { authorization: (await authorization("district"))! });
    expect(district.status).toBe(200);
    expect(district.headers.get("cache-control")).toBe("no-store");
    expect(JSON.parse(district.text)).toEqual({ sub: "district-1", role: "DISTRICT_ADMIN", tenantId: TENANT });
    const platform = await get("/integrations/sis/ui-api/session", { authorization: (await authorization("platform"))! });
    expect(JSON.parse(platform.text)).toEqual({ sub: "platform-1", role: "PLATFORM_ADMIN", tenantId: null });
  });

  it("previews schedules and lists presets in words for a signed-in caller", async () => {
    const auth = { authorization: (await authorization("district"))! };
    expect((await get("/integrations/sis/ui-api/schedule?schedule=daily")).status).toBe(401);
    const daily = JSON.parse((await get("/integrations/sis/ui-api/schedule?schedule=daily&timezone=America%2FChicago&count=2", auth)).text);
    expect(daily).toMatchObject({ ok: true, schedule: "daily", preset: "daily", cron: "0 2 * * *", words: "Every day at 2:00 AM, America/Chicago" });
    expect(daily.nextRuns).toHaveLength(2);
    expect(daily.nextRuns[0].label).toMatch(/2:00 AM C[SD]T$/);
    const bad = JSON.parse((await get("/integrations/sis/ui-api/schedule?schedule=61%20*%20*%20*%20*", auth)).text);
    expect(bad.ok).toBe(false);
    expect(bad.errors[0].path).toBe("syncSchedule");
    const manual = JSON.parse((await get("/integrations/sis/ui-api/schedule?schedule=&timezone=UTC", auth)).text);
    expect(manual).toMatchObject({ ok: true, schedule: null, words: "Manual only (no schedule)", nextRuns: [] });
    const tooMany = await get("/integrations/sis/ui-api/schedule?schedule=daily&count=500", auth);
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.text).errors).toEqual([{ path: "count", message: "must be a whole number from 0 to 10" }]);
    const presets = JSON.parse((await get("/integrations/sis/ui-api/presets", auth)).text);
    expect(presets.items.map((p: { words: string }) => p.words)).toContain("Monday to Friday at 2:00 AM");
  });
});
