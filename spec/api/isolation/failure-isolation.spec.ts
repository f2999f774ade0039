import assert from "node:assert/strict";
import {
  OnBehalfOfAuthenticationProvider,
  isOnBehalfOfError,
  type OnBehalfOfAuthenticationProviderOptions,
  type OnBehalfOfTokenOptions,
} from "../../../lib/index.js";
import { EMULATOR_DEFAULTS, type EmulatorFault } from "graph-obo-auth-emulator";
import { useEmulator } from "../../emulator/support/emulator.js";

/**
 * One user's, one agent's or one tenant's failing exchange never fails, delays or throttles
 * another's: msal-node's throttle entry is not keyed by the user, so these fail on a provider that
 * lets MSAL record it. Every scenario runs a victim whose requests fail for good, 100 bystanders
 * beside it while it retries, and 100 more after it failed; every bystander must be served, each
 * with a request of its own that reached the token endpoint.
 */
describe("failure isolation", function () {
  this.timeout(60_000);
  const emulator = useEmulator();
  const { apps, users, tenants } = EMULATOR_DEFAULTS;
  const BYSTANDERS = [users.alice, users.bob, users.carol] as const;
  const RETRIES_ON = { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 40 };
  const RETRIES_OFF = { maxRetries: 0 };

  /** Resolves when the provider logs that a request backs off before a retry. */
  let backingOff: Promise<void> = Promise.resolve();

  function provider(
    options: Partial<OnBehalfOfAuthenticationProviderOptions> & { tenant?: string },
  ): OnBehalfOfAuthenticationProvider {
    const { tenant = "organizations", ...rest } = options;
    const blueprint = rest.agentIdentity !== undefined;
    let backOff = (): void => undefined;
    backingOff = new Promise<void>((resolve) => {
      backOff = resolve;
    });
    return new OnBehalfOfAuthenticationProvider({
      clientId: blueprint ? apps.blueprint.clientId : apps.api.clientId,
      clientSecret: blueprint ? apps.blueprint.clientSecret : apps.api.clientSecret,
      ...emulator().providerOptions({ tenant }),
      logger: {
        warn: (message) => {
          if (message.includes("retrying in")) backOff();
        },
      },
      ...rest,
    } as OnBehalfOfAuthenticationProviderOptions);
  }

  async function signIns(count: number, audience: string): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        emulator().signIn({
          user: BYSTANDERS[i % BYSTANDERS.length] ?? users.alice,
          clientId: audience,
        }),
      ),
    );
  }

  interface Scenario {
    readonly name: string;
    readonly fault: EmulatorFault;
  }
  // With Retry-After, the victim's back-off lasts as long as msal-node would throttle everyone.
  const FAULTS: readonly Scenario[] = [
    { name: "503", fault: { kind: "server_error", status: 503 } },
    {
      name: "503 with Retry-After",
      fault: { kind: "server_error", status: 503, retryAfterSeconds: 1 },
    },
    {
      name: "500 with Retry-After",
      fault: { kind: "server_error", status: 500, retryAfterSeconds: 1 },
    },
    { name: "429 with Retry-After", fault: { kind: "throttled", retryAfterSeconds: 1 } },
  ];

  async function runBesideVictim(
    authProvider: OnBehalfOfAuthenticationProvider,
    victim: () => Promise<string>,
    bystander: (assertion: string) => OnBehalfOfTokenOptions,
    audience: string,
  ): Promise<{ victimError: unknown; failures: unknown[] }> {
    const during = await signIns(100, audience);
    const after = await signIns(100, audience);
    const victimCall = victim().then(
      () => undefined,
      (error: unknown) => error,
    );
    // Bystanders start while the victim backs off (retries on) or right after it failed (off).
    await Promise.race([backingOff, victimCall]);
    const beside = await Promise.allSettled(
      during.map((assertion) => authProvider.getAccessToken(bystander(assertion))),
    );
    const victimError = await victimCall;
    const later = await Promise.allSettled(
      after.map((assertion) => authProvider.getAccessToken(bystander(assertion))),
    );
    const failures = [...beside, ...later]
      .filter((result) => result.status === "rejected")
      .map((result) => result.reason as unknown);
    return { victimError, failures };
  }

  function assertIsolated(
    outcome: { victimError: unknown; failures: unknown[] },
    status: number,
  ): void {
    assert.deepEqual(
      outcome.failures.map((error) =>
        isOnBehalfOfError(error) ? `${error.code} ${error.aadsts ?? ""}` : String(error),
      ),
      [],
      "no bystander fails",
    );
    assert.ok(isOnBehalfOfError(outcome.victimError, "ERR_OBO_TOKEN_REQUEST_FAILED"));
    assert.equal(outcome.victimError.status, status);
  }

  for (const retry of [RETRIES_ON, RETRIES_OFF]) {
    const retries = retry.maxRetries === 0 ? "retries off" : "retries on";
    describe(retries, () => {
      for (const { name, fault } of FAULTS) {
        const status =
          fault.kind === "throttled"
            ? 429
            : fault.kind === "server_error"
              ? (fault.status ?? 503)
              : 0;

        it(`plain OBO: a user whose exchanges answer ${name} fails alone`, async () => {
          const authProvider = provider({ retry });
          emulator().inject({ endpoint: "token", user: users.dan, times: Infinity, fault });
          const victimToken = await emulator().signIn({ user: users.dan });
          const outcome = await runBesideVictim(
            authProvider,
            () => authProvider.getAccessToken({ userAssertion: victimToken }),
            (userAssertion) => ({ userAssertion }),
            apps.api.clientId,
          );
          assertIsolated(outcome, status);
          assert.equal(authProvider.stats().hits, 0, "every bystander sent its own exchange");
          assert.equal(emulator().count({ endpoint: "token", status: 200 }), 200);
        });

        it(`agent OBO: a user whose agent exchanges answer ${name} fails alone`, async () => {
          const authProvider = provider({
            retry,
            agentIdentity: apps.agent.clientId,
            tenant: tenants.contoso.id,
          });
          emulator().inject({
            endpoint: "token",
            user: users.dan,
            flow: "obo",
            times: Infinity,
            fault,
          });
          const victimToken = await emulator().signIn({
            user: users.dan,
            clientId: apps.blueprint.clientId,
          });
          const outcome = await runBesideVictim(
            authProvider,
            () => authProvider.getAccessToken({ userAssertion: victimToken }),
            (userAssertion) => ({ userAssertion }),
            apps.blueprint.clientId,
          );
          assertIsolated(outcome, status);
          assert.equal(emulator().count({ endpoint: "token", flow: "obo", status: 200 }), 200);
        });
      }
    });
  }

  it("a tenant whose exchanges all fail (503) never touches another tenant's users", async () => {
    const authProvider = provider({ retry: RETRIES_ON });
    emulator().inject({
      endpoint: "token",
      tenant: tenants.fabrikam.id,
      times: Infinity,
      fault: { kind: "server_error", status: 503 },
    });
    const victimToken = await emulator().signIn({ user: users.erin });
    const outcome = await runBesideVictim(
      authProvider,
      () => authProvider.getAccessToken({ userAssertion: victimToken }),
      (userAssertion) => ({ userAssertion }),
      apps.api.clientId,
    );
    assertIsolated(outcome, 503);
  });

  it("an agent's failing app-only leg (503) never touches its users' On-Behalf-Of tokens", async () => {
    const authProvider = provider({
      retry: RETRIES_ON,
      agentIdentity: apps.agent.clientId,
      tenant: tenants.contoso.id,
    });
    emulator().inject({
      endpoint: "token",
      clientId: apps.agent.clientId,
      flow: "client_credentials",
      times: Infinity,
      fault: { kind: "server_error", status: 503 },
    });
    const outcome = await runBesideVictim(
      authProvider,
      () =>
        authProvider.getAccessToken({ agentIdentity: apps.agent.clientId, tokenKind: "app-only" }),
      (userAssertion) => ({ userAssertion }),
      apps.blueprint.clientId,
    );
    assertIsolated(outcome, 503);
  });

  it("an agent user whose user_fic answers 429 fails alone; the agent's other users are served", async () => {
    const authProvider = provider({
      retry: RETRIES_ON,
      agentIdentity: apps.agent.clientId,
      tenant: tenants.contoso.id,
    });
    emulator().inject({
      endpoint: "token",
      flow: "user_fic",
      times: Infinity,
      fault: { kind: "throttled", retryAfterSeconds: 1 },
    });
    const agentUser = emulator().user(users.agentUser)?.id ?? "";
    const outcome = await runBesideVictim(
      authProvider,
      () =>
        authProvider.getAccessToken({
          agentIdentity: apps.agent.clientId,
          agentUser: { objectId: agentUser },
        }),
      (userAssertion) => ({ userAssertion }),
      apps.blueprint.clientId,
    );
    assertIsolated(outcome, 429);
  });

  it("a short burst of 503s for everyone is absorbed by the retries", async () => {
    const authProvider = provider({ retry: RETRIES_ON });
    const injection = emulator().inject({
      endpoint: "token",
      times: 20,
      fault: { kind: "server_error", status: 503 },
    });
    const tokens = await signIns(100, apps.api.clientId);
    const results = await Promise.allSettled(
      tokens.map((userAssertion) => authProvider.getAccessToken({ userAssertion })),
    );
    assert.equal(results.filter((result) => result.status === "rejected").length, 0);
    assert.equal(injection.hits, 20);
  });
});
