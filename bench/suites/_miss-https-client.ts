/**
 * The client side of the `miss-https` suite, in a process of its own so that its CPU is only the
 * client's: the emulator (Entra, over HTTPS on loopback) runs in the suite's process. Started with
 * `fork()`; receives its work over IPC (tokens travel over IPC only, never in argv or the
 * environment) and answers the CPU per miss of each approach, rep by rep.
 */
import { ConfidentialClientApplication } from "@azure/msal-node";
import { EmulatorNetworkClient, type EmulatorProviderOptions } from "graph-obo-auth-emulator";
import { OnBehalfOfAuthenticationProvider } from "../../lib/index.js";
import { claimOf } from "../assertions.js";
import { rawOboForm } from "../fake-entra.js";

/** An approach's miss. */
export type HttpsMissApproach = "ours" | "msal-call" | "raw";

/** Suite → client. */
export interface HttpsMissWork {
  readonly origin: string;
  readonly caPem: string;
  /** `emulator.providerOptions({ tenant: "organizations" })` without `msalSystemOptions`. */
  readonly providerOptions: Omit<EmulatorProviderOptions, "msalSystemOptions">;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The users' tenant: the raw POST and the msal-node call go to it. */
  readonly tenant: string;
  /** Incoming user tokens: `warm` for the warm-up, then `reps × missesPerRep` never seen before. */
  readonly assertions: readonly string[];
  readonly warm: number;
  readonly reps: number;
  readonly missesPerRep: number;
}

/** Client → suite: one rep of one approach. */
export interface HttpsMissRep {
  readonly approach: HttpsMissApproach;
  readonly rep: number;
  /** CPU µs (user + system, this whole process) ÷ misses. */
  readonly cpuUsPerMiss: number;
  /** Whether every answer carried the right user's token (its `oid`). */
  readonly verified: boolean;
}

export type HttpsMissReply =
  | { readonly type: "rep"; readonly rep: HttpsMissRep }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly message: string };

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** A fresh instance of the approach, with a network client (connection pool) of its own. */
function create(
  work: HttpsMissWork,
  approach: HttpsMissApproach,
): (assertion: string) => Promise<string> {
  const networkClient = new EmulatorNetworkClient(work.origin, work.caPem);
  switch (approach) {
    case "ours": {
      const provider = new OnBehalfOfAuthenticationProvider({
        clientId: work.clientId,
        clientSecret: work.clientSecret,
        ...work.providerOptions,
        msalSystemOptions: { networkClient },
      });
      return (assertion) => provider.getAccessToken({ userAssertion: assertion });
    }
    case "msal-call": {
      const app = new ConfidentialClientApplication({
        auth: {
          clientId: work.clientId,
          clientSecret: work.clientSecret,
          authority: `${work.origin}/${work.tenant}`,
          ...work.providerOptions.msalAuthorityOptions,
        },
        system: { networkClient },
      });
      return async (assertion) => {
        try {
          const result = await app.acquireTokenOnBehalfOf({
            oboAssertion: assertion,
            scopes: [GRAPH_SCOPE],
            skipCache: true,
          });
          if (result === null) throw new Error("no result");
          return result.accessToken;
        } finally {
          app.clearCache();
        }
      };
    }
    case "raw": {
      // The raw token POST of the same exchange (see rawOboForm), the same transport, the JSON
      // answer, a Map.
      const url = `${work.origin}/${work.tenant}/oauth2/v2.0/token`;
      const tokens = new Map<string, string>();
      return async (assertion) => {
        const body = rawOboForm({
          clientId: work.clientId,
          clientSecret: work.clientSecret,
          assertion,
          scope: GRAPH_SCOPE,
        });
        const response = await networkClient.sendPostRequestAsync<{ access_token?: string }>(url, {
          body,
          headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
        });
        const token = response.body.access_token;
        if (response.status !== 200 || token === undefined) {
          throw new Error(`the raw POST was answered ${String(response.status)}`);
        }
        tokens.set(assertion.slice(-43), token);
        return token;
      };
    }
  }
}

async function run(work: HttpsMissWork): Promise<void> {
  const approaches: HttpsMissApproach[] = ["ours", "msal-call", "raw"];
  // Warm-up: load and compile every approach's path (its own users).
  for (const approach of approaches) {
    const get = create(work, approach);
    for (let i = 0; i < work.warm; i++) await get(work.assertions[i]!);
  }
  for (let rep = 0; rep < work.reps; rep++) {
    const first = work.warm + rep * work.missesPerRep;
    const users = work.assertions.slice(first, first + work.missesPerRep);
    // The approaches take turns, in an order rotated per rep; each sends the same users' tokens to
    // a fresh instance (none of them has seen these users), after one untimed call that opens its
    // connection (a warm-up user's token: the TLS handshake is not a miss's cost).
    for (let k = 0; k < approaches.length; k++) {
      const approach = approaches[(rep + k) % approaches.length]!;
      const get = create(work, approach);
      await get(work.assertions[(rep + k) % work.warm]!);
      globalThis.gc?.();
      const tokens: string[] = [];
      const start = process.cpuUsage();
      for (const assertion of users) tokens.push(await get(assertion));
      const used = process.cpuUsage(start);
      const verified = tokens.every(
        (token, i) => claimOf(token, "oid") === claimOf(users[i]!, "oid"),
      );
      process.send?.({
        type: "rep",
        rep: { approach, rep, cpuUsPerMiss: (used.user + used.system) / users.length, verified },
      } satisfies HttpsMissReply);
    }
  }
}

process.once("message", (work: HttpsMissWork) => {
  run(work).then(
    () => {
      process.send?.({ type: "done" } satisfies HttpsMissReply, () => process.exit(0));
    },
    (error: unknown) => {
      process.send?.(
        {
          type: "error",
          message: error instanceof Error ? `${error.name}: ${error.message}` : "failed",
        } satisfies HttpsMissReply,
        () => process.exit(1),
      );
    },
  );
});
