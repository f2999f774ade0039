import assert from "node:assert/strict";
import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import {
  createGraphClient,
  runWithUserAssertion,
  withTokenOptions,
  type OnBehalfOfError,
} from "../../lib/index.js";
import { KiotaOnBehalfOfAuthenticationProvider, onBehalfOfOption } from "../../lib/kiota.js";
import { useEmulator } from "../emulator/support/emulator.js";
import { SpyCache } from "./spy-cache.js";
import { apiProvider, assertTokenOf, rejectsWithCode } from "./support.js";

const USER_READ = "https://graph.microsoft.com/User.Read";
const READ_BASIC = "https://graph.microsoft.com/User.ReadBasic.All";

function kiotaRequest(): RequestInformation {
  const request = new RequestInformation(HttpMethod.GET, "https://graph.microsoft.com/v1.0/me");
  request.urlTemplate = "https://graph.microsoft.com/v1.0/me";
  return request;
}

function bearerOf(request: RequestInformation): string {
  const [value = ""] = [...(request.headers.get("Authorization") ?? [])];
  assert.ok(value.startsWith("Bearer "));
  return value.slice("Bearer ".length);
}

describe("long-running sessions: adapters, faults and secrets", () => {
  const emulator = useEmulator();
  const alice = "alice@contoso.example";
  const bob = "bob@contoso.example";

  it("serves a session through the Graph v3 middleware option, outside any request and inside another user's", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const graph = createGraphClient({ authProvider: provider, ...emulator().graphClientOptions() });
    const me = (await graph
      .api("/me")
      .middlewareOptions([withTokenOptions({ session, scopes: [READ_BASIC] })])
      .get()) as { userPrincipalName: string };
    assert.equal(me.userPrincipalName, alice);
    // Inside bob's request, the session is still alice's: the option decides, not the context.
    const bobToken = await emulator().signIn({ user: bob });
    const [asSession, asBob] = await runWithUserAssertion(bobToken, () =>
      Promise.all([
        graph
          .api("/me")
          .middlewareOptions([withTokenOptions({ session })])
          .get() as Promise<{
          userPrincipalName: string;
        }>,
        graph.api("/me").get() as Promise<{ userPrincipalName: string }>,
      ]),
    );
    assert.equal(asSession.userPrincipalName, alice);
    assert.equal(asBob.userPrincipalName, bob);
  });

  it("serves a session through the Kiota provider (bound, or per request) and a TokenCredential", async () => {
    const provider = apiProvider(emulator());
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bobs = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    const bound = new KiotaOnBehalfOfAuthenticationProvider(provider, { session });
    const request = kiotaRequest();
    await bound.authenticateRequest(request);
    assertTokenOf(emulator(), bearerOf(request), alice);

    const perRequest = kiotaRequest();
    perRequest.addRequestOptions([onBehalfOfOption({ session: bobs, scopes: [USER_READ] })]);
    await bound.authenticateRequest(perRequest);
    assertTokenOf(emulator(), bearerOf(perRequest), bob);

    const credential = provider.asTokenCredential({ session });
    const token = await credential.getToken(READ_BASIC);
    assert.ok(token);
    assertTokenOf(emulator(), token.token, alice);
    assert.ok(token.expiresOnTimestamp > Date.now());
    await rejectsWithCode(
      provider.asTokenCredential({ session, userAssertion: "x" }).getToken(USER_READ),
      "ERR_OBO_CONFIGURATION",
    );
  });

  it("retries a transient failure of a refresh and keeps the session; a lasting one fails that call only", async () => {
    const provider = apiProvider(emulator(), {
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const bystander = await provider.startSession({
      userAssertion: await emulator().signIn({ user: bob }),
    });
    emulator().inject({
      endpoint: "token",
      user: alice,
      times: 1,
      fault: { kind: "server_error", status: 503 },
    });
    assertTokenOf(
      emulator(),
      await provider.getAccessToken({ session, scopes: [USER_READ] }),
      alice,
    );

    emulator().inject({
      endpoint: "token",
      user: alice,
      times: Infinity,
      fault: { kind: "connection_reset" },
    });
    const [failed, served] = await Promise.allSettled([
      provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      provider.getAccessToken({ session: bystander, scopes: [READ_BASIC] }),
    ]);
    assert.equal(failed.status, "rejected");
    assert.equal((failed.reason as OnBehalfOfError).code, "ERR_OBO_TOKEN_REQUEST_FAILED");
    assert.equal((failed.reason as OnBehalfOfError).leg, "refresh-token");
    assert.equal(served.status, "fulfilled");
    assertTokenOf(emulator(), served.value, bob);
    emulator().clearInjections();
    // The session survived the outage.
    assertTokenOf(
      emulator(),
      await provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      alice,
    );
  });

  it("never writes a refresh token, an access token or a session key in a log line or an error", async () => {
    const lines: string[] = [];
    const record = (line: string): void => {
      lines.push(line);
    };
    const cache = new SpyCache();
    const provider = apiProvider(emulator(), {
      tokenCache: cache,
      logger: { error: record, warn: record, info: record, verbose: record },
    });
    const session = await provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
    });
    const token = await provider.getAccessToken({ session, scopes: [USER_READ] });
    emulator().revokeSessions(alice);
    const error = await rejectsWithCode(
      provider.getAccessToken({ session, scopes: [READ_BASIC] }),
      "ERR_OBO_SESSION_REVOKED",
    );
    const refreshTokens = cache.store.replaces.map((call) => call.next.refreshToken);
    assert.ok(refreshTokens.length > 0);
    const text = [
      ...lines,
      String(error),
      JSON.stringify(error),
      String((error as Error).stack),
      String((error as { cause?: unknown }).cause),
    ].join("\n");
    for (const secret of [...refreshTokens, token, session, session.slice(5)]) {
      assert.ok(!text.includes(secret), "no secret in the output");
    }
    assert.ok(lines.some((line) => line.includes("long-running session")));
  });

  it("gives up starting a session when the caller aborts, with other users' sessions served", async () => {
    const provider = apiProvider(emulator());
    emulator().inject({
      endpoint: "token",
      user: alice,
      times: 1,
      fault: { kind: "delay", ms: 2_000 },
    });
    const controller = new AbortController();
    const starting = provider.startSession({
      userAssertion: await emulator().signIn({ user: alice }),
      abortSignal: controller.signal,
    });
    const bobs = provider.startSession({ userAssertion: await emulator().signIn({ user: bob }) });
    controller.abort();
    await rejectsWithCode(starting, "ERR_OBO_ABORTED");
    assertTokenOf(emulator(), await provider.getAccessToken({ session: await bobs }), bob);
  });
});
