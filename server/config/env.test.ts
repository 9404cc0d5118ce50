import { describe, expect, it } from "vitest";
import { loadConfig } from "./env";

describe("loadConfig", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8080, drivers: ["libvirt", "oci"], vmAccel: "auto", ui: true });
    expect(c.databaseUrl).toMatch(/^file:.*data\/tandem\.db$/);
  });
  it("parses overrides", () => {
    const c = loadConfig({ TANDEM_PORT: "9000", TANDEM_DRIVERS: "fake", TANDEM_VM_ACCEL: "qemu", TANDEM_DEV: "1" });
    expect(c).toMatchObject({ port: 9000, drivers: ["fake"], vmAccel: "qemu", dev: true });
  });
  it("lists every bad variable in one clear error", () => {
    expect(() => loadConfig({ TANDEM_PORT: "99999", TANDEM_VM_ACCEL: "hvf", TANDEM_ADMIN_PASSWORD: "short" })).toThrow(
      /TANDEM_PORT[\s\S]*TANDEM_VM_ACCEL[\s\S]*TANDEM_ADMIN_PASSWORD/,
    );
  });
});
