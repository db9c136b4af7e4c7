import { packageConfig } from "../../tooling/vitest.shared";

export default packageConfig(import.meta.dirname);
