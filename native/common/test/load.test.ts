// The shared addon loader: loads a built addon once (init runs once) and names the fix for one
// that is not built.
import { describe, expect, it } from "vitest";
import { addonLoader } from "../load";

const seccompIndex = new URL("../../seccomp/index.ts", import.meta.url).href;

describe("addonLoader", () => {
  it("loads a built addon once and runs init once", () => {
    let inits = 0;
    const load = addonLoader<{ libseccompVersion(): string }>(seccompIndex, "tandem_seccomp", () => inits++);
    const a = load();
    expect(load()).toBe(a);
    expect(inits).toBe(1);
    expect(a.libseccompVersion()).toMatch(/^\d+\.\d+/);
  });

  it("says how to build an addon that is not built", () => {
    const load = addonLoader(seccompIndex, "tandem_nonexistent");
    expect(() => load()).toThrow("the tandem_nonexistent addon is not built: run 'bash scripts/build-native.sh'");
  });
});
