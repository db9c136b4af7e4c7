/**
 * Failures of the REST client, and the translation of HTTP statuses and OneRoster error bodies into
 * messages an administrator can act on. Messages never carry secrets, signatures, tokens or upstream
 * text: only status codes, our own request paths and short machine tokens (codeMinor) we validated.
 */
import { RosterSourceError, type SourceErrorReason } from "@sis-sync/core";

/** Thrown inside the promise-based client; turned into `RosterSourceError` at the port. */
export class RestFailure extends Error {
  readonly reason: SourceErrorReason;
  constructor(reason: SourceErrorReason, message: string) {
    super(message);
    this.name = "RestFailure";
    this.reason = reason;
  }
}

export const isAbortError = (e: unknown): boolean =>
  e instanceof Error && (e.name === "AbortError" || (e as { code?: unknown }).code === "ABORT_ERR");

/** The bridge to the port: known failures keep their reason, anything else is a transport problem. */
export const toSourceError = (e: unknown): RosterSourceError => {
  if (e instanceof RosterSourceError) return e;
  if (e instanceof RestFailure) return new RosterSourceError({ reason: e.reason, message: e.message });
  if (isAbortError(e)) return new RosterSourceError({ reason: "Cancelled", message: "the read was cancelled" });
  const name = e instanceof Error ? e.name : typeof e;
  return new RosterSourceError({ reason: "Transport", message: `unexpected failure while reading the provider (${name})` });
};

/** What the three observed error body shapes (spec §1.7) have in common. */
export interface StatusInfo {
  readonly codeMajor: string | null;
  readonly severity: string | null;
  readonly codeMinor: string | null;
}

/** A vendor token is shown only when it looks like one: never free text from the body. */
const token = (value: unknown): string | null =>
  typeof value === "string" && /^[A-Za-z][A-Za-z0-9_.\- ]{0,63}$/.test(value.trim()) ? value.trim() : null;

const codeMinorOf = (info: Record<string, unknown>): string | null => {
  const flat = token(info["imsx_codeMinor"]);
  if (flat !== null) return flat;
  const nested = (info["imsx_CodeMinor"] ?? info["imsx_codeMinor"]) as Record<string, unknown> | undefined;
  const field = nested && typeof nested === "object" ? nested["imsx_codeMinorField"] : undefined;
  const first = Array.isArray(field) ? field[0] : field;
  return first && typeof first === "object" ? token((first as Record<string, unknown>)["imsx_codeMinorFieldValue"]) : null;
};

/**
 * Reads `{statusInfoSet: [info]}`, a bare `imsx_StatusInfo` object (also wrapped in an
 * `imsx_StatusInfo` key) or the flat 1.2-style object. `null` when the body is none of them.
 */
export const statusInfoOf = (body: unknown): StatusInfo | null => {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const o = body as Record<string, unknown>;
  const set = o["statusInfoSet"];
  const candidate = Array.isArray(set) ? set[0] : (o["imsx_StatusInfo"] ?? o["imsx_statusInfo"] ?? o);
  if (!candidate || typeof candidate !== "object") return null;
  const info = candidate as Record<string, unknown>;
  if (!("imsx_codeMajor" in info) && !("imsx_severity" in info)) return null;
  return { codeMajor: token(info["imsx_codeMajor"]), severity: token(info["imsx_severity"]), codeMinor: codeMinorOf(info) };
};

export const parseStatusInfo = (text: string): StatusInfo | null => {
  try {
    return statusInfoOf(JSON.parse(text));
  } catch {
    return null;
  }
};

const minorSuffix = (info: StatusInfo | null) => (info?.codeMinor ? ` (codeMinor ${info.codeMinor})` : "");

/** The failure for a final, non-retried HTTP error status. `what` is e.g. `GET /users`. */
export const statusFailure = (
  status: number,
  what: string,
  info: StatusInfo | null,
  hints: { readonly unauthorized: string },
): RestFailure => {
  const suffix = minorSuffix(info);
  if (status === 401) return new RestFailure("Unauthorized", `${what}: 401 from provider: ${hints.unauthorized}${suffix}`);
  if (status === 403) {
    return new RestFailure("Forbidden", `${what}: 403 from provider: these credentials may not read this collection; check the application's permissions or scopes${suffix}`);
  }
  if (status === 404) {
    return new RestFailure("NotFound", `${what}: 404 from provider: check the base URL (it normally ends in /ims/oneroster/v1p1)${suffix}`);
  }
  if (status === 429) return new RestFailure("RateLimited", `${what}: 429 Too Many Requests from provider${suffix}`);
  if (status >= 500) return new RestFailure("Transport", `${what}: ${status} from provider (server error)${suffix}`);
  return new RestFailure("BadResponse", `${what}: unexpected HTTP ${status} from provider${suffix}`);
};
