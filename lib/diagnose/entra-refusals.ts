import type { TokenRequestLeg } from "../util/errors.js";

/**
 * What to do about an Entra refusal that is specific to agent identities, in plain words. Never
 * contains a token, a secret or personal data.
 */
export interface RefusalAdvice {
  /** The AADSTS number. */
  readonly aadsts: number;
  /** What Entra refused, and what to change. */
  readonly advice: string;
  /** Whether signing the user in again can help (false: an administrator or the code must act). */
  readonly userCanFix: boolean;
}

const ADVICE: ReadonlyMap<number, Omit<RefusalAdvice, "aadsts">> = new Map([
  [
    82008,
    {
      // https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow (T1 carries
      // fmi_path); the message as reported in microsoft/Agent365-Samples and MSIdentityTools.
      advice:
        "The agent identity blueprint asked for an exchange token without fmi_path. Every exchange token a blueprint " +
        "requests must name the agent identity (fmi_path = the agent's client id); only an agent identity asks for its " +
        "own exchange token without it.",
      userCanFix: false,
    },
  ],
  [
    82014,
    {
      // https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow: agent identities
      // cannot take consent interactively.
      advice:
        "The agent identity has not been granted the requested delegated permissions, and agents cannot be granted " +
        "consent interactively: signing in again does not help. An administrator must grant the permissions on the " +
        "agent identity blueprint as inheritable permissions (or to the agent identity, or per agent user).",
      userCanFix: false,
    },
  ],
  [
    70022204,
    {
      // AzureAD/microsoft-authentication-library-for-dotnet
      // docs/fic-token-exchange-auto-resolution-design.md
      advice:
        "The federated credential's audience is not this cloud's exchange audience. Request the exchange token for the " +
        "cloud of the authority: api://AzureADTokenExchange (public), api://AzureADTokenExchangeUSGov (US Government), " +
        "api://AzureADTokenExchangeChina, api://AzureADTokenExchangeFrance or api://AzureADTokenExchangeGermany; a " +
        "managed identity assertion must use the same audience.",
      userCanFix: false,
    },
  ],
]);

/** AADSTS50000 on the agent user leg: the generic issuance error a UPN in `user_id` produces. */
const AGENT_USER_ISSUANCE: Omit<RefusalAdvice, "aadsts"> = {
  // microsoft/Agents-for-js#932
  advice:
    "Entra could not issue the agent user token. A common cause is a UPN sent as user_id: user_id takes the agent " +
    "user's object id, username takes its UPN (withAgentUser(id, { objectId }) or { upn }).",
  userCanFix: false,
};

/**
 * Advice for an Entra refusal that is specific to agent identities, if the code is one.
 *
 * @param aadsts - the AADSTS number
 * @param leg - the token request leg that was refused, when known
 * @returns the advice, or `undefined` for codes that are not agent-specific
 */
export function agentRefusalAdvice(
  aadsts: number,
  leg?: TokenRequestLeg,
): RefusalAdvice | undefined {
  if (aadsts === 50000 && (leg === undefined || leg === "agent-user")) {
    return { aadsts, ...AGENT_USER_ISSUANCE };
  }
  const found = ADVICE.get(aadsts);
  return found === undefined ? undefined : { aadsts, ...found };
}
