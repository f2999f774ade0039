import {
  AuthError,
  ConfidentialClientApplication,
  type Configuration,
  type ServerError,
} from "@azure/msal-node";
import { decodeJwt } from "jose";

/**
 * Where the conformance checks send their requests: the emulator (offline, in `npm test`) or a real
 * tenant (`npm run conformance -- --live`). Everything goes through the real msal-node.
 */
export interface ConformanceTarget {
  /** "emulator" or the tenant id. */
  readonly name: string;
  readonly blueprintId: string;
  readonly agentId: string;
  /** The agent's user account: object id and UPN. */
  readonly agentUser: { readonly objectId: string; readonly upn: string };
  /** The msal-node configuration of an app: authority, network and credential. */
  config(clientId: string, credential: Configuration["auth"]): Configuration;
  /** The blueprint's own credential (a client secret). */
  readonly blueprintCredential: Configuration["auth"];
  /** A user's access token for the blueprint (`api://<blueprint>/access_agent`). */
  userTokenForBlueprint(): Promise<string>;
  /** A delegated Graph scope nobody granted the agent, e.g. `https://graph.microsoft.com/Mail.Send`. */
  readonly ungrantedScope: string;
}

/** One rule of the conformance table, checked against a target. */
export interface ConformanceCheck {
  /** The id in packages/emulator/CONFORMANCE.md. */
  readonly id: string;
  readonly rule: string;
  /** What Entra answers: `served`, or `AADSTS<n>` (with facts for served checks). */
  readonly expected: string;
  /** Sends the request(s) and says what came back, in the terms of `expected`. */
  run(target: ConformanceTarget): Promise<string>;
}

const EXCHANGE = "api://AzureADTokenExchange/.default";
const GRAPH = "https://graph.microsoft.com/.default";

/** What an msal-node call answered: `served`, or the AADSTS code of Entra's refusal. */
async function answer(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "served";
  } catch (error) {
    if (error instanceof AuthError) {
      const errorNo = (error as Partial<ServerError>).errorNo;
      const code = errorNo ?? /AADSTS(\d+)/.exec(error.errorMessage)?.[1];
      return code === undefined ? `failed: ${error.errorCode}` : `AADSTS${code}`;
    }
    throw error;
  }
}

function blueprint(t: ConformanceTarget): ConfidentialClientApplication {
  return new ConfidentialClientApplication(t.config(t.blueprintId, t.blueprintCredential));
}

/** The agent, authenticated with T1 from the blueprint for `exchangeScope` with fmi_path. */
function agent(t: ConformanceTarget, exchangeScope = EXCHANGE): ConfidentialClientApplication {
  const parent = blueprint(t);
  return new ConfidentialClientApplication(
    t.config(t.agentId, {
      clientId: t.agentId,
      clientAssertion: async ({ clientId }) =>
        (
          await parent.acquireTokenByClientCredential({
            scopes: [exchangeScope],
            fmiPath: clientId,
          })
        )?.accessToken ?? "",
    }),
  );
}

async function agentExchangeToken(client: ConfidentialClientApplication): Promise<string> {
  const t2 = await client.acquireTokenByClientCredential({ scopes: [EXCHANGE], skipCache: true });
  return t2?.accessToken ?? "";
}

/** The one refresh token in a client's msal-node cache (never printed: only compared). */
function cachedRefreshToken(client: ConfidentialClientApplication): string | undefined {
  const cache = JSON.parse(client.getTokenCache().serialize()) as {
    RefreshToken?: Record<string, { secret: string }>;
  };
  const secrets = Object.values(cache.RefreshToken ?? {}).map((entry) => entry.secret);
  return secrets.length === 1 ? secrets[0] : undefined;
}

/** The agent's On-Behalf-Of for the user (msal-node asks for offline_access): its refresh token. */
async function agentRefreshToken(t: ConformanceTarget): Promise<string | undefined> {
  const client = agent(t);
  await client.acquireTokenOnBehalfOf({
    oboAssertion: await t.userTokenForBlueprint(),
    scopes: [GRAPH],
  });
  return cachedRefreshToken(client);
}

/** Redeems a refresh token as the agent (T1 as client assertion); the rotated token, or the refusal. */
async function redeemAsAgent(
  t: ConformanceTarget,
  refreshToken: string,
): Promise<{ got: string; rotated: string | undefined }> {
  const client = agent(t);
  const got = await answer(() =>
    client.acquireTokenByRefreshToken({ refreshToken, scopes: [GRAPH], forceCache: true }),
  );
  return { got, rotated: got === "served" ? cachedRefreshToken(client) : undefined };
}

