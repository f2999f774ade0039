import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context.js";
import type { DirectoryUser } from "../directory.js";
import { pause, sendJson } from "../http.js";
import type { PendingRecord } from "../request-log.js";
import { authenticateGraphRequest, bearerOf, isRefusal } from "./graph-auth.js";
import {
  graphHeaders,
  graphRequestIds,
  sendGraphError,
  type GraphRequestIds,
} from "./graph-errors.js";
import { messagesAnswer, usersAnswer } from "./graph-collections.js";
import { READ_SELF, READ_USERS, can } from "./graph-permissions.js";
import { graphUser } from "./graph-users.js";
import { decodeJwt } from "jose";

const GRAPH_JSON =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const GRAPH_ROOT = "https://graph.microsoft.com/v1.0/$metadata";
function unverifiedSubject(req: IncomingMessage): { oid?: string; appId?: string; tid?: string } {
  const token = bearerOf(req.headers.authorization);
  if (token === undefined) return {};
  try {
    const claims = decodeJwt(token);
    const appId =
      typeof claims.appid === "string"
        ? claims.appid
        : typeof claims.azp === "string"
          ? claims.azp
          : undefined;
    return {
      ...(typeof claims.oid === "string" && claims.idtyp !== "app" ? { oid: claims.oid } : {}),
      ...(appId === undefined ? {} : { appId: appId.toLowerCase() }),
      ...(typeof claims.tid === "string" ? { tid: claims.tid.toLowerCase() } : {}),
    };
  } catch {
    return {};
  }
}

interface Route {
  readonly target: "me" | "user" | "users" | "messages";
  readonly id: string | undefined;
  readonly manager: boolean;
}

function route(path: string): Route | undefined {
  const segments = path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
  if (segments[0] !== "v1.0") return undefined;
  const [, first, second, third] = segments;
  if (first === "me" && (second === undefined || (second === "manager" && third === undefined))) {
    return { target: "me", id: undefined, manager: second === "manager" };
  }
  if (first === "me" && second === "messages" && third === undefined) {
    return { target: "messages", id: undefined, manager: false };
  }
  if (first === "users" && second === undefined) {
    return { target: "users", id: undefined, manager: false };
  }
  if (
    first === "users" &&
    second !== undefined &&
    (third === undefined || third === "manager") &&
    segments.length <= 4
  ) {
    return { target: "user", id: second, manager: third === "manager" };
  }
  return undefined;
}

function notFound(res: ServerResponse, ids: GraphRequestIds, what: string): void {
  sendGraphError(
    res,
    ids,
    404,
    "Request_ResourceNotFound",
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/**
 * Microsoft Graph v1.0 stand-in: `/me`, `/me/manager`, `/me/messages` (always empty), `/users`
 * (with `$top` and `$select`), `/users/{id|upn}` and `/users/{id|upn}/manager`, with Graph's
 * token checks, permission checks, CAE challenges, injected faults and error shapes.
 *
 * @param ctx - the emulator
 * @param req - the request
 * @param res - the response
 * @param record - the request's log entry, completed here
 * @internal
 */
export async function handleGraphRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  record: PendingRecord,
): Promise<void> {
  const ids = graphRequestIds(req.headers["client-request-id"]);
  const url = new URL(req.url ?? "/", ctx.origin);
  const subject = unverifiedSubject(req);
  if (subject.appId !== undefined) record.clientId = subject.appId;
  if (subject.tid !== undefined) record.tenantId = subject.tid;
  const user = subject.oid === undefined ? undefined : ctx.directory.findUser(subject.oid);
  if (user !== undefined) {
    record.userId = user.id;
    record.userPrincipalName = user.userPrincipalName;
  }
  const fault = ctx.faults.take({
    endpoint: "graph",
    tenantId: subject.tid,
    clientId: subject.appId,
    userId: user?.id,
    flow: undefined,
    path: url.pathname,
  });
  const answerError = (
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ): void => {
    record.status = status;
    sendGraphError(res, ids, status, code, message, headers);
  };
  if (fault !== undefined) {
    record.fault = fault.kind;
    switch (fault.kind) {
      case "connection_reset":
        record.status = 0;
        req.socket.destroy();
        return;
      case "delay":
        await pause(fault.ms, ctx.closing);
        break;
      case "throttled":
        answerError(429, "TooManyRequests", "Too many requests.", {
          "retry-after": String(fault.retryAfterSeconds ?? 1),
        });
        return;
      case "server_error":
        answerError(
          fault.status ?? 503,
          "serviceNotAvailable",
          "The service is temporarily unavailable.",
          fault.retryAfterSeconds === undefined
            ? {}
            : { "retry-after": String(fault.retryAfterSeconds) },
        );
        return;
      case "interaction_required":
      case "consent_required":
        break;
    }
  }
  if (req.method !== "GET") {
    answerError(
      405,
      "Request_BadRequest",
      "Specified HTTP method is not allowed for the request target.",
    );
    return;
  }
  const matched = route(url.pathname);
  if (matched === undefined) {
    const last =
      url.pathname
        .split("/")
        .filter((s) => s !== "")
        .pop() ?? "";
    answerError(400, "BadRequest", `Resource not found for the segment '${last}'.`);
    return;
  }
  const principal = await authenticateGraphRequest(ctx, req);
  if (isRefusal(principal)) {
    answerError(principal.status, principal.code, principal.message, { ...principal.headers });
    return;
  }
  const select = url.searchParams
    .get("$select")
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const insufficient = (): void => {
    answerError(
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    );
  };
  if (matched.target === "messages" || matched.target === "users") {
    const answer =
      matched.target === "messages"
        ? messagesAnswer(principal, url)
        : usersAnswer(ctx, principal, url, select);
    if (answer.status === 403) {
      insufficient();
      return;
    }
    if (answer.status !== 200) {
      answerError(answer.status, answer.code ?? "BadRequest", answer.message ?? "");
      return;
    }
    record.status = 200;
    sendJson(res, 200, answer.body ?? {}, { ...graphHeaders(ids), "content-type": GRAPH_JSON });
    return;
  }
  let target: DirectoryUser | undefined;
  if (matched.target === "me") {
    if (principal.userId === undefined) {
      answerError(
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
      );
      return;
    }
    if (!can(principal, READ_SELF)) {
      answerError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
      return;
    }
    target = ctx.directory.findUser(principal.userId, principal.tenantId);
  } else {
    const id = matched.id ?? "";
    target = ctx.directory.findUser(id, principal.tenantId);
    const self = target !== undefined && target.id === principal.userId;
    if (!can(principal, self ? READ_SELF : READ_USERS)) {
      answerError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
      return;
    }
  }
  if (target === undefined) {
    record.status = 404;
    notFound(res, ids, matched.id ?? principal.userId ?? "me");
    return;
  }
  if (matched.manager) {
    const manager = ctx.directory.managerOf(target);
    if (manager === undefined) {
      record.status = 404;
      notFound(res, ids, "manager");
      return;
    }
    record.status = 200;
    sendJson(res, 200, graphUser(manager, `${GRAPH_ROOT}#directoryObjects/$entity`, select, true), {
      ...graphHeaders(ids),
      "content-type": GRAPH_JSON,
    });
    return;
  }
  record.status = 200;
  const context =
    select === undefined
      ? `${GRAPH_ROOT}#users/$entity`
      : `${GRAPH_ROOT}#users(${select.join(",")})/$entity`;
  sendJson(res, 200, graphUser(target, context, select, false), {
    ...graphHeaders(ids),
    "content-type":
      "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
  });
}
