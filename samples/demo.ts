/**
 * `npm run demo`: the whole story, offline. A local Entra + Graph emulator and the sample web API
 * start; users sign in and call the API, which calls Microsoft Graph on their behalf, as the API
 * and as an agent identity; then an MFA challenge is passed on to the client, and a revoked session
 * (Continuous Access Evaluation) is handled without the caller noticing; finally a long-running job
 * runs on a second instance after the caller's token has expired, and another one ends cleanly when
 * its user's sessions are revoked. No token is ever printed.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { startEmulator, type Emulator } from "graph-obo-auth-emulator";
import { MemoryTokenCache, parseClaimsChallenge } from "graph-obo-auth";
import { createSampleApi, type SampleApi } from "./express-api/app.js";
import { emulatorConfig } from "./express-api/emulator-config.js";
import { JobBoard, type JobView } from "./express-api/manager-chain-jobs.js";

interface Profile {
  readonly displayName?: string;
  readonly jobTitle?: string;
  readonly userPrincipalName?: string;
}

const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

class DemoFailure extends Error {}

async function call(
  base: string,
  path: string,
  token: string,
): Promise<{ status: number; body: unknown; challenge: string | null }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    body: await response.json(),
    challenge: response.headers.get("www-authenticate"),
  };
}

async function profile(base: string, path: string, token: string): Promise<Profile> {
  const { status, body } = await call(base, path, token);
  if (status !== 200)
    throw new DemoFailure(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
  return body as Profile;
}

function describe(p: Profile): string {
  return `${p.displayName ?? "?"}${p.jobTitle === undefined ? "" : ` (${p.jobTitle})`}`;
}

function tokenRequests(emulator: Emulator): number {
  return emulator.count({ endpoint: "token" });
}

async function post(base: string, path: string, token: string) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as JobView };
}

/**
 * Step 5: long-running jobs. Instance A takes the requests; instance B, which shares A's token
 * cache (a RedisTokenCache in a real fleet), runs the jobs two hours later.
 */
async function longRunningJobs(
  emulator: Emulator,
  base: string,
  worker: SampleApi,
  jobs: JobBoard,
): Promise<void> {
  const { users } = emulator.defaults;
  out();
  out(
    "5. Long-running jobs: bob and erin ask for a report of their manager chain; the API answers 202 at once.",
  );
  out();
  const bobToken = await emulator.signIn({ user: users.bob });
  const bobJob = await post(base, "/jobs/manager-chain", bobToken);
  const erinToken = await emulator.signIn({ user: users.erin });
  const erinJob = await post(base, "/jobs/manager-chain", erinToken);
  out(`   POST /jobs/manager-chain as bob  → ${bobJob.status} ${JSON.stringify(bobJob.body)}`);
  out(`   POST /jobs/manager-chain as erin → ${erinJob.status} (job ${erinJob.body.id})`);
  if (bobJob.status !== 202 || erinJob.status !== 202) throw new DemoFailure("expected 202");
  const mine = await call(base, `/jobs/${bobJob.body.id}`, bobToken);
  const others = await call(base, `/jobs/${bobJob.body.id}`, erinToken);
  out(
    `   GET /jobs/<bob's job> as bob → ${mine.status} ${JSON.stringify(mine.body)}; as erin → ${others.status} (owners only)`,
  );

  emulator.advanceClock(2 * 60 * 60 * 1000);
  emulator.revokeSessions(users.erin);
  out(
    "   Two hours later (the emulator's clock): bob's token has long expired; erin's sessions are revoked.",
  );
  const refreshesBefore = emulator.count({ endpoint: "token", flow: "refresh_token" });
  const done = (await worker.jobWorker?.runQueued()) ?? 0;
  const refreshes = emulator.count({ endpoint: "token", flow: "refresh_token" }) - refreshesBefore;
  out(
    `   Instance B ran the queued jobs with no incoming request: ${done} report(s), ${refreshes} refresh-token request(s).`,
  );
  const view = (upn: string, id: string | undefined): JobView | undefined => {
    const user = emulator.user(upn);
    return jobs.view(id ?? "", `${user?.tenantId ?? ""}/${user?.id ?? ""}`);
  };
  const bobView = view(users.bob, bobJob.body.id);
  const erinView = view(users.erin, erinJob.body.id);
  out(`   bob's job  → ${bobView?.status ?? "?"}: ${bobView?.chain?.join(" → ") ?? "-"}`);
  out(
    `   erin's job → ${erinView?.status ?? "?"} (${erinView?.reason ?? "-"}): ended cleanly, nothing retried`,
  );
  if (bobView?.status !== "done" || erinView?.reason !== "ERR_OBO_SESSION_REVOKED") {
    throw new DemoFailure("expected bob's report and erin's job ended by the revocation");
  }
}

