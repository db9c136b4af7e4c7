import { defineConfig } from "tsup";

// The testing entry loads testcontainers lazily, only when no TEST_DATABASE_URL is given: keep it out of the bundle.
export default defineConfig({
  entry: ["src/index.ts", "src/testing/index.ts"],
  format: "esm",
  sourcemap: true,
  clean: true,
  external: ["@testcontainers/postgresql", "testcontainers"],
});
