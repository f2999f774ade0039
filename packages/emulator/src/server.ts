import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorContext } from "./context.js";
import { openIdConfiguration } from "./discovery.js";
import { handleGraphRequest } from "./graph/graph-api.js";
import { sendJson } from "./http.js";
import type { EmulatorEndpoint, PendingRecord } from "./request-log.js";
import { aadsts } from "./token/aadsts.js";
import { entraErrorBody } from "./token/entra-error.js";
import { handleTokenRequest } from "./token/token-endpoint.js";

const MULTI_TENANT = new Set(["organizations", "common"]);

function endpointOf(segments: readonly string[]): EmulatorEndpoint {
  const path = segments.slice(1).join("/");
  if (segments[0] === "v1.0") return "graph";
  if (path === "oauth2/v2.0/token") return "token";
  if (path === "v2.0/.well-known/openid-configuration") return "discovery";
  if (path === "discovery/v2.0/keys") return "jwks";
  return "other";
}

function tenantError(
  ctx: EmulatorContext,
  res: ServerResponse,
  record: PendingRecord,
  segment: string,
): void {
  record.status = 400;
  sendJson(res, 400, entraErrorBody(aadsts.tenantNotFound(segment), ctx.now(), undefined));
}

async function route(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", ctx.origin);
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const endpoint = endpointOf(segments);
  const record: PendingRecord = ctx.log.add({
    endpoint,
    method: req.method ?? "GET",
    path: url.pathname,
    at: ctx.now(),
    status: 0,
  });
  try {
    const segment = segments[0] ?? "";
    switch (endpoint) {
      case "graph":
        await handleGraphRequest(ctx, req, res, record);
        return;
      case "token":
        if (req.method !== "POST") {
          record.status = 405;
          sendJson(
            res,
            405,
            entraErrorBody(
              aadsts.invalidRequest("The token endpoint only accepts POST requests."),
              ctx.now(),
              undefined,
            ),
          );
          return;
        }
        await handleTokenRequest(ctx, req, res, segment, record);
        return;
      case "discovery":
      case "jwks": {
        const multi = MULTI_TENANT.has(segment.toLowerCase());
        const tenant = multi ? undefined : ctx.directory.findTenant(segment);
        if (!multi && tenant === undefined) {
          tenantError(ctx, res, record, segment);
          return;
        }
        if (tenant !== undefined) record.tenantId = tenant.id;
        record.status = 200;
        sendJson(
          res,
          200,
          endpoint === "jwks"
            ? {
                // Entra's key sets name, per key, the issuer it signs for, with the tenant as a
                // template (https://login.microsoftonline.com/common/discovery/v2.0/keys); token
                // validators check it (Microsoft.IdentityModel's ValidateIssuerSigningKey).
                keys: [{ ...ctx.key.jwk, issuer: `${ctx.origin}/{tenantid}/v2.0` }],
              }
            : openIdConfiguration(ctx.origin, tenant?.id ?? segment.toLowerCase(), tenant?.id),
          { "cache-control": "max-age=86400, private" },
        );
        return;
      }
      case "other":
        record.status = 404;
        sendJson(res, 404, {
          error: "not_found",
          error_description: `The emulator does not serve ${url.pathname}.`,
        });
        return;
    }
  } catch {
    record.status = 500;
    if (!res.headersSent) {
      sendJson(res, 500, {
        error: "server_error",
        error_description: "The emulator failed to handle the request.",
      });
    } else {
      res.destroy();
    }
  }
}

/** The emulator's HTTPS listener. @internal */
export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the HTTPS server on `127.0.0.1`.
 *
 * @param tls - the server certificate and key (PEM)
 * @param port - the port, 0 for a free one
 * @param context - returns the emulator state (known once the port is)
 * @internal
 */
export async function startHttpsServer(
  tls: { readonly certificatePem: string; readonly privateKeyPem: string; readonly caPem: string },
  port: number,
  context: () => EmulatorContext,
): Promise<RunningServer> {
  const server: Server = createServer(
    { cert: `${tls.certificatePem}${tls.caPem}`, key: tls.privateKeyPem, keepAliveTimeout: 5_000 },
    (req, res) => {
      Promise.resolve()
        .then(() => route(context(), req, res))
        .catch(() => res.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
