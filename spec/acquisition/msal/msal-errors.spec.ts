import assert from "node:assert/strict";
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { toOnBehalfOfError } from "../../../lib/acquisition/msal/msal-errors.js";

// Entra's agent-specific refusals keep their ERR_OBO_* codes and get messages that say what to
// change. The errors are msal-node's own classes, as its response handler builds them.
describe("toOnBehalfOfError for agent refusals", () => {
  const server = (code: string, aadsts: number, text: string): ServerError =>
    new ServerError(
      code,
      "corr",
      `AADSTS${aadsts}: ${text}\r\nTrace ID: t\r\nCorrelation ID: c`,
      undefined,
      String(aadsts),
    );

  it("AADSTS82008: the blueprint must send fmi_path", () => {
    const error = toOnBehalfOfError(
      server("invalid_request", 82008, "All agentic applications ..."),
      "exchange-token",
      "corr",
    );
    assert.equal(error.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
    assert.equal(error.aadsts, 82008);
    assert.match(error.message, /fmi_path = the agent's client id/);
  });

  it("AADSTS82014: an administrator must grant, even when Entra marks it interaction required", () => {
    const plain = toOnBehalfOfError(server("invalid_grant", 82014, "Agent ..."), "obo", "corr");
    assert.equal(plain.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
    assert.match(plain.message, /administrator must grant/);
    assert.match(plain.message, /signing in again does not help/);
    const interactive = toOnBehalfOfError(
      new InteractionRequiredAuthError(
        "interaction_required",
        "corr",
        "AADSTS82014: Agent ...",
        "",
        "",
        "",
        "{}",
        "82014",
      ),
      "obo",
      "corr",
    );
    assert.equal(interactive.code, "ERR_OBO_INTERACTION_REQUIRED", "the code stays");
    assert.match(interactive.message, /administrator must grant/);
    assert.doesNotMatch(interactive.message, /sign in again\)/);
  });

  it("AADSTS70022204: the exchange audience of the authority's cloud", () => {
    const error = toOnBehalfOfError(
      server("invalid_client", 70022204, "No matching federated identity record found"),
      "app-only",
      "corr",
    );
    assert.match(error.message, /api:\/\/AzureADTokenExchangeUSGov/);
  });

  it("AADSTS50000 on the agent user leg: user_id takes an object id; elsewhere, Entra's own words", () => {
    const agentUser = toOnBehalfOfError(
      server("server_error", 50000, "There was an error issuing a token"),
      "agent-user",
      "corr",
    );
    assert.match(agentUser.message, /user_id takes the agent user's object id/);
    const obo = toOnBehalfOfError(
      server("server_error", 50000, "There was an error issuing a token"),
      "obo",
      "corr",
    );
    assert.doesNotMatch(obo.message, /user_id/);
    assert.match(obo.message, /There was an error issuing a token/);
  });

  it("keeps other refusals as they were", () => {
    const error = toOnBehalfOfError(
      server("invalid_grant", 50013, "Assertion failed signature validation."),
      "obo",
      "corr",
    );
    assert.match(
      error.message,
      /^Entra refused the On-Behalf-Of exchange \(invalid_grant\): AADSTS50013/,
    );
  });
});
