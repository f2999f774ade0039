import type { EmulatorContext } from "../context.js";
import type { GraphPrincipal } from "./graph-auth.js";
import { READ_USERS, can } from "./graph-permissions.js";
import { graphUser } from "./graph-users.js";

const METADATA = "https://graph.microsoft.com/v1.0/$metadata";

/** Permissions that can list the signed-in user's messages (delegated only). */
const READ_MAIL = ["mail.readbasic", "mail.read", "mail.readwrite"];

/** A collection answer: 200 with a body, or an error. @internal */
export interface CollectionAnswer {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly code?: string;
  readonly message?: string;
}

function top(url: URL): number | CollectionAnswer {
  const raw = url.searchParams.get("$top");
  if (raw === null) return 100;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 999) {
    return {
      status: 400,
      code: "Request_UnsupportedQuery",
      message:
        "Invalid page size specified: '" +
        raw.slice(0, 16) +
        "'. Must be between 1 and 999 inclusive.",
    };
  }
  return value;
}

/**
 * `GET /v1.0/users`: the users of the token's tenant, for a caller that may read other users
 * (`User.ReadBasic.All`, `User.Read.All`, ... delegated or as an application role), with `$top`
 * (1 to 999, default 100; no further pages) and `$select`.
 *
 * @param ctx - the emulator
 * @param principal - the caller
 * @param url - the request URL
 * @param select - the `$select` fields
 * @internal
 */
export function usersAnswer(
  ctx: EmulatorContext,
  principal: GraphPrincipal,
  url: URL,
  select: readonly string[] | undefined,
): CollectionAnswer {
  if (!can(principal, READ_USERS)) return { status: 403 };
  const size = top(url);
  if (typeof size !== "number") return size;
  const users = ctx.directory.usersIn(principal.tenantId).slice(0, size);
  const context =
    select === undefined ? `${METADATA}#users` : `${METADATA}#users(${select.join(",")})`;
  return {
    status: 200,
    body: {
      "@odata.context": context,
      value: users.map((user) => {
        const { "@odata.context": _context, ...fields } = graphUser(user, "", select, false);
        return fields;
      }),
    },
  };
}

/**
 * `GET /v1.0/me/messages`: the signed-in user's mailbox, which the emulator keeps empty. Needs a
 * delegated token with `Mail.ReadBasic`, `Mail.Read` or `Mail.ReadWrite`; an app-only token gets
 * Graph's 400 for `/me`.
 *
 * @param principal - the caller
 * @param url - the request URL
 * @internal
 */
export function messagesAnswer(principal: GraphPrincipal, url: URL): CollectionAnswer {
  if (principal.userId === undefined) {
    return {
      status: 400,
      code: "BadRequest",
      message: "/me request is only valid with delegated authentication flow.",
    };
  }
  if (!can(principal, READ_MAIL)) return { status: 403 };
  const size = top(url);
  if (typeof size !== "number") return size;
  return {
    status: 200,
    body: { "@odata.context": `${METADATA}#users('${principal.userId}')/messages`, value: [] },
  };
}
