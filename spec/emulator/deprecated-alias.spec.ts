import assert from "node:assert/strict";
import * as emulatorPackage from "graph-obo-auth-emulator";
import * as alias from "graph-obo-auth/emulator";

describe("graph-obo-auth/emulator, the deprecated alias", () => {
  it("re-exports every binding of graph-obo-auth-emulator, the same values", () => {
    const names = Object.keys(emulatorPackage).sort();
    assert.ok(names.includes("startEmulator"));
    assert.deepEqual(Object.keys(alias).sort(), names);
    for (const name of names) {
      assert.equal(
        (alias as Record<string, unknown>)[name],
        (emulatorPackage as Record<string, unknown>)[name],
        name,
      );
    }
  });

  it("serves a running emulator through the old import", async () => {
    const emulator = await alias.startEmulator();
    try {
      assert.ok(emulator instanceof emulatorPackage.Emulator);
      assert.equal(typeof (await emulator.signIn({ user: "alice@contoso.example" })), "string");
    } finally {
      await emulator.close();
    }
  });
});
