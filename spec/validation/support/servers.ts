import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** The test CA (PEM) that signed the loopback https server's certificate. */
export const TEST_CA = fixture("ca.pem");

/** A loopback server for a JSON Web Key Set whose keys the test can change; counts its requests. */
export interface JwksServer {
  /** Origin, for example `http://127.0.0.1:40123`. */
  readonly origin: string;
  /** Requests served, by path. */
  readonly hits: Map<string, number>;
  /** Total requests served. */
  readonly requests: () => number;
  /** Replaces the published keys. */
  publish(keys: JWK[]): void;
  /** Answers every request with this status instead (0 restores). */
  failWith(status: number): void;
  close(): Promise<void>;
}

/**
 * Starts a JWKS server on 127.0.0.1, port 0. With `tls`, it serves https with the fixture
 * certificate for `localhost`/`127.0.0.1`. Every path answers with the current key set.
 */
export async function startJwksServer(
  keys: JWK[],
  options: { tls?: boolean } = {},
): Promise<JwksServer> {
  let published = keys;
  let failure = 0;
  const hits = new Map<string, number>();
  const handler = (
    req: { url?: string | undefined },
    res: {
      writeHead(status: number, headers: Record<string, string>): unknown;
      end(body: string): unknown;
    },
  ): void => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (failure !== 0) {
      res.writeHead(failure, { "content-type": "text/plain" });
      res.end("unavailable");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: published }));
  };
  const server: Server = options.tls
    ? createHttpsServer(
        { cert: fixture("localhost-cert.pem"), key: fixture("localhost-key.pem") },
        handler,
      )
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? "https" : "http"}://${options.tls ? "localhost" : "127.0.0.1"}:${port}`,
    hits,
    requests: () => [...hits.values()].reduce((a, b) => a + b, 0),
    publish(next) {
      published = next;
    },
    failWith(status) {
      failure = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
