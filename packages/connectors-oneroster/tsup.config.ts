import { defineConfig } from "tsup";

export default defineConfig({
  // The CSV parser worker is its own entry: `CsvRows` starts it from `csvWorker.js` next to itself.
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts", csvWorker: "src/csv/csvWorker.mjs" },
  format: "esm",
  sourcemap: true,
  clean: true,
});
