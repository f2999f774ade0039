/** Wires the sample API to a real Microsoft Entra tenant from environment variables. */
import type { SampleApiConfig } from "./app.js";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`Set ${name} (see samples/README.md).`);
  return value;
}

/** Whether the environment names a real tenant. */
export function hasTenantConfig(): boolean {
  return process.env.API_CLIENT_ID !== undefined && process.env.API_CLIENT_ID !== "";
}

/**
 * `API_CLIENT_ID`, `TENANT_ID` (a GUID, or `organizations`), `API_CLIENT_SECRET`; for the agent routes also
 * `BLUEPRINT_CLIENT_ID`, `BLUEPRINT_CLIENT_SECRET` and `AGENT_ID`.
 */
export function envConfig(): SampleApiConfig {
  const clientId = required("API_CLIENT_ID");
  const tenantId = required("TENANT_ID");
  const blueprint = process.env.BLUEPRINT_CLIENT_ID;
  const agentTenant =
    tenantId === "organizations" || tenantId === "common" ? required("AGENT_TENANT_ID") : tenantId;
  return {
    api: {
      clientId,
      tenantId,
      clientSecret: required("API_CLIENT_SECRET"),
      clientCapabilities: ["cp1"],
    },
    apiValidation: { clientId, tenantId, requiredScopes: ["access_as_user"] },
    ...(blueprint === undefined || blueprint === ""
      ? {}
      : {
          agent: {
            clientId: blueprint,
            tenantId: agentTenant,
            clientSecret: required("BLUEPRINT_CLIENT_SECRET"),
            agentIdentity: required("AGENT_ID"),
          },
          agentValidation: { clientId: blueprint, tenantId: agentTenant },
        }),
  };
}
