import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMULATOR_DEFAULTS } from "graph-obo-auth-emulator";
import { OnBehalfOfAuthenticationProvider } from "../../../lib/index.js";
import { resolveProxy } from "../../../lib/acquisition/msal/proxy.js";
import { useEmulator } from "../../emulator/support/emulator.js";

/** A real HTTP CONNECT proxy on loopback that counts the tunnels it opens, by target. */
async function startConnectProxy(): Promise<{ server: Server; url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on("connect", (req, client, head) => {
    const target = req.url ?? "";
    tunnels.push(target);
    const [host = "", port = "443"] = target.split(":");
    const upstream = connect(Number(port), host === "localhost" ? "127.0.0.1" : host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, tunnels };
}

function runChild(coverageDir: string, env: Record<string, string>): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "spec/acquisition/msal/fixtures/proxy-child.ts"],
      {
        // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
        env: { PATH: process.env.PATH ?? "", NODE_V8_COVERAGE: coverageDir, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`child exited ${String(code)}: ${err.slice(0, 500)}`));
      else resolve(JSON.parse(out) as unknown[]);
    });
  });
}

describe("token requests through an HTTP proxy (default transport)", function () {
  this.timeout(60_000);
  const emulator = useEmulator();
  const { apps, users, tenants } = EMULATOR_DEFAULTS;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  let dir: string;
  let caFile: string;

  before(async () => {
    proxy = await startConnectProxy();
    dir = mkdtempSync(join(tmpdir(), "graph-obo-auth-proxy-"));
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, emulator().caPem);
  });
  after(() => {
    proxy.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function config(extra: Record<string, unknown>): Promise<string> {
    const assertions = await Promise.all(
      [users.alice, users.bob, users.carol].map((user) => emulator().signIn({ user })),
    );
    return JSON.stringify({
      clientId: apps.api.clientId,
      clientSecret: apps.api.clientSecret,
      authority: emulator().authority(tenants.contoso.id),
      msalAuthorityOptions: emulator().msalAuthorityOptions(tenants.contoso.id),
      cloud: emulator().providerOptions().cloud,
      assertions,
      ...extra,
    });
  }

  function assertOwnTokens(results: unknown[]): void {
    assert.equal(results.length, 3);
    for (const result of results) {
      assert.ok(Array.isArray(result), JSON.stringify(result));
      assert.equal(result[0], result[1], "each user got a token of their own");
    }
  }

  it("sends every token request through proxyUrl", async () => {
    proxy.tunnels.length = 0;
    const results = await runChild(dir, {
      NODE_EXTRA_CA_CERTS: caFile,
      PROXY_CHILD_CONFIG: await config({ proxyUrl: proxy.url }),
    });
    assertOwnTokens(results);
    assert.ok(proxy.tunnels.length >= 1, "the proxy opened a tunnel");
    assert.ok(proxy.tunnels.every((target) => target === new URL(emulator().origin).host));
    assert.equal(emulator().count({ endpoint: "token", status: 200 }), 3);
  });

  it("honours HTTPS_PROXY, and NO_PROXY exceptions", async () => {
    proxy.tunnels.length = 0;
    assertOwnTokens(
      await runChild(dir, {
        NODE_EXTRA_CA_CERTS: caFile,
        HTTPS_PROXY: proxy.url,
        PROXY_CHILD_CONFIG: await config({}),
      }),
    );
    assert.ok(proxy.tunnels.length >= 1, "HTTPS_PROXY was used");
    proxy.tunnels.length = 0;
    assertOwnTokens(
      await runChild(dir, {
        NODE_EXTRA_CA_CERTS: caFile,
        HTTPS_PROXY: proxy.url,
        NO_PROXY: "localhost",
        PROXY_CHILD_CONFIG: await config({}),
      }),
    );
    assert.equal(proxy.tunnels.length, 0, "NO_PROXY bypasses the proxy");
  });

  it("refuses a proxy URL that is not http(s), and a proxy with a custom network client", () => {
    assert.throws(() => resolveProxy("socks5://127.0.0.1:1080", "proxyUrl"), {
      code: "ERR_OBO_CONFIGURATION",
      option: "proxyUrl",
    });
    assert.throws(() => resolveProxy("not a url", "proxyUrl"), { code: "ERR_OBO_CONFIGURATION" });
    assert.equal(resolveProxy(undefined, "proxyUrl", {}), undefined);
    const options = {
      clientId: apps.api.clientId,
      clientSecret: apps.api.clientSecret,
      ...emulator().providerOptions({ tenant: tenants.contoso.id }),
    };
    assert.throws(() => new OnBehalfOfAuthenticationProvider({ ...options, proxyUrl: proxy.url }), {
      code: "ERR_OBO_CONFIGURATION",
      option: "proxyUrl",
    });
    const legacy = { ...options.msalSystemOptions, proxyUrl: "ftp://proxy" };
    assert.throws(
      () => new OnBehalfOfAuthenticationProvider({ ...options, msalSystemOptions: legacy }),
      { code: "ERR_OBO_CONFIGURATION", option: "msalSystemOptions.proxyUrl" },
    );
  });
});
