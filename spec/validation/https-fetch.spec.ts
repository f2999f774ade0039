import assert from "node:assert/strict";
import { fetchTrusting } from "../../lib/validation/https-fetch.js";
import { startJwksServer, TEST_CA, type JwksServer } from "./support/servers.js";

function get(url: string, signal: AbortSignal): Promise<Response> {
  return fetchTrusting([TEST_CA])(url, {
    method: "GET",
    redirect: "manual",
    headers: new Headers({ accept: "application/json" }),
    signal,
  });
}

describe("fetchTrusting (downloads with extra CAs)", () => {
  let server: JwksServer;

  beforeEach(async () => {
    server = await startJwksServer([{ kty: "RSA", kid: "k", n: "AQAB", e: "AQAB" }], { tls: true });
  });

  afterEach(async () => {
    await server.close();
  });

  it("answers with the status and body", async () => {
    const response = await get(`${server.origin}/keys`, AbortSignal.timeout(5_000));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      keys: [{ kty: "RSA", kid: "k", n: "AQAB", e: "AQAB" }],
    });
  });

  it("passes other statuses through", async () => {
    server.failWith(503);
    assert.equal((await get(`${server.origin}/keys`, AbortSignal.timeout(5_000))).status, 503);
  });

  it("refuses a body larger than a key set can be", async () => {
    server.publish(
      Array.from({ length: 20_000 }, (_, i) => ({ kty: "RSA", kid: `k${i}`, n: "x".repeat(64) })),
    );
    await assert.rejects(get(`${server.origin}/keys`, AbortSignal.timeout(5_000)), /too large/);
  });

  it("rejects with the signal's reason when aborted before or during the request", async () => {
    const early = new AbortController();
    early.abort(new Error("early"));
    await assert.rejects(get(`${server.origin}/keys`, early.signal), /early/);
    const late = new AbortController();
    const pending = get(`${server.origin}/keys`, late.signal);
    late.abort(new Error("late"));
    await assert.rejects(pending, /late/);
  });

  it("fails on a connection error", async () => {
    const origin = server.origin;
    await server.close();
    await assert.rejects(get(`${origin}/keys`, AbortSignal.timeout(5_000)));
    server = await startJwksServer([], { tls: true });
  });
});
