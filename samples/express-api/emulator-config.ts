/** Wires the sample API to a running emulator. */
import { EMULATOR_DEFAULTS, type Emulator } from "graph-obo-auth-emulator";
import type { SampleApiConfig } from "./app.js";

const { apps } = EMULATOR_DEFAULTS;

/** What the configuration reads from the emulator (the bench rebuilds it in another process). */
export type EmulatorWiring = Pick<
  Emulator,
  "origin" | "caPem" | "providerOptions" | "graphClientOptions"
>;

/** The sample API's configuration against the emulator: multi-tenant API, agent identity in Contoso. */
export function emulatorConfig(emulator: EmulatorWiring): SampleApiConfig {
  const validation = { authority: emulator.origin, ca: emulator.caPem };
  return {
    api: {
      clientId: apps.api.clientId,
      clientSecret: apps.api.clientSecret,
      clientCapabilities: ["cp1"],
      ...emulator.providerOptions({ tenant: "organizations" }),
    },
    apiValidation: {
      clientId: apps.api.clientId,
      tenantId: "organizations",
      requiredScopes: ["access_as_user"],
      ...validation,
    },
    agent: {
      clientId: apps.blueprint.clientId,
      clientSecret: apps.blueprint.clientSecret,
      agentIdentity: apps.agent.clientId,
      clientCapabilities: ["cp1"],
      ...emulator.providerOptions({ tenant: EMULATOR_DEFAULTS.tenants.contoso.id }),
    },
    agentValidation: {
      clientId: apps.blueprint.clientId,
      tenantId: EMULATOR_DEFAULTS.tenants.contoso.id,
      ...validation,
    },
    graph: emulator.graphClientOptions(),
  };
}