/** The portable checks: each sends the violating request and reports what came back. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  {
    id: "A1",
    rule: "a blueprint's exchange token without fmi_path",
    expected: "AADSTS82008",
    run: (t) => answer(() => blueprint(t).acquireTokenByClientCredential({ scopes: [EXCHANGE] })),
  },
  {
    id: "A2",
    rule: "the agent's own exchange token (T2), no fmi_path",
    expected: "served",
    run: (t) => answer(() => agentExchangeToken(agent(t))),
  },
  {
    id: "A3",
    rule: "user_fic with a UPN in user_id",
    expected: "AADSTS50000",
    run: async (t) => {
      const client = agent(t);
      const t2 = await agentExchangeToken(client);
      return answer(() =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [GRAPH],
          assertion: t2,
          userObjectId: t.agentUser.upn,
        }),
      );
    },
  },
  {
    id: "A3+",
    rule: "user_fic with the object id in user_id, then the UPN in username",
    expected: "served",
    run: async (t) => {
      const client = agent(t);
      const t2 = await agentExchangeToken(client);
      const byId = await answer(() =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [GRAPH],
          assertion: t2,
          userObjectId: t.agentUser.objectId,
        }),
      );
      if (byId !== "served") return `user_id: ${byId}`;
      return answer(() =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [GRAPH],
          assertion: t2,
          username: t.agentUser.upn,
        }),
      );
    },
  },
  {
    id: "A5",
    rule: "the agent's On-Behalf-Of for a scope it was not granted",
    expected: "AADSTS82014",
    run: async (t) => {
      const assertion = await t.userTokenForBlueprint();
      return answer(() =>
        agent(t).acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [t.ungrantedScope] }),
      );
    },
  },
  {
    id: "A7",
    rule: "the blueprint's On-Behalf-Of for itself (no agent)",
    expected: "refused",
    run: async (t) => {
      const assertion = await t.userTokenForBlueprint();
      const got = await answer(() =>
        blueprint(t).acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [GRAPH] }),
      );
      return got === "served" ? "served" : `refused (${got})`;
    },
  },
  {
    id: "A8",
    rule: "one T2 presented twice (reuse until it expires)",
    expected: "served",
    run: async (t) => {
      const client = agent(t);
      const t2 = await agentExchangeToken(client);
      const once = () =>
        client.acquireTokenByUserFederatedIdentityCredential({
          scopes: [GRAPH],
          assertion: t2,
          userObjectId: t.agentUser.objectId,
        });
      const first = await answer(once);
      return first === "served" ? answer(once) : `first use: ${first}`;
    },
  },
  {
    id: "A9",
    rule: "agent facet claims in an app-only agent token",
    expected: "served, xms_act_fct has 11",
    run: async (t) => {
      const result = await agent(t).acquireTokenByClientCredential({ scopes: [GRAPH] });
      const facets = decodeJwt(result?.accessToken ?? "").xms_act_fct;
      return typeof facets === "string" && facets.split(" ").includes("11")
        ? "served, xms_act_fct has 11"
        : "served, no xms_act_fct";
    },
  },
  {
    id: "A10",
    rule: "an exchange token for another cloud's audience as the agent's credential",
    expected: "AADSTS70022204",
    run: (t) =>
      answer(() =>
        agent(t, "api://AzureADTokenExchangeUSGov/.default").acquireTokenByClientCredential({
          scopes: [GRAPH],
        }),
      ),
  },
  {
    id: "R2",
    rule: "the agent's On-Behalf-Of returns a refresh token, which the agent redeems (T1) for a new one",
    expected: "served, rotated",
    run: async (t) => {
      const refreshToken = await agentRefreshToken(t);
      if (refreshToken === undefined) return "no refresh token";
      const { got, rotated } = await redeemAsAgent(t, refreshToken);
      if (got !== "served") return got;
      return rotated !== undefined && rotated !== refreshToken ? "served, rotated" : "served, same";
    },
  },
  {
    id: "R4",
    rule: "the agent's refresh token redeemed by its blueprint",
    expected: "refused",
    run: async (t) => {
      const refreshToken = await agentRefreshToken(t);
      if (refreshToken === undefined) return "no refresh token";
      const got = await answer(() =>
        blueprint(t).acquireTokenByRefreshToken({ refreshToken, scopes: [GRAPH] }),
      );
      return got === "served" ? "served" : `refused (${got})`;
    },
  },
  {
    id: "R6",
    rule: "a refresh token used again after it was replaced",
    expected: "served",
    run: async (t) => {
      const refreshToken = await agentRefreshToken(t);
      if (refreshToken === undefined) return "no refresh token";
      const first = await redeemAsAgent(t, refreshToken);
      return first.got === "served"
        ? (await redeemAsAgent(t, refreshToken)).got
        : `first use: ${first.got}`;
    },
  },
];

/**
 * Whether an answer is what the table expects; "refused" accepts any refusal.
 *
 * @param check - the check
 * @param got - what came back
 */
export function conforms(check: ConformanceCheck, got: string): boolean {
  return check.expected === "refused" ? got.startsWith("refused") : got === check.expected;
}

/**
 * The table as text: id, rule, expected, answered, and a mark.
 *
 * @param rows - each check with what came back
 */
export function conformanceTable(
  rows: readonly { check: ConformanceCheck; got: string }[],
): string {
  const lines = [
    "| id | rule | Entra (expected) | answered | |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const { check, got } of rows) {
    lines.push(
      `| ${check.id} | ${check.rule} | ${check.expected} | ${got} | ${conforms(check, got) ? "ok" : "DIFFERS"} |`,
    );
  }
  return lines.join("\n");
}
