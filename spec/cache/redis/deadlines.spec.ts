import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Deadlines } from "../../../lib/cache/redis/deadlines.js";

describe("Redis command deadlines (one timer for every command)", () => {
  it("expires a deadline not done in time, once, and never one that is done", async () => {
    const deadlines = new Deadlines(20);
    const expired: string[] = [];
    const late: number[] = [];
    const slow = deadlines.watch((lateBy) => {
      expired.push("slow");
      late.push(lateBy);
    });
    const answered = deadlines.watch(() => expired.push("answered"));
    answered.done = true;
    await sleep(60);
    assert.deepEqual(expired, ["slow"]);
    assert.equal(slow.done, true);
    assert.ok((late[0] ?? -1) >= 0, "it expired at its deadline, not before");
    assert.equal(deadlines.size, 0, "nothing is kept once all are settled");
  });

  it("expires each command at its own deadline, never earlier, beside commands that answered", async () => {
    const deadlines = new Deadlines(30);
    const expired: number[] = [];
    const lateBy: number[] = [];
    const watch = (n: number) =>
      deadlines.watch((late) => {
        expired.push(n);
        lateBy.push(late);
      });
    watch(0);
    await sleep(15);
    const bystanders = [1, 2, 3].map(watch);
    for (const b of bystanders) b.done = true;
    const last = watch(4);
    while (!last.done) await sleep(10);
    assert.deepEqual(expired, [0, 4], "only the ones left unanswered expire, in order");
    // The one timer fires for the first; the last is due 15 ms later and is not expired early.
    for (const late of lateBy) assert.ok(late >= 0, "a deadline expired before its time");
  });

  it("keeps its queue bounded under many answered commands", async () => {
    const deadlines = new Deadlines(10);
    let expired = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2_000; i++) {
        deadlines.watch(() => expired++).done = true;
      }
      await sleep(15);
    }
    const last = deadlines.watch(() => expired++);
    await sleep(40);
    assert.equal(expired, 1);
    assert.equal(last.done, true);
    assert.equal(deadlines.size, 0);
  });

  it("does not keep the process alive", async () => {
    const { spawnSync } = await import("node:child_process");
    const script = `import { Deadlines } from ${JSON.stringify(new URL("../../../lib/cache/redis/deadlines.ts", import.meta.url).href)}; new Deadlines(60_000).watch(() => {});`;
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        timeout: 20_000,
      },
    );
    assert.equal(child.status, 0, "the process exits although a deadline is pending");
  });
});
