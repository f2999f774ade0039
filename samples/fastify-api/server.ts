/**
 * Runs the Fastify sample API (`npm run sample:fastify`): against a real tenant when API_CLIENT_ID
 * is set, otherwise against a local emulator it starts.
 */
import { serveSample } from "../serve-sample.js";
import { createFastifySampleApi } from "./app.js";

await serveSample("Fastify", async (config, port) => {
  const { app } = await createFastifySampleApi(config);
  return app.listen({ port, host: "127.0.0.1" });
});