async function run(emulator: Emulator, api: SampleApi, base: string): Promise<void> {
  const { users, apps } = emulator.defaults;

  out(
    "1. Users sign in to the client and call the sample API; the API calls Graph on their behalf.",
  );
  out();
  const callers = [users.alice, users.erin];
  const signedIn = new Map<string, string>();
  for (const upn of callers) {
    const token = await emulator.signIn({ user: upn });
    signedIn.set(upn, token);
    const me = await profile(base, "/me", token);
    const manager = await profile(base, "/me/manager", token);
    const again = await profile(base, "/me", token);
    out(`   ${upn.padEnd(24)} /me → ${describe(me)}`);
    out(`   ${"".padEnd(24)} /me/manager → ${describe(manager)}`);
    out(`   ${"".padEnd(24)} /me again → ${describe(again)} (its Graph token from the cache)`);
  }
  const apiStats = api.apiProvider.stats();
  out();
  out(
    `   Graph calls: ${callers.length * 3} (3 per user); On-Behalf-Of token requests sent: ${apiStats.tokenRequests} ` +
      `(one per user); served from the cache: ${apiStats.hits}.`,
  );
  if (apiStats.tokenRequests !== callers.length)
    throw new DemoFailure("expected one token request per user");

  out();
  out(
    `2. The same, as the Microsoft Entra agent identity ${apps.agent.clientId} acting on behalf of the user`,
  );
  out(
    `   (the API's agent provider is the agent identity blueprint ${apps.blueprint.clientId}, with agentIdentity set).`,
  );
  out();
  const agentCallers = [users.alice, users.bob];
  for (const upn of agentCallers) {
    const token = await emulator.signIn({ user: upn, clientId: apps.blueprint.clientId });
    const me = await profile(base, "/agent/me", token);
    const manager = await profile(base, "/agent/me/manager", token);
    out(`   ${upn.padEnd(24)} /agent/me → ${describe(me)}; manager → ${describe(manager)}`);
  }
  const agentStats = api.agentProvider?.stats();
  const exchangeTokens = emulator.count({ endpoint: "token", flow: "exchange_token" });
  const asAgent = emulator.count({ endpoint: "graph", clientId: apps.agent.clientId });
  out();
  out(
    `   Graph saw ${asAgent} calls whose token was issued to the agent identity ${apps.agent.clientId}.`,
  );
  if (asAgent !== agentCallers.length * 2) {
    throw new DemoFailure("expected every /agent/* Graph call to act as the agent identity");
  }
  out(
    `   Token requests: ${agentStats?.tokenRequests ?? 0} (${exchangeTokens} exchange token T1 for the agent, shared by both ` +
      `users; ${agentCallers.length} agent On-Behalf-Of); served from the cache: ${agentStats?.hits ?? 0}.`,
  );

  out();
  out(
    "3. Conditional Access demands MFA for dan: the API passes the claims challenge on to its client.",
  );
  out();
  emulator.inject({ endpoint: "token", user: users.dan, fault: { kind: "interaction_required" } });
  const dan = await call(base, "/me", await emulator.signIn({ user: users.dan }));
  const claims = parseClaimsChallenge(dan.challenge);
  if (dan.status !== 401 || claims === undefined) {
    throw new DemoFailure(`expected a 401 claims challenge for dan, got ${dan.status}`);
  }
  out(
    `   GET /me → ${dan.status}, WWW-Authenticate: Bearer error="insufficient_claims", claims=<base64>`,
  );
  out(`   decoded claims: ${claims}`);
  out(
    "   The client's MSAL signs dan in again with these claims (MFA), then calls the API with the new token.",
  );

  out();
  out(
    "4. alice's session is revoked (Continuous Access Evaluation): Graph rejects the cached token.",
  );
  out();
  const before = tokenRequests(emulator);
  emulator.revokeSessions(users.alice);
  const alice = await profile(base, "/me", signedIn.get(users.alice) ?? "");
  const graph401 = emulator.count({ endpoint: "graph", status: 401 });
  out(
    `   GET /me → 200 ${describe(alice)}: Graph answered 401 with a claims challenge ${graph401} time(s), the provider ` +
      `fetched a token with those claims (${tokenRequests(emulator) - before} token request) and retried once.`,
  );
  if (graph401 < 1) throw new DemoFailure("expected Graph to challenge the revoked session");

  out();
  out("Summary");
  out(
    `   emulator: ${tokenRequests(emulator)} token requests, ${emulator.count({ endpoint: "graph" })} Graph requests`,
  );
  const finalStats = api.apiProvider.stats();
  out(`   API provider:   ${JSON.stringify(finalStats)}`);
  out(`   agent provider: ${JSON.stringify(api.agentProvider?.stats())}`);
  out(
    `   The API provider's "failures":${finalStats.failures} is dan's MFA refusal in step 3, expected: ` +
      "Entra refused the exchange until dan signs in again.",
  );
  if (finalStats.failures !== 1) throw new DemoFailure("expected exactly the one MFA refusal");
}

const emulator = await startEmulator();
let server: Server | undefined;
let code = 0;
try {
  // Two instances of the API share a token cache (a RedisTokenCache in a real fleet) and a job board
  // (a queue): A serves the requests, B runs the jobs.
  const config = emulatorConfig(emulator);
  const shared = {
    ...config,
    api: { ...config.api, tokenCache: new MemoryTokenCache() },
    jobs: new JobBoard(),
  };
  const api = createSampleApi(shared);
  const worker = createSampleApi(shared);
  server = await new Promise<Server>((resolve) => {
    const s = api.app.listen(0, "127.0.0.1", () => {
      resolve(s);
    });
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  out(`graph-obo-auth demo: Entra + Graph emulator at ${emulator.origin}, sample API at ${base}`);
  out();
  await run(emulator, api, base);
  await longRunningJobs(emulator, base, worker, shared.jobs);
  out();
  out("Demo finished: every step worked.");
} catch (error) {
  code = 1;
  process.stderr.write(
    `\nDemo failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (!(error instanceof DemoFailure) && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${error.stack}\n`);
  }
} finally {
  server?.closeAllConnections();
  server?.close();
  await emulator.close();
}
process.exitCode = code;
