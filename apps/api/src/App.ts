/**
 * `makeApp`: the Hono application. Middleware (request id, audit trail and access log, body limit,
 * bearer authentication), every resource of `/api/v1` mounted with `app.route`, the service
 * endpoints (`/healthz`, `/readyz`, `/openapi.json`, `/docs`), and the one error handler that
 * turns failures into problem+json.
 */
import { PgDatabase } from "@sis-sync/storage-pg";
import { Connectors } from "@sis-sync/scheduler";
import * as Effect from "effect/Effect";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { sql } from "kysely";
import { logLine, type ApiRuntime, type AppContext, type LogEntry, type SourceFor } from "./AppContext";
import type { Authenticator } from "./auth/Jwt";
import { docsPage } from "./http/Docs";
import { openApiDocument } from "./http/OpenApi";
import { ApiProblem, problemResponse, toApiProblem } from "./http/Problem";
import { mountRoutes, type ApiEnv } from "./http/Route";
import { authenticate } from "./middleware/Authenticate";
import { auditTrail } from "./middleware/AuditTrail";
import { API_BASE, RESOURCES, ROUTE_TABLE } from "./routes/index";
import { adminUi, UI_BASE } from "./ui/AdminUi";
import type { OutboundUrl } from "@sis-sync/scheduler";
type OutboundPolicy = OutboundUrl.OutboundPolicy;
import { makeRateLimiter, type RateLimitOptions } from "./services/RateLimiter";

export interface AppOptions {
  readonly runtime: ApiRuntime;
  readonly authenticator: Authenticator;
  /** `NODE_ENV=production` (local imports need SIS_LOCAL_IMPORT_ROOT). Default false. */
  readonly production?: boolean;
  /** `SIS_ALLOW_PRIVATE_NETWORK=true`. Default false. */
  readonly allowPrivateNetwork?: boolean;
  /** DNS override for the outbound checks (tests). */
  readonly resolve?: OutboundPolicy["resolve"];
  /** `SIS_LOCAL_IMPORT_ROOT`. Default none. */
  readonly localImportRoot?: string | null;
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimitBytes?: number;
  /** Manual syncs per provider (default 6 per minute). */
  readonly manualSyncLimit?: RateLimitOptions;
  /** Connection tests per provider (default 10 per minute). */
  readonly connectionTestLimit?: RateLimitOptions;
  /** Provider → roster source for connection tests (default: the scheduler's connector registry). */
  readonly sourceFor?: SourceFor;
  /** Environment the connectors read (`CLEVER_API_URL`, …); default `process.env`. */
  readonly connectorEnv?: Readonly<Record<string, string | undefined>>;
  readonly probeRedirects?: boolean;
  readonly testTimeoutMs?: number;
  /** Where JSON log lines go (default: stdout). */
  readonly log?: (entry: LogEntry) => void;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;

const defaultLog = (entry: LogEntry) => process.stdout.write(logLine(entry));

/** The context routes run with, defaults filled in. */
export const makeContext = (options: AppOptions): AppContext => {
  const env = options.connectorEnv ?? process.env;
  return {
    runtime: options.runtime,
    authenticator: options.authenticator,
    production: options.production ?? false,
    outbound: { allowPrivateNetwork: options.allowPrivateNetwork ?? false, resolve: options.resolve },
    localPaths: { root: options.localImportRoot ?? null, production: options.production ?? false },
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    syncLimiter: makeRateLimiter(options.manualSyncLimit ?? { max: 6, windowMs: 60_000 }),
    testLimiter: makeRateLimiter(options.connectionTestLimit ?? { max: 10, windowMs: 60_000 }),
    sourceFor: options.sourceFor ?? ((provider) => Connectors.sourceFor(provider, { env })),
    probeRedirects: options.probeRedirects ?? true,
    testTimeoutMs: options.testTimeoutMs ?? 20_000,
    log: options.log ?? defaultLog,
  };
};

/** The routes of the app as a table (method, full path, definition). */
export const routeTable = () => ROUTE_TABLE;

export const makeApp = (options: AppOptions): Hono<ApiEnv> => {
  const ctx = makeContext(options);
  const app = new Hono<ApiEnv>();
  app.use("*", requestId({ headerName: "X-Request-Id" }));
  app.use("*", secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }));
  app.use("*", auditTrail({ ctx }));

  const document = openApiDocument(ROUTE_TABLE);
  const docs = docsPage(document);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const exit = await ctx.runtime.runPromiseExit(Effect.gen(function* () {
      const handle = yield* PgDatabase.PgDatabase;
      yield* Effect.tryPromise(() => sql`select 1`.execute(handle.db)).pipe(Effect.timeout(2_000));
    }));
    if (exit._tag === "Success") return c.json({ status: "ok" });
    throw new ApiProblem({ kind: "unavailable", detail: "the database is not reachable" });
  });
  app.get("/openapi.json", (c) => c.json(document));
  app.get("/docs", (c) => {
    c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    return c.html(docs);
  });

  // A browser pointed at the server's address lands on the admin page.
  app.get("/", (c) => c.redirect(UI_BASE, 302));
  app.route(UI_BASE, adminUi(ctx));

  const api = new Hono<ApiEnv>();
  api.use("*", bodyLimit({
    maxSize: ctx.bodyLimitBytes,
    onError: (c) =>
      problemResponse(new ApiProblem({ kind: "payload-too-large", detail: `the request body exceeds ${ctx.bodyLimitBytes} bytes` }), c.req.path, c.get("requestId")),
  }));
  api.use("*", authenticate({ authenticator: ctx.authenticator }));
  for (const resource of RESOURCES) api.route(resource.prefix, mountRoutes(resource.routes, ctx));
  app.route(API_BASE, api);

  app.notFound((c) => problemResponse(new ApiProblem({ kind: "not-found", detail: "no such endpoint" }), c.req.path, c.get("requestId")));
  app.onError((error, c) => {
    const problem = toApiProblem(error);
    if (problem.kind === "internal" || problem.kind === "config-unreadable") {
      ctx.log({
        level: "error",
        msg: "request failed",
        requestId: c.get("requestId"),
        path: c.req.path.slice(0, 300),
        error: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : "unknown",
      });
    }
    return problemResponse(problem, c.req.path, c.get("requestId"));
  });
  return app;
};
