/**
 * One vitest configuration for every package. With VITEST_JSON_DIR set (CI), each package also
 * writes a JSON report there so `.ci/run` can total the suite.
 */
import { basename } from "node:path";
import { defineConfig } from "vitest/config";

export const packageConfig = (dir: string, options: { timeoutMs?: number } = {}) => {
  const jsonDir = process.env["VITEST_JSON_DIR"];
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: options.timeoutMs ?? 60_000,
      hookTimeout: options.timeoutMs ?? 60_000,
      reporters: jsonDir ? ["default", ["json", { outputFile: `${jsonDir}/${basename(dir)}.json` }]] : ["default"],
    },
  });
};
