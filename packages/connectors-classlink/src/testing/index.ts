/**
 * Test kit for ClassLink: the fake OneRoster REST server set up as a Roster Server (OAuth 1.0a only,
 * no X-Total-Count) serving districts in ClassLink's value style.
 */
export * as FakeClassLinkServer from "./FakeClassLinkServer";
