/**
 * Test kit for OneRoster REST: a fake server on loopback (OAuth 1.0a and 2.0, real paging, fault
 * injection) and generated districts written as OneRoster JSON in a vendor's style.
 */
export * as FakeOneRosterServer from "./FakeOneRosterServer";
export * as FakeDistrict from "./FakeDistrict";
export * as FakeAuth from "./FakeAuth";
