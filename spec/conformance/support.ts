import type { ConfidentialClientApplication } from "@azure/msal-node";
import type { Emulator } from "graph-obo-auth-emulator";
import { TOKEN_EXCHANGE_DEFAULT, cca } from "../emulator/support/emulator.js";

/** The default blueprint as an msal-node confidential client (its client secret). */
export function blueprintClient(emulator: Emulator): ConfidentialClientApplication {
  const { blueprint } = emulator.defaults.apps;
  return cca(emulator, { clientId: blueprint.clientId, clientSecret: blueprint.clientSecret });
}

/**
 * An agent identity as an msal-node confidential client whose client assertion is T1 from the
 * default blueprint, requested with `fmi_path` = the agent, in the callback's tenant.
 */
export function agentClient(
  emulator: Emulator,
  agentId: string = emulator.defaults.apps.agent.clientId,
): ConfidentialClientApplication {
  const blueprint = blueprintClient(emulator);
  return cca(emulator, {
    clientId: agentId,
    clientAssertion: async ({ clientId, tokenEndpoint }) => {
      const authority = (tokenEndpoint ?? "").replace(/\/oauth2\/v2\.0\/token$/, "");
      const t1 = await blueprint.acquireTokenByClientCredential({
        scopes: [TOKEN_EXCHANGE_DEFAULT],
        authority,
        fmiPath: clientId,
      });
      return t1?.accessToken ?? "";
    },
  });
}

/** The agent's own exchange token (T2): client credentials as the agent, without `fmi_path`. */
export async function agentExchangeToken(agent: ConfidentialClientApplication): Promise<string> {
  const t2 = await agent.acquireTokenByClientCredential({
    scopes: [TOKEN_EXCHANGE_DEFAULT],
    skipCache: true,
  });
  return t2?.accessToken ?? "";
}

/** A Graph GET with a bearer token, through the emulator's trusted TLS; status and body. */
export async function graphGet(
  emulator: Emulator,
  token: string,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await emulator.fetch(`${emulator.origin}/v1.0${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
