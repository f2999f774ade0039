import assert from "node:assert/strict";
import { CircuitBreaker } from "../../../lib/cache/redis/circuit-breaker.js";

function breaker(threshold = 3, cooldownMs = 1_000) {
  const clock = { now: 0 };
  const events: string[] = [];
  const probes: ((up: boolean) => void)[] = [];
  const circuit = new CircuitBreaker({
    failureThreshold: threshold,
    cooldownMs,
    now: () => clock.now,
    probe: () =>
      new Promise<boolean>((resolve) => {
        probes.push(resolve);
      }),
    onOpen: () => events.push("open"),
    onClose: () => events.push("close"),
  });
  return { circuit, clock, events, probes };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("CircuitBreaker", () => {
  it("opens after consecutive failures only", () => {
    const { circuit, events } = breaker(3);
    circuit.failure();
    circuit.failure();
    circuit.success();
    circuit.failure();
    circuit.failure();
    assert.equal(circuit.state, "closed");
    assert.equal(circuit.allow(), true);
    circuit.failure();
    assert.equal(circuit.state, "open");
    assert.equal(circuit.allow(), false);
    assert.equal(circuit.opens, 1);
    assert.deepEqual(events, ["open"]);
  });

  it("after the cool-down, probes once in the background and closes when the probe succeeds", async () => {
    const { circuit, clock, events, probes } = breaker(1, 1_000);
    circuit.failure();
    clock.now = 999;
    assert.equal(circuit.allow(), false);
    assert.equal(probes.length, 0);
    clock.now = 1_000;
    assert.equal(circuit.allow(), false, "the caller that starts the probe does not wait for it");
    assert.equal(circuit.state, "half-open");
    assert.equal(circuit.allow(), false);
    assert.equal(probes.length, 1, "one probe at a time");
    circuit.failure(); // a late failure of a call sent before the circuit opened changes nothing
    probes[0]?.(true);
    await settle();
    assert.equal(circuit.state, "closed");
    assert.equal(circuit.allow(), true);
    assert.deepEqual(events, ["open", "close"]);
  });

  it("opens for another cool-down when the probe fails", async () => {
    const { circuit, clock, events, probes } = breaker(1, 1_000);
    circuit.failure();
    clock.now = 1_000;
    circuit.allow();
    probes[0]?.(false);
    await settle();
    assert.equal(circuit.state, "open");
    clock.now = 1_999;
    assert.equal(circuit.allow(), false);
    assert.equal(probes.length, 1);
    clock.now = 2_000;
    circuit.allow();
    assert.equal(probes.length, 2);
    assert.equal(circuit.opens, 1, "a failed probe is not a new outage");
    assert.deepEqual(events, ["open"]);
  });
});
