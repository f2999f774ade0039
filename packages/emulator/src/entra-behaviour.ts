import { EmulatorError } from "./errors.js";

/**
 * Switches for Entra behaviour that Microsoft's sources leave open or that varies in production.
 * Each default is what the sources say Entra does; the other value lets a test cover the other
 * case. The emulator's `CONFORMANCE.md` lists the sources behind every default.
 */
export interface EntraBehaviour {
  /**
   * Whether an agent identity blueprint may get delegated tokens for itself (On-Behalf-Of as the
   * blueprint, with no agent identity). Learn's blueprint page says a blueprint performs exactly
   * one operation in a tenant, provisioning agent identities
   * (https://learn.microsoft.com/entra/agent-id/agent-blueprint); Learn's protocol page lists
   * `jwt-bearer` among the blueprint's grants
   * (https://learn.microsoft.com/entra/agent-id/agent-oauth-protocols). `"refuse"` follows the
   * blueprint page; `"allow"` models the protocol page.
   *
   * @defaultValue `"refuse"`
   */
  readonly blueprintOnBehalfOf?: "refuse" | "allow";
  /**
   * Whether an agent identity's own exchange token (T2, the `user_fic` credential) may be
   * presented again, for other users, until it expires. MSAL.NET's agentic raw-HTTP guide
   * (AzureAD/microsoft-authentication-library-for-dotnet `docs/agentic/AgentIDs_RawHttpExamples_DotNet.md`,
   * "Caching Considerations") says T2 is reused across all users of the agent; one MSAL.NET
   * integration test re-acquires it "since the first one was consumed". `"reusable"` follows the
   * guide; `"single-use"` refuses a T2 presented a second time.
   *
   * @defaultValue `"reusable"`
   */
  readonly userFicCredential?: "reusable" | "single-use";
  /**
   * Whether agent tokens carry the agent facet claims (`xms_act_fct`, `xms_sub_fct`,
   * `xms_tnt_fct`, `xms_par_app_azp`). Learn lists them as optional claims
   * (https://learn.microsoft.com/entra/agent-id/agent-token-claims), and APIs have seen tokens
   * without them; `false` omits them so an API can be tested for that case.
   *
   * @defaultValue true
   */
  readonly agentFacetClaims?: boolean;
}

/** The switches with their defaults applied. @internal */
export type ResolvedEntraBehaviour = Required<EntraBehaviour>;

/**
 * Applies the defaults and checks the values.
 *
 * @param input - the caller's switches
 * @internal
 */
export function resolveEntraBehaviour(input: EntraBehaviour = {}): ResolvedEntraBehaviour {
  const blueprintOnBehalfOf = input.blueprintOnBehalfOf ?? "refuse";
  if (!(["refuse", "allow"] as unknown[]).includes(blueprintOnBehalfOf)) {
    throw new EmulatorError('entra.blueprintOnBehalfOf must be "refuse" or "allow".');
  }
  const userFicCredential = input.userFicCredential ?? "reusable";
  if (!(["reusable", "single-use"] as unknown[]).includes(userFicCredential)) {
    throw new EmulatorError('entra.userFicCredential must be "reusable" or "single-use".');
  }
  const agentFacetClaims = input.agentFacetClaims ?? true;
  if (typeof agentFacetClaims !== "boolean") {
    throw new EmulatorError("entra.agentFacetClaims must be a boolean.");
  }
  return { blueprintOnBehalfOf, userFicCredential, agentFacetClaims };
}
