/**
 * Routes as data: each resource file lists `RouteDef`s (method, path, schemas, responses,
 * handler). `mountRoutes` turns them into a Hono sub-app that authenticates nothing itself (the
 * auth middleware runs first), decodes params, query and body with the route's schemas (unknown
 * fields refused), runs the handler through the runtime and lets failures reach the one error
 * mapper. The same list feeds `/openapi.json` and the authorization matrix test.
 */
import type { RosterStoreError } from "@sis-sync/core";
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Schema from "effect/Schema";
import * as SchemaIssue from "effect/SchemaIssue";
import { Hono, type Context } from "hono";
import type { ApiServices, AppContext } from "../AppContext";
import type { Principal } from "../auth/Jwt";
import { ApiProblem, unauthorized, validation, type FieldError } from "./Problem";
import { PROTECTED_FIELDS } from "./Schemas";

/** What the audit middleware writes for this request; handlers fill in the target. */
export interface AuditScope {
  action: string | null;
  tenantId: string | null;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown> | null;
  /** Who a refused token claimed to be (when it was valid but not allowed). */
  actor: string | null;
  role: string | null;
}

export type ApiEnv = {
  Variables: {
    requestId: string;
    principal: Principal | undefined;
    audit: AuditScope;
  };
};

export interface Reply {
  readonly status: 200 | 201 | 202 | 204;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HandlerInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal;
  readonly requestId: string;
  readonly audit: AuditScope;
  readonly ctx: AppContext;
}

export type RouteFailure = ApiProblem | RosterStoreError;

export type Handler<P, Q, B> = (input: HandlerInput<P, Q, B>) => Effect.Effect<Reply, RouteFailure, ApiServices>;

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: Schema.Top | undefined;
}

export interface BodySpec {
  /** The schema documented (and, without `decode`, used to decode). */
  readonly schema: Schema.Top;
  readonly required: boolean;
  /** Picks the schema to decode with (e.g. the member of a union named by a discriminator), or refuses. */
  readonly select?: ((raw: unknown) => Schema.Top | ApiProblem) | undefined;
}

