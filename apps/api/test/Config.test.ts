/**
 * The API's settings from the environment: defaults, and a clear `ConfigError` naming the variable
 * for a value it cannot use (main exits 2 on it).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, settingsFromEnv } from "../src/Config";

describe("settingsFromEnv", () => {
  it("defaults to port 3000, info logs, no private networks and no import root", () => {
    expect(settingsFromEnv({})).toEqual({
      port: 3000, host: undefined, production: false, allowPrivateNetwork: false, localImportRoot: null, logLevel: "info",
    });
    expect(settingsFromEnv({ LOG_LEVEL: " Debug " }).logLevel).toBe("debug");
    expect(settingsFromEnv({ LOG_LEVEL: "WARNING" }).logLevel).toBe("warn");
  });

  it("refuses a PORT, LOG_LEVEL or SIS_ALLOW_PRIVATE_NETWORK it cannot use, naming the variable", () => {
    expect(() => settingsFromEnv({ PORT: "abc" })).toThrow(new ConfigError('PORT must be a port number, got "abc"'));
    expect(() => settingsFromEnv({ LOG_LEVEL: "loud" })).toThrow(new ConfigError('LOG_LEVEL must be debug, info, warn or error, got "loud"'));
    expect(() => settingsFromEnv({ SIS_ALLOW_PRIVATE_NETWORK: "maybe" })).toThrow(ConfigError);
  });
});
