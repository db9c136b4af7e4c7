/**
 * How a request is authenticated, behind one small interface so the client does not care whether
 * it signs (OAuth 1.0a) or carries a bearer token (OAuth 2.0 client credentials).
 */
import * as OAuth1 from "./OAuth1";
import * as OAuth2 from "./OAuth2";
import type * as RestHttp from "./RestHttp";

export interface Authenticator {
  /** For messages: "OAuth 1.0a HMAC-SHA256", "OAuth 2.0 client credentials". */
  readonly description: string;
  /** Headers for one attempt of one request. OAuth 1.0a signs `url` exactly as it will be sent. */
  readonly authorize: (method: "GET", url: string, signal: AbortSignal) => Promise<Readonly<Record<string, string>>>;
  /**
   * Called once after a 401 with the headers that were refused. `true` when a retry with fresh
   * credentials can help (a cached OAuth 2.0 token); signatures are fresh on every attempt anyway.
   */
  readonly refresh: (refused: Readonly<Record<string, string>>) => boolean;
  /** The advice appended to a final 401. */
  readonly unauthorizedHint: string;
}

export const oauth1 = (c: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly signatureMethod: OAuth1.SignatureMethod;
}): Authenticator => ({
  description: `OAuth 1.0a ${c.signatureMethod}`,
  authorize: async (method, url) => ({
    authorization: OAuth1.signRequest({ method, url, consumerKey: c.clientId, consumerSecret: c.clientSecret, signatureMethod: c.signatureMethod })
      .authorization,
  }),
  refresh: () => false,
  unauthorizedHint: "check client id and secret (OAuth 1.0a signatures also carry a timestamp: check this server's clock)",
});

export const oauth2 = (c: OAuth2.ClientCredentials, transport: RestHttp.Transport): Authenticator => {
  const tokens = OAuth2.makeTokenSource(c, transport);
  return {
    description: "OAuth 2.0 client credentials",
    authorize: async (_method, _url, signal) => ({ authorization: `Bearer ${await tokens.token(signal)}` }),
    refresh: (refused) => {
      const header = refused["authorization"] ?? "";
      if (!header.startsWith("Bearer ")) return false;
      tokens.invalidate(header.slice("Bearer ".length));
      return true;
    },
    unauthorizedHint: "check client id and secret (a fresh access token was refused too)",
  };
};
