/**
 * The one place where failures become HTTP answers: RFC 9457 `application/problem+json` bodies
 * with a stable `type` and `title` per kind of problem. Routes fail with `ApiProblem`; storage and
 * unexpected errors are mapped here without echoing internals (a 500 says only what is safe).
 */
import { RosterStoreError } from "@sis-sync/core";
import { ConfigCipher } from "@sis-sync/storage-pg";
import * as Data from "effect/Data";
import { HTTPException } from "hono/http-exception";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Stable problem kinds: `type` is `urn:sis-sync:problem:<kind>`. */
export const PROBLEM_KINDS = {
  "validation": { status: 400, title: "Invalid request" },
  "unauthorized": { status: 401, title: "Authentication required" },
  "forbidden": { status: 403, title: "Forbidden" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "conflict": { status: 409, title: "Conflict" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "rate-limited": { status: 429, title: "Too many requests" },
  "config-unreadable": { status: 500, title: "Provider configuration cannot be decrypted" },
  "internal": { status: 500, title: "Internal error" },
  "unavailable": { status: 503, title: "Service unavailable" },
} as const;
export type ProblemKind = keyof typeof PROBLEM_KINDS;

export const problemType = (kind: ProblemKind) => `urn:sis-sync:problem:${kind}`;

export interface FieldError {
  /** Dot path of the offending field, e.g. `config.baseUrl`. */
  readonly path: string;
  readonly message: string;
}

/** A failure with its HTTP answer. `denied` marks refusals that the audit log records as denied. */
export class ApiProblem extends Data.TaggedError("ApiProblem")<{
  readonly kind: ProblemKind;
  readonly detail: string;
  readonly errors?: ReadonlyArray<FieldError> | undefined;
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly denied?: boolean | undefined;
}> {}

export const validation = (errors: ReadonlyArray<FieldError>, detail?: string) =>
  new ApiProblem({
    kind: "validation",
    detail: detail ?? errors.map((e) => (e.path === "" ? e.message : `${e.path}: ${e.message}`)).join("; "),
    errors,
  });
export const unauthorized = (detail: string) =>
  new ApiProblem({ kind: "unauthorized", detail, headers: { "www-authenticate": 'Bearer realm="sis-sync"' }, denied: true });
export const forbidden = (detail: string) => new ApiProblem({ kind: "forbidden", detail, denied: true });
export const notFound = (detail: string, options: { readonly denied?: boolean } = {}) =>
  new ApiProblem({ kind: "not-found", detail, denied: options.denied === true });
export const conflict = (detail: string, extra?: Record<string, unknown>) => new ApiProblem({ kind: "conflict", detail, extra });
export const rateLimited = (retryAfterSeconds: number, detail: string) =>
  new ApiProblem({ kind: "rate-limited", detail, headers: { "retry-after": String(retryAfterSeconds) }, extra: { retryAfter: retryAfterSeconds } });

const causeChain = (error: unknown): ReadonlyArray<unknown> => {
  const chain: Array<unknown> = [];
  let current: unknown = error;
  for (let i = 0; i < 5 && current != null; i++) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
};

/** Maps anything a route can fail with to an `ApiProblem` (never echoing internal messages). */
export const toApiProblem = (error: unknown): ApiProblem => {
  if (error instanceof ApiProblem) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiProblem({ kind: "payload-too-large", detail: "the request body is larger than this API accepts" });
    if (error.status === 401) return unauthorized("missing or invalid bearer token");
    return new ApiProblem({ kind: "validation", detail: "the request could not be read" });
  }
  const chain = causeChain(error);
  if (chain.some((e) => e instanceof ConfigCipher.ConfigCipherError)) {
    return new ApiProblem({
      kind: "config-unreadable",
      detail: "the provider's stored configuration cannot be decrypted with the configured SIS_ENCRYPTION_KEY; " +
        "restore the key it was written with (keys may be listed together as id:base64,...) or re-enter the configuration",
    });
  }
  if (error instanceof RosterStoreError && chain.some((e) => (e as { code?: unknown } | null)?.code === "23505")) {
    return conflict("a provider with this name already exists for the tenant");
  }
  return new ApiProblem({ kind: "internal", detail: "the request failed unexpectedly; see the server log for the request id" });
};

/** The problem+json body of an `ApiProblem`. */
export const problemBody = (problem: ApiProblem, instance: string, requestId: string | undefined) => {
  const { status, title } = PROBLEM_KINDS[problem.kind];
  // Extension members first, so they can never overwrite the standard ones.
  return {
    ...(problem.extra ?? {}),
    type: problemType(problem.kind),
    title,
    status,
    detail: problem.detail,
    instance,
    ...(requestId === undefined ? {} : { requestId }),
    ...(problem.errors === undefined ? {} : { errors: problem.errors }),
  };
};

/** The HTTP response of an `ApiProblem`. */
export const problemResponse = (problem: ApiProblem, instance: string, requestId: string | undefined): Response => {
  const body = problemBody(problem, instance, requestId);
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE, ...(problem.headers ?? {}) });
  if (requestId !== undefined) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(body), { status: body.status, headers });
};
