import { readFile } from "node:fs/promises";
import type { Emulator } from "graph-obo-auth-emulator";
import type { ConformanceTarget } from "./checks.js";

/**
 * The emulator's default directory as a conformance target.
 *
 * @param emulator - a running emulator with the default directory
 */
export function emulatorTarget(emulator: Emulator): ConformanceTarget {
  const { blueprint, agent } = emulator.defaults.apps;
  const upn = emulator.defaults.users.agentUser;
  return {
    name: "emulator",
    blueprintId: blueprint.clientId,
    agentId: agent.clientId,
    agentUser: { objectId: emulator.user(upn)?.id ?? "", upn },
    config: (clientId, auth) => ({
      auth: {
        ...auth,
        clientId,
        authority: emulator.authority(),
        ...emulator.msalAuthorityOptions(),
      },
      system: emulator.msalSystemOptions(),
    }),
    blueprintCredential: { clientId: blueprint.clientId, clientSecret: blueprint.clientSecret },
    userTokenForBlueprint: () =>
      emulator.signIn({
        user: "alice@contoso.example",
        clientId: blueprint.clientId,
        scopes: ["access_agent"],
      }),
    ungrantedScope: "https://graph.microsoft.com/Mail.Send",
  };
}

/** The environment variables a live run reads, and what each is. */
export const LIVE_VARIABLES = {
  CONFORMANCE_TENANT_ID: "the tenant id",
  CONFORMANCE_BLUEPRINT_CLIENT_ID: "the agent identity blueprint's client id",
  CONFORMANCE_BLUEPRINT_CLIENT_SECRET: "a client secret of the blueprint (a test tenant only)",
  CONFORMANCE_AGENT_ID: "an agent identity of the blueprint",
  CONFORMANCE_AGENT_USER_ID: "the object id of that agent's user account",
  CONFORMANCE_AGENT_USER_UPN: "the UPN of that agent's user account",
  CONFORMANCE_USER_TOKEN_FILE:
    "a file holding a user's access token for the blueprint (scope api://<blueprint>/access_agent)",
} as const;

/**
 * A real tenant as a conformance target, from the environment.
 *
 * @param env - the environment
 * @returns the target, or the names of the variables that are missing
 */
export function liveTarget(env: NodeJS.ProcessEnv): ConformanceTarget | string[] {
  const missing = Object.keys(LIVE_VARIABLES).filter((name) => (env[name] ?? "") === "");
  if (missing.length > 0) return missing;
  const value = (name: keyof typeof LIVE_VARIABLES): string => env[name] ?? "";
  const host = env.CONFORMANCE_AUTHORITY_HOST ?? "https://login.microsoftonline.com";
  const tenant = value("CONFORMANCE_TENANT_ID");
  return {
    name: tenant,
    blueprintId: value("CONFORMANCE_BLUEPRINT_CLIENT_ID"),
    agentId: value("CONFORMANCE_AGENT_ID"),
    agentUser: {
      objectId: value("CONFORMANCE_AGENT_USER_ID"),
      upn: value("CONFORMANCE_AGENT_USER_UPN"),
    },
    config: (clientId, auth) => ({
      auth: { ...auth, clientId, authority: `${host}/${tenant}` },
    }),
    blueprintCredential: {
      clientId: value("CONFORMANCE_BLUEPRINT_CLIENT_ID"),
      clientSecret: value("CONFORMANCE_BLUEPRINT_CLIENT_SECRET"),
    },
    userTokenForBlueprint: async () =>
      (await readFile(value("CONFORMANCE_USER_TOKEN_FILE"), "utf8")).trim(),
    ungrantedScope: env.CONFORMANCE_UNGRANTED_SCOPE ?? "https://graph.microsoft.com/Mail.Send",
  };
}
