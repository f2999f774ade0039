import assert from "node:assert/strict";
import { LegGates } from "../../lib/acquisition/leg-gates.js";

describe("LegGates", () => {
  it("holds a closed leg back for exactly its wait, and only that leg", () => {
    const gates = new LegGates();
    assert.equal(gates.remaining("a", 1000), 0, "a leg never closed is open");
    gates.close("a", 500, 1000);
    assert.equal(gates.remaining("a", 1000), 500);
    assert.equal(gates.remaining("a", 1499), 1);
    assert.equal(gates.remaining("b", 1000), 0, "another leg goes on");
    assert.equal(gates.remaining("a", 1500), 0, "open again once the wait is over");
    assert.equal(gates.remaining("a", 1400), 0, "and forgotten: never negative, never again");
    gates.close("a", 100, 2000);
    assert.equal(gates.remaining("a", 2000), 100, "and closable again");
  });

  it("forgets a gate once its wait is over", () => {
    const gates = new LegGates(1);
    gates.close("a", 10, 0);
    assert.equal(gates.remaining("a", 60), 0, "never a negative wait");
    // "a" is gone: closing "b" keeps it, and nothing else is dropped for the bound.
    gates.close("b", 10, 10);
    assert.equal(gates.remaining("b", 10), 10);
  });

  it("opens a leg at once when it succeeds", () => {
    const gates = new LegGates();
    gates.close("a", 500, 0);
    gates.close("b", 500, 0);
    gates.open("a");
    assert.equal(gates.remaining("a", 1), 0);
    assert.equal(gates.remaining("b", 1), 499);
  });

  it("keeps at most `max` gates, dropping the oldest first", () => {
    const gates = new LegGates(2);
    gates.close("a", 100, 0);
    gates.close("b", 100, 0);
    gates.close("c", 100, 0);
    assert.equal(gates.remaining("a", 0), 0, "the oldest was dropped");
    assert.equal(gates.remaining("b", 0), 100);
    assert.equal(gates.remaining("c", 0), 100);
    gates.close("b", 200, 0); // closing again makes it the newest
    gates.close("d", 100, 0);
    assert.equal(gates.remaining("c", 0), 0);
    assert.equal(gates.remaining("b", 0), 200);
    assert.equal(gates.remaining("d", 0), 100);
  });

  it("keeps up to 10,000 gates by default", () => {
    const gates = new LegGates();
    for (let i = 0; i <= 10_000; i++) gates.close(`leg-${i}`, 100, 0);
    assert.equal(gates.remaining("leg-0", 0), 0);
    assert.equal(gates.remaining("leg-1", 0), 100);
    assert.equal(gates.remaining("leg-10000", 0), 100);
  });
});
