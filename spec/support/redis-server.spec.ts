import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireRedisServer, startRedisCluster, startRedisServer } from "./redis-server.js";

/** Runs `start` with the temporary directory pointed at a fresh, private folder. */
async function inPrivateTmp<T>(start: () => Promise<T>): Promise<{ root: string; result: T }> {
  const root = mkdtempSync(join(tmpdir(), "graph-obo-auth-tmp-"));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = root; // os.tmpdir() reads it on every call
  try {
    return { root, result: await start() };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

describe("the redis-server helpers of the specs", function () {
  this.timeout(30_000);

  before(function () {
    requireRedisServer(this);
  });

  it("leave nothing in the temporary directory once a cluster is stopped", async () => {
    const { root, result: cluster } = await inPrivateTmp(() => startRedisCluster(3));
    try {
      assert.equal(readdirSync(root).length, 3, "one folder per node while it runs");
      await cluster.stop();
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("leave nothing in the temporary directory when a server fails to start", async () => {
    const { root, result } = await inPrivateTmp(() =>
      startRedisServer({ args: ["--no-such-option", "yes"] }).then(
        () => "started",
        (error: unknown) => (error instanceof Error ? error.message : "failed"),
      ),
    );
    try {
      assert.match(result, /exited .* before it was ready/);
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
