import nock from "nock";
import { claimsOf, FakeEntra, type FakeEntraRequest } from "./fake-entra.js";

// Entra is faked by one module, `fake-entra.ts`; these names stay importable from here.
export {
  claimsOf,
  entraError,
  fakeGraphToken,
  formOf,
  mockTokenError,
  type Form,
  type RecordedTokenRequest,
} from "./fake-entra.js";

/**
 * Mocks `times` On-Behalf-Of exchanges at login.microsoftonline.com for any tenant and any
 * client: the {@link FakeEntra} of a plain API. Each reply is a token for the user named by the
 * assertion's oid; the requests are recorded in the array returned.
 */
export function mockOboEndpoint(
  options: {
    times?: number;
    host?: string;
    delayMs?: number;
    expiresIn?: number;
    expClaim?: boolean;
  } = {},
): FakeEntraRequest[] {
  const { times = 1, host, delayMs, ...answers } = options;
  return new FakeEntra(answers).expect(times, {
    ...(host === undefined ? {} : { host }),
    ...(delayMs === undefined ? {} : { delayMs }),
  }).requests;
}

/**
 * Mocks Graph `/v1.0/me` and `/v1.0/me/manager` for `times` calls: each answers with the user the
 * bearer token names, so a test can see whose token reached Graph.
 */
export function mockGraphMe(times = 1): { path: string; oid: string; token: string }[] {
  const seen: { path: string; oid: string; token: string }[] = [];
  nock("https://graph.microsoft.com")
    .get(/^\/v1\.0\/me(\/manager)?$/)
    .times(times)
    .reply(function (uri) {
      const auth: unknown = this.req.headers.authorization;
      const header = Array.isArray(auth) ? String(auth[0]) : typeof auth === "string" ? auth : "";
      const token = header.replace(/^Bearer /, "");
      const oid = String(claimsOf(token).oid);
      seen.push({ path: uri, oid, token });
      if (uri.endsWith("/manager"))
        return [200, { id: `manager-of-${oid}`, displayName: `Manager of ${oid}` }];
      return [200, { id: oid, displayName: `User ${oid}` }];
    });
  return seen;
}
