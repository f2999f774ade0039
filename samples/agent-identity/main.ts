/**
 * `npm run sample:agent`: `/me` and `/me/manager` looked up as a Microsoft Entra agent identity on behalf
 * of the signed-in user, without a web framework. Offline against the emulator by default; against a real
 * tenant when BLUEPRINT_CLIENT_ID, BLUEPRINT_CLIENT_SECRET, TENANT_ID, AGENT_ID and USER_TOKEN_FILE (a file
 * holding the user's access token for the blueprint, `api://<blueprint>/access_agent`) are set.
 */
import { readFileSync } from "node:fs";
import { Client } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  runWithUserAssertion,
  type OnBehalfOfAuthenticationProviderOptions,
} from "graph-obo-auth";
import { EMULATOR_DEFAULTS, startEmulator, type Emulator } from "graph-obo-auth-emulator";

interface Setup {
  readonly options: OnBehalfOfAuthenticationProviderOptions;
  readonly graphOptions: Omit<Parameters<typeof Client.initWithMiddleware>[0], "authProvider">;
  readonly userToken: string;
  readonly emulator: Emulator | undefined;
}

async function setup(): Promise<Setup> {
  const env = process.env;
  if (env.BLUEPRINT_CLIENT_ID !== undefined && env.BLUEPRINT_CLIENT_ID !== "") {
    const clientSecret = env.BLUEPRINT_CLIENT_SECRET;
    if (clientSecret === undefined || clientSecret === "") {
      throw new Error("BLUEPRINT_CLIENT_SECRET is required with BLUEPRINT_CLIENT_ID.");
    }
    return {
      options: {
        clientId: env.BLUEPRINT_CLIENT_ID,
        tenantId: env.TENANT_ID,
        clientSecret,
        agentIdentity: env.AGENT_ID,
      },
      graphOptions: {},
      userToken: readFileSync(env.USER_TOKEN_FILE ?? "", "utf8").trim(),
      emulator: undefined,
    };
  }
  const emulator = await startEmulator();
  const { apps, tenants, users } = EMULATOR_DEFAULTS;
  return {
    options: {
      clientId: apps.blueprint.clientId,
      clientSecret: apps.blueprint.clientSecret,
      agentIdentity: apps.agent.clientId,
      ...emulator.providerOptions({ tenant: tenants.contoso.id }),
    },
    graphOptions: emulator.graphClientOptions(),
    userToken: await emulator.signIn({ user: users.alice, clientId: apps.blueprint.clientId }),
    emulator,
  };
}

const { options, graphOptions, userToken, emulator } = await setup();
try {
  const authProvider = new OnBehalfOfAuthenticationProvider(options);
  const graph = Client.initWithMiddleware({ ...graphOptions, authProvider });
  await runWithUserAssertion(userToken, async () => {
    const me = (await graph.api("/me").get()) as { displayName?: string };
    const manager = (await graph.api("/me/manager").get()) as { displayName?: string };
    console.log(`as agent identity ${options.agentIdentity ?? ""}:`);
    console.log(`  /me         → ${me.displayName ?? "?"}`);
    console.log(`  /me/manager → ${manager.displayName ?? "?"}`);
  });
  const stats = authProvider.stats();
  console.log(
    `token requests: ${stats.tokenRequests} (exchange token T1, then On-Behalf-Of as the agent); cache hits: ${stats.hits}`,
  );
} finally {
  await emulator?.close();
}
