/**
 * Runs the sample API: against a real tenant when API_CLIENT_ID is set, otherwise against a local
 * emulator it starts (and prints a token to try it with).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "graph-obo-auth/emulator";
import { createSampleApi } from "./app.js";
import { emulatorConfig } from "./emulator-config.js";
import { envConfig, hasTenantConfig } from "./env-config.js";

const port = Number(process.env.PORT ?? 3000);
if (hasTenantConfig()) {
  const { app } = createSampleApi(envConfig());
  app.listen(port, "127.0.0.1", () => {
    console.log(`sample API on http://127.0.0.1:${port} (tenant ${process.env.TENANT_ID ?? ""})`);
  });
} else {
  const emulator = await startEmulator();
  const { app } = createSampleApi(emulatorConfig(emulator));
  // Tokens never go to the console: write alice's to a private file and print how to use it.
  const file = join(mkdtempSync(join(tmpdir(), "graph-obo-auth-")), "alice.token");
  writeFileSync(file, await emulator.signIn({ user: emulator.defaults.users.alice }), {
    mode: 0o600,
  });
  app.listen(port, "127.0.0.1", () => {
    console.log(
      `sample API on http://127.0.0.1:${port}, against the emulator at ${emulator.origin}`,
    );
    console.log(`try: curl -H "Authorization: Bearer $(cat ${file})" http://127.0.0.1:${port}/me`);
  });
}
