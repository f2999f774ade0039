/**
 * Runs the Express sample API (`npm run sample`): against a real tenant when API_CLIENT_ID is set,
 * otherwise against a local emulator it starts.
 */
import type { AddressInfo } from "node:net";
import { serveSample } from "../serve-sample.js";
import { createSampleApi } from "./app.js";

await serveSample("Express", (config, port) => {
  const { app } = createSampleApi(config);
  return new Promise((resolve) => {
    const server = app.listen(port, "127.0.0.1", () => {
      resolve(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
    });
  });
});
