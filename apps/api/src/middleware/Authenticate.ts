/**
 * Bearer authentication for `/api/v1`: verifies the token and puts the principal on the context,
 * or fails with 401 (no or bad token) / 403 (a role that may not use the API). The refusal
 * reaches the audit trail, which records it as denied.
 */
import type { MiddlewareHandler } from "hono";
import type { Authenticator } from "../auth/Jwt";
import { forbidden, unauthorized } from "../http/Problem";
import type { ApiEnv } from "../http/Route";

export interface AuthenticateOptions {
  readonly authenticator: Authenticator;
}

export const authenticate = ({ authenticator }: AuthenticateOptions): MiddlewareHandler<ApiEnv> =>
  async function authenticate(c, next) {
    const result = await authenticator.authenticate(c.req.header("authorization"));
    if (!result.ok) {
      const audit = c.get("audit");
      if (result.sub !== undefined) audit.actor = result.sub;
      if (result.role !== undefined) audit.role = result.role;
      throw result.status === 401 ? unauthorized(result.reason) : forbidden(result.reason);
    }
    c.set("principal", result.principal);
    await next();
  };
