/**
 * The shared store contract (core's `rosterStoreContract`, driven through the real engine) on
 * PGlite and, when a server is available, on PostgreSQL. The contract's feeds are small, so the store
 * probes indexes throughout; the last variant makes it take the whole-table hash-join path of big
 * feeds instead, so both ways of every step are held to the same results.
 */
import { rosterStoreContract } from "@sis-sync/core/testing";
import { layerTest, testBackends } from "../src/testing/index";

const backends = await testBackends();
for (const backend of backends) {
  rosterStoreContract(backend, layerTest(backend));
}
const big = backends.includes("pg") ? "pg" : "pglite";
rosterStoreContract(`${big}, whole-table hash joins`, layerTest(big, { hashJoinRows: 0 }));
