/**
 * Runs the sample API (Express or Fastify): against a real tenant when API_CLIENT_ID is set,
 * otherwise against a local emulator it starts, with a user token for each route family written
 * to a private temporary folder that is deleted when the server stops.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "graph-obo-auth-emulator";
import type { SampleApiConfig } from "./express-api/app.js";
import { emulatorConfig } from "./express-api/emulator-config.js";
import { envConfig, hasTenantConfig } from "./express-api/env-config.js";

/** Starts one framework's sample API on `port` and returns its base URL. */
export type StartSample = (config: SampleApiConfig, port: number) => Promise<string>;

/** Serves the sample API with `start`, named `framework` in the console. */
export async function serveSample(framework: string, start: StartSample): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (hasTenantConfig()) {
    const base = await start(envConfig(), port);
    console.log(`sample API (${framework}) on ${base} (tenant ${process.env.TENANT_ID ?? ""})`);
    return;
  }
  const emulator = await startEmulator();
  const base = await start(emulatorConfig(emulator), port);
  // Tokens never go to the console: write them to private files, removed when the server stops.
  const folder = mkdtempSync(join(tmpdir(), "graph-obo-auth-sample-"));
  const removeTokens = () => {
    rmSync(folder, { recursive: true, force: true });
  };
  process.once("exit", removeTokens);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeTokens();
      process.exit(0);
    });
  }
  const { users, apps } = emulator.defaults;
  const tokens = [
    // For /me and /me/manager: a token for the web API (scope access_as_user).
    { file: "alice.token", path: "/me", token: await emulator.signIn({ user: users.alice }) },
    // For /agent/*: a token for the agent identity blueprint, which the agent routes accept.
    {
      file: "alice-agent.token",
      path: "/agent/me",
      token: await emulator.signIn({ user: users.alice, clientId: apps.blueprint.clientId }),
    },
  ];
  console.log(`sample API (${framework}) on ${base}, against the emulator at ${emulator.origin}`);
  console.log(`alice's tokens are in ${folder} (deleted when the server stops, Ctrl+C):`);
  for (const { file, path, token } of tokens) {
    writeFileSync(join(folder, file), token, { mode: 0o600 });
    console.log(
      `  try: curl -H "Authorization: Bearer $(cat ${join(folder, file)})" ${base}${path}`,
    );
  }
}
