/**
 * The shared store contract (core's `rosterStoreContract`, driven through the real engine) on
 * PGlite and, when a server is available, on PostgreSQL.
 */
import { rosterStoreContract } from "@sis-sync/core/testing";
import { layerTest, testBackends } from "../src/testing/index";

for (const backend of await testBackends()) {
  rosterStoreContract(backend, layerTest(backend));
}
