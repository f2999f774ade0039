import { X509Certificate, createPublicKey, randomUUID, type KeyObject } from "node:crypto";
import type { App, Directory, GrantedPermissions, RegisteredCertificate } from "./directory.js";
import type {
  AppKind,
  AppRegistration,
  CertificateInput,
  ResourcePermissions,
} from "./directory-types.js";
import { EmulatorError } from "./errors.js";
import { isGuid } from "./ids.js";
import { GRAPH_APP_ID } from "./well-known.js";

function lower(value: string): string {
  return value.toLowerCase();
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, "");
}

/**
 * A list of names from an option, trimmed and without duplicates.
 *
 * @param value - the option's value
 * @param option - its name, for the message
 * @internal
 */
export function names(value: readonly string[] | undefined, option: string): string[] {
  if (value === undefined) return [];
  const list: unknown = value;
  if (!Array.isArray(list)) throw new EmulatorError(`${option} must be an array of strings.`);
  const out: string[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== "string" || item.trim() === "") {
      throw new EmulatorError(`${option} must contain non-empty strings.`);
    }
    out.push(item.trim());
  }
  return [...new Set(out)];
}

function certificateOf(input: CertificateInput, clientId: string): RegisteredCertificate {
  if ("certificatePem" in input) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(input.certificatePem);
    } catch {
      throw new EmulatorError(`app ${clientId}: certificatePem is not a readable PEM certificate.`);
    }
    return {
      publicKey: certificate.publicKey,
      sha256: certificate.fingerprint256.replace(/:/g, "").toLowerCase(),
      sha1: certificate.fingerprint.replace(/:/g, "").toLowerCase(),
    };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(input.publicKeyPem);
  } catch {
    throw new EmulatorError(`app ${clientId}: publicKeyPem is not a readable PEM public key.`);
  }
  const sha256 = input.thumbprintSha256?.replace(/:/g, "").toLowerCase();
  const sha1 = input.thumbprint?.replace(/:/g, "").toLowerCase();
  if (sha256 === undefined && sha1 === undefined) {
    throw new EmulatorError(
      `app ${clientId}: a publicKeyPem certificate needs thumbprintSha256 or thumbprint.`,
    );
  }
  return { publicKey, sha256, sha1 };
}

/**
 * Validates an app registration against the directory and builds the app.
 *
 * @param input - the registration
 * @param directory - for the tenant, the blueprint, and uniqueness checks
 * @internal
 */
export function buildApp(input: AppRegistration, directory: Directory): App {
  const clientId = lower(input.clientId ?? randomUUID());
  if (!isGuid(clientId)) throw new EmulatorError(`clientId "${clientId}" must be a GUID.`);
  if (directory.findApp(clientId) !== undefined || clientId === GRAPH_APP_ID) {
    throw new EmulatorError(`app ${clientId} is already registered.`);
  }
  const kind: AppKind = input.kind ?? "app";
  if (!(["app", "blueprint", "agent"] as readonly string[]).includes(kind)) {
    throw new EmulatorError(`app ${clientId}: kind must be "app", "blueprint" or "agent".`);
  }
  const tenant = directory.requireTenant(input.tenant, `app ${clientId}`);
  const certificateInputs = [
    ...(input.certificates ?? []),
    ...(input.certificate === undefined ? [] : [input.certificate]),
  ];
  let blueprint: string | undefined;
  if (kind === "agent") {
    if (input.blueprint === undefined) {
      throw new EmulatorError(`agent identity ${clientId} needs its blueprint's client id.`);
    }
    const parent = directory.findApp(input.blueprint);
    if (parent?.kind !== "blueprint") {
      throw new EmulatorError(
        `agent identity ${clientId}: blueprint ${input.blueprint} is not a registered agent identity blueprint.`,
      );
    }
    if (input.clientSecret !== undefined || certificateInputs.length > 0) {
      throw new EmulatorError(
        `agent identity ${clientId} cannot have credentials: agent identities authenticate with their blueprint's exchange token.`,
      );
    }
    if (input.multiTenant === true) {
      throw new EmulatorError(`agent identity ${clientId}: agent identities are single-tenant.`);
    }
    blueprint = parent.clientId;
  } else if (input.blueprint !== undefined) {
    throw new EmulatorError(`app ${clientId}: only agent identities have a blueprint.`);
  }
  if (
    input.clientSecret !== undefined &&
    (typeof input.clientSecret !== "string" || input.clientSecret === "")
  ) {
    throw new EmulatorError(`app ${clientId}: clientSecret must be a non-empty string.`);
  }
  const appIdUri = trimSlash(input.appIdUri ?? `api://${clientId}`);
  if (directory.findResource(appIdUri) !== undefined) {
    throw new EmulatorError(`app ${clientId}: appIdUri ${appIdUri} is already in use.`);
  }
  const permissions = new Map<string, GrantedPermissions>();
  permissions.set(GRAPH_APP_ID, {
    scopes: names(input.graphScopes ?? ["User.Read"], "graphScopes"),
    roles: names(input.graphRoles, "graphRoles"),
  });
  for (const [key, value] of Object.entries(input.apiPermissions ?? {})) {
    const target = directory.findResource(key);
    if (target?.kind !== "api") {
      throw new EmulatorError(
        `app ${clientId}: apiPermissions names ${key}, which is not a registered API.`,
      );
    }
    const given: ResourcePermissions = value;
    permissions.set(target.id, {
      scopes: names(given.scopes, "apiPermissions scopes"),
      roles: names(given.roles, "apiPermissions roles"),
    });
  }
  const app: App = {
    clientId,
    displayName: input.displayName ?? `App ${clientId.slice(0, 8)}`,
    tenantId: tenant.id,
    kind,
    blueprint,
    multiTenant: input.multiTenant ?? false,
    secrets: input.clientSecret === undefined ? [] : [input.clientSecret],
    certificates: certificateInputs.map((c) => certificateOf(c, clientId)),
    appIdUri,
    exposedScopes: names(
      input.exposedScopes ??
        (kind === "blueprint" ? ["access_as_user", "access_agent"] : ["access_as_user"]),
      "exposedScopes",
    ),
    exposedRoles: names(input.exposedRoles, "exposedRoles"),
    permissions,
  };
  return app;
}
