/**
 * The connector wiring re-checks tenant-supplied hosts at run time: a REST base URL or SFTP host
 * that resolves to a private, loopback or metadata address fails the source before any connection.
 */
import { assert, describe, it } from "@effect/vitest";
import type { Provider } from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import * as Connectors from "../src/Connectors";

const provider = (providerType: Provider["providerType"], config: unknown): Provider => ({
  id: "p1", tenantId: "t1", providerType, name: "p", config, enabled: true, syncSchedule: null, timezone: "UTC", options: {},
  lastSyncAt: null, createdAt: new Date(), updatedAt: new Date(),
});

const extractError = (p: Provider, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const source = yield* Connectors.sourceFor(p, { env }).pipe(Effect.flip, Effect.map((e) => ({ failed: e })), Effect.orElseSucceed(() => null));
    if (source) return source.failed;
    const built = yield* Connectors.sourceFor(p, { env }).pipe(Effect.orDie);
    return yield* built.extract.pipe(Stream.runDrain, Effect.flip);
  });

describe("Connectors outbound guard", () => {
  it.effect("a OneRoster REST base URL on a metadata or loopback address is refused before connecting", () =>
    Effect.gen(function* () {
      for (const baseUrl of ["https://169.254.169.254/ims/oneroster/v1p1", "https://127.0.0.1:9/ims/oneroster/v1p1", "https://0x7f000001/ims/oneroster/v1p1"]) {
        const error = yield* extractError(provider("ONEROSTER_API", { baseUrl, clientId: "id", clientSecret: "s3cret" }));
        assert.match(error.message, /not allowed|refused|loopback|link-local|metadata|private/i, baseUrl);
        assert.notInclude(error.message, "s3cret");
      }
    }));

  it.effect("an SFTP host on a private address is refused unless private networks are allowed", () =>
    Effect.gen(function* () {
      const p = provider("ONEROSTER_CSV", { sftp: { host: "10.1.2.3", username: "u", password: "pw" }, remotePath: "/exports" });
      const refused = yield* extractError(p);
      assert.strictEqual(refused.reason, "Forbidden");
      assert.match(refused.message, /SFTP host 10\.1\.2\.3 is not allowed/);
      const loopback = provider("ONEROSTER_CSV", { sftp: { host: "127.0.0.1", port: 9, username: "u", password: "pw" }, remotePath: "/exports" });
      const allowed = yield* extractError(loopback, { SIS_ALLOW_PRIVATE_NETWORK: "true" });
      assert.notStrictEqual(allowed.reason, "Forbidden", "allowed through the guard, then refused by the closed port");
    }));

  it.effect("an SFTP host is checked again when connecting, and the address checked is the one connected to", () =>
    Effect.gen(function* () {
      // A name that answers outward to the first lookup and inward to the next (DNS rebinding).
      const answers = ["93.184.216.34", "10.9.8.7"];
      const lookups: Array<string> = [];
      const resolve = async (host: string) => {
        lookups.push(host);
        return [answers[Math.min(lookups.length - 1, answers.length - 1)]!];
      };
      const p = provider("ONEROSTER_CSV", { sftp: { host: "rebind.example.com", username: "u", password: "pw" }, remotePath: "/exports" });
      const source = yield* Connectors.sourceFor(p, { env: {}, resolve });
      const refused = yield* source.extract.pipe(Stream.runDrain, Effect.flip);
      assert.strictEqual(refused.reason, "Forbidden");
      assert.match(refused.message, /SFTP host rebind\.example\.com is not allowed/);
      assert.deepStrictEqual(lookups, ["rebind.example.com", "rebind.example.com"]);
    }));
});
