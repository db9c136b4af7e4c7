/**
 * The OpenAPI 3.1 document, generated from the route table and the same effect Schemas the routes
 * decode with (`Schema.toJsonSchemaDocument`, draft 2020-12, which OpenAPI 3.1 uses as is).
 * Request bodies are documented with `additionalProperties: false`, as they are enforced.
 */
import * as Schema from "effect/Schema";
import type { RouteDef } from "./Route";
import * as S from "./Schemas";
import { PROBLEM_CONTENT_TYPE } from "./Problem";

type Json = Record<string, unknown>;

export interface DocumentRoute {
  readonly method: string;
  readonly path: string;
  readonly route: RouteDef;
}

const rewriteRefs = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== "object" || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rewriteRefs(v);
  }
  return out;
};

/** Collects component schemas across documents. */
const makeCollector = () => {
  const components: Json = {};
  const toJson = (schema: Schema.Top, strict: boolean): Json => {
    const doc = Schema.toJsonSchemaDocument(schema, { onExcessProperty: strict ? "error" : "ignore" });
    for (const [name, definition] of Object.entries(doc.definitions)) {
      if (!(name in components)) components[name] = rewriteRefs(definition);
    }
    return rewriteRefs(doc.schema) as Json;
  };
  return { components, toJson };
};

const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, "{$1}");

const parametersOf = (schema: Schema.Top | undefined, where: "path" | "query", toJson: (s: Schema.Top, strict: boolean) => Json) => {
  if (schema === undefined) return [];
  const json = toJson(schema, false);
  const properties = (json["properties"] ?? {}) as Record<string, Json>;
  const required = new Set((json["required"] ?? []) as ReadonlyArray<string>);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
};

export interface OpenApiInfo {
  readonly title?: string;
  readonly version?: string;
}

/** Builds the document for the given routes. */
export const openApiDocument = (routes: ReadonlyArray<DocumentRoute>, info: OpenApiInfo = {}): Json => {
  const { components, toJson } = makeCollector();
  const problemRef = toJson(S.Problem, false);
  const paths: Record<string, Json> = {};
  for (const { method, path, route } of routes) {
    const responses: Json = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const isProblem = Number(status) >= 400;
      responses[status] = {
        description: spec.description,
        ...(spec.schema === undefined ? {} : { content: { [isProblem ? PROBLEM_CONTENT_TYPE : "application/json"]: { schema: isProblem ? problemRef : toJson(spec.schema, false) } } }),
      };
    }
    responses["401"] ??= { description: "No or invalid bearer token", content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } };
    responses["403"] ??= { description: "The token's role may not use this API", content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } };
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      tags: [route.tag],
      parameters: [...parametersOf(route.params, "path", toJson), ...parametersOf(route.query, "query", toJson)],
      ...(route.body === undefined ? {} : {
        requestBody: { required: route.body.required, content: { "application/json": { schema: toJson(route.body.schema, true) } } },
      }),
      responses,
    };
    const key = openApiPath(path);
    paths[key] = { ...(paths[key] ?? {}), [method.toLowerCase()]: operation };
  }
  const health = toJson(S.Health, false);
  const open = (summary: string, description: string, schema: Json | null, contentType = "application/json") => ({
    get: {
      summary,
      tags: ["Service"],
      security: [],
      responses: { 200: { description, ...(schema === null ? {} : { content: { [contentType]: { schema } } }) } },
    },
  });
  paths["/healthz"] = open("Liveness", "The process answers", health);
  paths["/readyz"] = {
    get: {
      ...open("Readiness", "The database is reachable", health).get,
      responses: {
        200: { description: "The database is reachable", content: { "application/json": { schema: health } } },
        503: { description: "The database is not reachable", content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } },
      },
    },
  };
  paths["/openapi.json"] = open("This document", "OpenAPI 3.1", { type: "object" });
  paths["/docs"] = open("Readable documentation", "HTML", { type: "string" }, "text/html");
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: info.title ?? "sis-sync API",
      version: info.version ?? "1.0.0",
      description: "Provider connections, syncs, run history and rosters of the sis-sync service. " +
        "Errors are RFC 9457 problem details (application/problem+json). Secrets in provider configs are write-only and shown as \"***\".",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "Tenants" }, { name: "Providers" }, { name: "Syncs" }, { name: "Runs" }, { name: "Schedules" }, { name: "Service" },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "HS256 (AUTH_JWT_SECRET) or RS256 (AUTH_JWKS_URL). Claims: sub, role (DISTRICT_ADMIN | PLATFORM_ADMIN), tenantId (district admins), exp (required).",
        },
      },
      schemas: components,
    },
  };
};
