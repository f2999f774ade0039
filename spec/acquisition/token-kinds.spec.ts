import assert from "node:assert/strict";
import { hash } from "node:crypto";
import {
  OnBehalfOfAuthenticationProvider,
  type CachedToken,
  type OnBehalfOfAuthenticationProviderOptions,
  type OnBehalfOfTokenOptions,
  type TokenCache,
} from "../../lib/index.js";
import { AGENT_A, FakeAgentEntra } from "../support/agent-entra.js";
import { mockOboEndpoint } from "../support/entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT, userToken } from "../support/tokens.js";

/** Records every first-level lookup's key, and stores nothing. */
class KeyRecorder implements TokenCache {
  readonly keys: string[] = [];
  peek(key: string): CachedToken | undefined {
    this.keys.push(key);
    return undefined;
  }
  get(): undefined {
    return undefined;
  }
  set(): void {
    // nothing is stored
  }
  delete(): void {
    // nothing is stored
  }
}

const GRAPH = "https://graph.microsoft.com/.default";
const USER_OID = "5e5e5e5e-0000-4000-8000-0000000000bb";

function provider(
  recorder: KeyRecorder,
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
) {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache: recorder,
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

async function keyFor(options: OnBehalfOfTokenOptions, agentIdentity?: string): Promise<string> {
  const recorder = new KeyRecorder();
  await provider(recorder, agentIdentity === undefined ? {} : { agentIdentity }).getAccessToken(
    options,
  );
  const [key] = recorder.keys;
  assert.ok(key !== undefined);
  return key;
}

describe("the token-kind table (TOKEN_KINDS)", () => {
  it("keeps every kind's cache-key format (Redis shares keys across processes and versions)", async () => {
    const assertion = await userToken({ oid: "kinds", tid: TENANT });
    const user = hash("sha256", assertion, "base64url");
    const ns = "[A-Za-z0-9_-]{16}\\|";
    mockOboEndpoint();
    assert.match(
      await keyFor({ userAssertion: assertion }),
      new RegExp(`^${ns}${user}\\|${GRAPH}$`),
    );

    new FakeAgentEntra().expect(7); // a provider each: T1 + OBO, T1 + app-only, T1 + T2 + user_fic
    assert.match(
      await keyFor({ userAssertion: assertion }, AGENT_A),
      new RegExp(`^${ns}${AGENT_A}\\|obo\\|${user}\\|${GRAPH}$`),
    );
    assert.match(
      await keyFor({ tokenKind: "app-only" }, AGENT_A),
      new RegExp(`^${ns}${AGENT_A}\\|app-only\\|${TENANT}\\|${GRAPH}$`),
    );
    const agentUser = hash("sha256", `oid:${USER_OID}`, "base64url");
    assert.match(
      await keyFor({ agentUser: { objectId: USER_OID } }, AGENT_A),
      new RegExp(`^${ns}${AGENT_A}\\|agent-user\\|${TENANT}\\|${agentUser}\\|${GRAPH}$`),
    );
  });

  it("refuses an app-only token for scopes that are not /.default before the cache is read", async () => {
    const recorder = new KeyRecorder();
    await assert.rejects(
      provider(recorder, { agentIdentity: AGENT_A }).getAccessToken({
        tokenKind: "app-only",
        scopes: ["User.Read"],
      }),
      { code: "ERR_OBO_CONFIGURATION", option: "scopes" },
    );
    assert.deepEqual(recorder.keys, [], "no cache read");
  });

  it("logs a plain exchange by its tenant, and says when it carries claims", async () => {
    const info: string[] = [];
    const assertion = await userToken({ oid: "logged", tid: TENANT });
    mockOboEndpoint();
    mockOboEndpoint();
    const authProvider = provider(new KeyRecorder(), { logger: { info: (m) => info.push(m) } });
    await authProvider.getAccessToken({ userAssertion: assertion });
    await authProvider.getAccessToken({ userAssertion: assertion, claims: '{"access_token":{}}' });
    const what = info
      .map((line) => /requesting (.*) \(correlationId=/.exec(line)?.[1])
      .filter((w) => w !== undefined);
    assert.deepEqual(what, [
      `an On-Behalf-Of token (tenant=${TENANT})`,
      `an On-Behalf-Of token (tenant=${TENANT}, with claims)`,
    ]);
  });
});
