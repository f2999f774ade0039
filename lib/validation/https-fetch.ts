import { request } from "node:https";
import { rootCertificates } from "node:tls";
import type { FetchImplementation } from "jose";

/** A JSON Web Key Set is a few kilobytes; refuse to buffer anything much larger. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A fetch for downloading signing keys over https that trusts extra certificate authorities (such
 * as the local emulator's self-signed CA) besides Node's bundled roots. It never follows redirects
 * and never disables certificate or host-name checks.
 *
 * @param ca - PEM certificates to trust in addition to Node's root certificates
 * @internal
 */
export function fetchTrusting(ca: readonly (string | Buffer)[]): FetchImplementation {
  const trusted = [...rootCertificates, ...ca];
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const { signal } = options;
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        req.destroy();
        reject(signal.reason as Error);
      };
      const req = request(
        url,
        { method: "GET", headers: Object.fromEntries(options.headers), ca: trusted },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new Error("The JSON Web Key Set response is too large."));
              return;
            }
            chunks.push(chunk);
          });
          res.on("error", reject);
          res.on("end", () => {
            signal.removeEventListener("abort", onAbort);
            try {
              resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 }));
            } catch (cause) {
              reject(cause instanceof Error ? cause : new Error(String(cause)));
            }
          });
        },
      );
      req.on("error", (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      });
      signal.addEventListener("abort", onAbort, { once: true });
      req.end();
    });
}
