/**
 * Test kit: a fake Clever server on loopback and the generated district it serves.
 */
export * as FakeCleverServer from "./FakeCleverServer";
export * as FakeDistrict from "./FakeDistrict";
