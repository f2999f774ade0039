import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "../http.js";

/** Per-request ids Graph echoes. @internal */
export interface GraphRequestIds {
  readonly requestId: string;
  readonly clientRequestId: string;
}

/**
 * The request ids of a Graph call: a fresh `request-id`, and the client's `client-request-id`
 * (or the same fresh id).
 *
 * @param clientRequestId - the caller's header value
 * @internal
 */
export function graphRequestIds(clientRequestId: string | string[] | undefined): GraphRequestIds {
  const requestId = randomUUID();
  const given = Array.isArray(clientRequestId) ? clientRequestId[0] : clientRequestId;
  return { requestId, clientRequestId: given ?? requestId };
}

/**
 * The headers every Graph answer carries.
 *
 * @param ids - the request ids
 * @internal
 */
export function graphHeaders(ids: GraphRequestIds): Record<string, string> {
  return {
    "request-id": ids.requestId,
    "client-request-id": ids.clientRequestId,
    "x-ms-ags-diagnostic": JSON.stringify({
      ServerInfo: {
        DataCenter: "Emulator",
        Slice: "E",
        Ring: "0",
        ScaleUnit: "000",
        RoleInstance: "localhost",
      },
    }),
  };
}

/**
 * Answers with Graph's error shape:
 * `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
 *
 * @param res - the response
 * @param ids - the request ids
 * @param status - the HTTP status
 * @param code - Graph's error code, e.g. `InvalidAuthenticationToken`
 * @param message - the message (never containing a token)
 * @param headers - extra headers (`WWW-Authenticate`, `Retry-After`)
 * @internal
 */
export function sendGraphError(
  res: ServerResponse,
  ids: GraphRequestIds,
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(
    res,
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          "request-id": ids.requestId,
          "client-request-id": ids.clientRequestId,
        },
      },
    },
    { ...graphHeaders(ids), ...headers },
  );
}
