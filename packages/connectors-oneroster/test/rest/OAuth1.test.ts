import { assert, describe, it } from "@effect/vitest";
import * as OAuth1 from "../../src/rest/OAuth1";
import { FakeAuth } from "../../src/testing/rest";

describe("OAuth1 percent-encoding (RFC 5849 §3.6)", () => {
  it("keeps only unreserved characters and encodes the ones encodeURIComponent misses", () => {
    // Values from the percent-encoding table of X's "Creating a signature" guide.
    assert.strictEqual(OAuth1.percentEncode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
    assert.strictEqual(OAuth1.percentEncode("An encoded string!"), "An%20encoded%20string%21");
    assert.strictEqual(OAuth1.percentEncode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
    assert.strictEqual(OAuth1.percentEncode("☃"), "%E2%98%83");
    assert.strictEqual(OAuth1.percentEncode("'()*~-._/"), "%27%28%29%2A~-._%2F");
    assert.strictEqual(OAuth1.percentEncode("status='active'"), "status%3D%27active%27");
  });
});

describe("OAuth1 signature base string (RFC 5849 §3.4.1)", () => {
  it("normalises the base string URI (§3.4.1.2 examples)", () => {
    assert.strictEqual(OAuth1.baseStringUri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123"), "http://example.com/r%20v/X");
    assert.strictEqual(OAuth1.baseStringUri("https://www.example.net:8080/?q=1"), "https://www.example.net:8080/");
  });

  it("reproduces the §3.4.1.1 example: query and body parameters, repeated names, encoded names", () => {
    const oauth: Array<OAuth1.Param> = [
      ["oauth_consumer_key", "9djdj82h48djs9d2"],
      ["oauth_token", "kkk9d7dh3k39sjv7"],
      ["oauth_signature_method", "HMAC-SHA1"],
      ["oauth_timestamp", "137131201"],
      ["oauth_nonce", "7d8f3e4a"],
    ];
    const url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
    const body: Array<OAuth1.Param> = [["c2", ""], ["a3", "2 q"]];
    assert.strictEqual(
      OAuth1.normalizeParams([...OAuth1.queryParams(url), ...oauth, ...body]),
      "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7",
    );
    assert.strictEqual(
      OAuth1.signatureBaseString("POST", url, [...oauth, ...body]),
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
    );
  });
});

describe("OAuth1 signatures", () => {
  const photos = {
    method: "GET",
    url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
    consumerKey: "dpf43f3p2l4k3l03",
    consumerSecret: "kd94hf93k423kf44",
    token: "nnch734d00sl2jdk",
    tokenSecret: "pfkkdhi9sl3r4s00",
    nonce: "chapoH",
    timestamp: "137131202",
    version: null,
    realm: "Photos",
  } as const;

  it("reproduces RFC 5849 §1.2 (HMAC-SHA1) byte for byte, header included", () => {
    const signed = OAuth1.signRequest({ ...photos, signatureMethod: "HMAC-SHA1" });
    assert.strictEqual(
      signed.baseString,
      "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
    );
    assert.strictEqual(signed.signature, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    assert.include(signed.authorization, 'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"');
    assert.match(signed.authorization, /^OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", /);
  });

  it("reproduces X's published 'Creating a signature' example (POST body, '!' and '+' in values)", () => {
    const signed = OAuth1.signRequest({
      method: "POST",
      url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
      consumerKey: "xvz1evFS4wEEPTGEFPHBog",
      consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
      token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
      tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
      nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
      timestamp: "1318622958",
      signatureMethod: "HMAC-SHA1",
      bodyParams: [["status", "Hello Ladies + Gentlemen, a signed OAuth request!"]],
    });
    assert.strictEqual(signed.signature, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  });

  it("HMAC-SHA256 over the §1.2 base string matches an independent HMAC (openssl dgst -sha256 -hmac)", () => {
    const signed = OAuth1.signRequest({ ...photos, signatureMethod: "HMAC-SHA256" });
    assert.include(signed.baseString, "oauth_signature_method%3DHMAC-SHA256");
    const base = signed.baseString.replace("HMAC-SHA256", "HMAC-SHA1");
    assert.strictEqual(OAuth1.sign(base, "HMAC-SHA256", photos.consumerSecret, photos.tokenSecret), "7NYnfiUN//Gcjb9IY6/4CCsThBHtV2M8qinB+HZr4js=");
  });

  it("one-legged OneRoster requests: no token, version 1.0, SHA-256 by default, fresh nonce and timestamp every time", () => {
    const req = { method: "GET", url: "https://x.example/ims/oneroster/v1p1/users?limit=100&offset=0", consumerKey: "k", consumerSecret: "s" };
    const a = OAuth1.signRequest(req);
    const b = OAuth1.signRequest(req);
    assert.notInclude(a.authorization, "oauth_token");
    assert.include(a.authorization, 'oauth_signature_method="HMAC-SHA256"');
    assert.include(a.authorization, 'oauth_version="1.0"');
    const nonce = (s: string) => /oauth_nonce="([^"]+)"/.exec(s)![1];
    assert.notStrictEqual(nonce(a.authorization), nonce(b.authorization));
    assert.match(/oauth_timestamp="(\d+)"/.exec(a.authorization)![1]!, /^\d{10}$/);
  });

  it("the fake server's independent verifier accepts our signatures with awkward query values and rejects tampering and replays", () => {
    const verifier = FakeAuth.oauth1Verifier({ clientId: "key", clientSecret: "s3cr3t&!'", signatureMethods: ["HMAC-SHA256", "HMAC-SHA1"] });
    const query = [["filter", "familyName='O'Brien (Jr)!' AND email~'*@x.org'"], ["limit", "100"], ["offset", "0"]] as const;
    const url = `http://127.0.0.1:8080/ims/oneroster/v1p1/users?${query.map(([k, v]) => `${OAuth1.percentEncode(k)}=${OAuth1.percentEncode(v)}`).join("&")}`;
    for (const signatureMethod of ["HMAC-SHA256", "HMAC-SHA1"] as const) {
      const signed = OAuth1.signRequest({ method: "GET", url, consumerKey: "key", consumerSecret: "s3cr3t&!'", signatureMethod });
      assert.deepStrictEqual(verifier.verify("GET", url, signed.authorization).ok, true, signatureMethod);
      assert.deepStrictEqual(verifier.verify("GET", url, signed.authorization), { ok: false, why: "nonce reused" });
      const other = OAuth1.signRequest({ method: "GET", url, consumerKey: "key", consumerSecret: "s3cr3t&!'", signatureMethod });
      assert.deepStrictEqual(verifier.verify("GET", url.replace("offset=0", "offset=100"), other.authorization), { ok: false, why: "signature mismatch" });
    }
    const wrongSecret = OAuth1.signRequest({ method: "GET", url, consumerKey: "key", consumerSecret: "nope" });
    assert.deepStrictEqual(verifier.verify("GET", url, wrongSecret.authorization), { ok: false, why: "signature mismatch" });
  });
});