export interface RouteDef {
  readonly method: Method;
  /** Hono path relative to the resource prefix, e.g. `/:providerId/sync`. */
  readonly path: string;
  /** Stable name: the OpenAPI operationId and the audit action. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string | undefined;
  readonly tag: string;
  readonly params?: Schema.Top | undefined;
  readonly query?: Schema.Top | undefined;
  readonly body?: BodySpec | undefined;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  // Erased: `defineRoute` checks the handler against the route's schemas.
  readonly handler: Handler<any, any, any>;
}

/** Declares a route with handler inputs typed by its schemas. */
export const defineRoute = <P = Record<string, never>, Q = Record<string, never>, B = undefined>(def: {
  readonly method: Method;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly params?: Schema.Decoder<P>;
  readonly query?: Schema.Decoder<Q>;
  readonly body?: BodySpec & { readonly schema: Schema.Decoder<NonNullable<B>> };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handler: Handler<P, Q, B>;
}): RouteDef => def as RouteDef;

/** A resource: its prefix under `/api/v1` and its routes. */
export interface Resource {
  readonly prefix: string;
  readonly routes: ReadonlyArray<RouteDef>;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const formatter = SchemaIssue.makeFormatterStandardSchemaV1();

const fieldErrors = (error: unknown, prefix: ReadonlyArray<string>): ReadonlyArray<FieldError> => {
  const issue = (error as { issue?: SchemaIssue.Issue }).issue;
  if (issue === undefined) return [{ path: prefix.join("."), message: "is invalid" }];
  const seen = new Set<string>();
  const out: Array<FieldError> = [];
  for (const i of formatter(issue).issues) {
    const segments = [...prefix, ...(i.path ?? []).map((p) => String(typeof p === "object" && p !== null && "key" in p ? p.key : p))];
    const path = segments.join(".");
    let message = i.message;
    if (message === "Expected no excess property") {
      const field = segments[segments.length - 1] ?? "";
      message = segments.length === prefix.length + 1 && (PROTECTED_FIELDS as ReadonlyArray<string>).includes(field)
        ? "is read-only and cannot be set by a client"
        : "is not a known field";
    } else if (message === "Missing key") {
      message = "is required";
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out.length > 0 ? out : [{ path: prefix.join("."), message: "is invalid" }];
};

/** Decodes strictly (unknown fields are errors); failures name every offending field. */
export const decodeStrict = <A>(schema: Schema.Top, input: unknown, prefix: ReadonlyArray<string> = []): Effect.Effect<A, ApiProblem> => {
  const exit = Schema.decodeUnknownExit(schema as Schema.Decoder<unknown>, { onExcessProperty: "error", errors: "all" })(input);
  return Exit.isSuccess(exit) ? Effect.succeed(exit.value as A) : Effect.fail(validation(fieldErrors(Cause.squash(exit.cause), prefix)));
};

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

const readBody = async (c: Context<ApiEnv>, spec: BodySpec | undefined): Promise<unknown> => {
  const text = await c.req.text();
  const empty = text.trim() === "";
  if (spec === undefined) {
    if (empty || text.trim() === "{}") return undefined;
    throw validation([{ path: "", message: "this endpoint takes no request body" }]);
  }
  if (empty) {
    if (spec.required) throw validation([{ path: "", message: "a JSON request body is required" }]);
    return undefined;
  }
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type)) throw new ApiProblem({ kind: "unsupported-media-type", detail: "send the body as application/json" });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw validation([{ path: "", message: "the body is not valid JSON" }]);
  }
};

const queryObject = (c: Context<ApiEnv>): Record<string, string | ReadonlyArray<string>> => {
  const all = c.req.queries();
  const out: Record<string, string | ReadonlyArray<string>> = {};
  for (const [key, values] of Object.entries(all)) out[key] = values.length === 1 ? values[0]! : values;
  return out;
};

// ---------------------------------------------------------------------------------------------
// Mounting

/** Runs an effect through the app's runtime; failures are thrown for the error handler. */
export const runEffect = async <A>(ctx: AppContext, effect: Effect.Effect<A, RouteFailure, ApiServices>): Promise<A> => {
  const exit = await ctx.runtime.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  throw Cause.squash(exit.cause);
};

const toResponse = (reply: Reply): Response => {
  const headers = new Headers(reply.headers ?? {});
  if (reply.status === 204 || reply.body === undefined) return new Response(null, { status: reply.status, headers });
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(reply.body), { status: reply.status, headers });
};

/** One Hono sub-app for a resource's routes. */
export const mountRoutes = (routes: ReadonlyArray<RouteDef>, ctx: AppContext): Hono<ApiEnv> => {
  const app = new Hono<ApiEnv>();
  for (const route of routes) {
    app.on(route.method, route.path, async (c) => {
      const audit = c.get("audit");
      audit.action = route.operationId;
      const principal = c.get("principal");
      if (principal === undefined) throw unauthorized("missing bearer token");
      const body = await readBody(c, route.body);
      const input = await runEffect(ctx, Effect.gen(function* () {
        const params = route.params ? yield* decodeStrict(route.params, c.req.param()) : {};
        const query = route.query ? yield* decodeStrict(route.query, queryObject(c)) : yield* decodeStrict(Schema.Struct({}), queryObject(c));
        let decodedBody: unknown = undefined;
        if (route.body !== undefined && body !== undefined) {
          const schema = route.body.select?.(body) ?? route.body.schema;
          if (schema instanceof ApiProblem) return yield* schema;
          decodedBody = yield* decodeStrict(schema, body);
        }
        return { params, query, body: decodedBody };
      }));
      const reply = await runEffect(ctx, route.handler({ ...input, principal, requestId: c.get("requestId"), audit, ctx }));
      return toResponse(reply);
    });
  }
  return app;
};
