import { packageConfig } from "../../tooling/vitest.shared.ts";

export default packageConfig(import.meta.dirname);
