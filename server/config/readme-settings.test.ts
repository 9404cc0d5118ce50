// README's settings table against the code: every variable it lists is one loadConfig reads, and
// the default it states is the one loadConfig gives when the variable is unset. A row added to
// the table without a check here fails, so the table cannot drift from env.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "./env";

const GiB = 2 ** 30;

/** What the README's default column says for each variable, read back from a default Config. */
const stated: Record<string, (c: Config) => string> = {
  TANDEM_HOST: (c) => `\`${c.host}\``,
  TANDEM_PORT: (c) => `\`${c.port}\``,
  TANDEM_DATA_DIR: (c) => (c.dataDir === path.resolve("./data") ? "`./data`" : c.dataDir),
  TANDEM_DRIVERS: (c) => `\`${c.drivers.join(",")}\``,
  TANDEM_LIBVIRT_URI: (c) => `\`${c.libvirtUri}\``,
  TANDEM_VM_ACCEL: (c) => `\`${c.vmAccel}\``,
  TANDEM_ADMIN_PASSWORD: (c) => (c.adminPassword === undefined ? "random, printed once" : "set"),
  TANDEM_CONTAINER_SUBNET: (c) => `\`${c.containerSubnet}\``,
  TANDEM_CONTAINER_BRIDGE: (c) => `\`${c.containerBridge}\``,
  TANDEM_TLS_CERT: (c) => (c.tls === null ? "unset" : "set"),
  TANDEM_TLS_KEY: (c) => (c.tls === null ? "unset" : "set"),
  TANDEM_TRUSTED_PROXIES: (c) => (c.trustedProxies.length === 0 ? "none" : c.trustedProxies.join(",")),
  TANDEM_SESSION_TTL_HOURS: (c) => `\`${c.sessionTtlMs / 3600_000}\``,
  TANDEM_TOKEN_TTL_DAYS: (c) => `\`${c.tokenTtlMs / 86_400_000}\``,
  TANDEM_MAX_UPLOAD_BYTES: (c) => `${c.maxUploadBytes / GiB} GiB`,
  TANDEM_MAX_UNPACKED_BYTES: (c) => `${c.maxUnpackedBytes / c.maxUploadBytes} × upload`,
  TANDEM_DISK_RESERVE_MIB: (c) => `\`${c.diskReserveBytes / 2 ** 20}\``,
  TANDEM_CONTAINER_DISK_GIB: (c) => `\`${c.containerDiskGiB}\``,
  TANDEM_PUBLISH_PORT_RANGE: (c) => `\`${c.publishPortRange.first}-${c.publishPortRange.last}\``,
  TANDEM_BIND_MOUNT_ROOTS: (c) => (c.bindMountRoots.length === 0 ? "none" : c.bindMountRoots.join(",")),
  TANDEM_FAKE_GUESTS: (c) => `\`${c.fakeGuests}\``,
  TANDEM_LOG_LEVEL: (c) => `\`${c.logLevel}\``,
};

/** The rows of README's "Settings (environment)" table: variables and the default cell, split on " / ". */
function readmeRows(): { vars: string[]; defaults: string[] }[] {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const section = readme.split("## Settings (environment)")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((l) => l.startsWith("| `TANDEM_"))
    .map((l) => {
      const [vars, def] = l
        .split("|")
        .slice(1, 3)
        .map((s) => s.trim()) as [string, string];
      return { vars: [...vars.matchAll(/`(TANDEM_\w+)`/g)].map((m) => m[1]!), defaults: def.split(" / ") };
    });
}

describe("README settings table", () => {
  const rows = readmeRows();

  it("lists the settings (the table was found)", () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });

  it("names only variables loadConfig reads, each with the default loadConfig gives", () => {
    const config = loadConfig({});
    for (const { vars, defaults } of rows) {
      // "A / B | x / y": one default per variable; one default cell for a pair means both share it.
      vars.forEach((v, i) => {
        expect(stated, `README lists ${v}, which this test does not check`).toHaveProperty(v);
        expect(stated[v]!(config), v).toBe(defaults.length === vars.length ? defaults[i] : defaults[0]);
      });
    }
  });

  it("each listed variable changes the configuration", () => {
    // A value each would accept, unlike its default: a variable the code ignored would not move it.
    const set: Record<string, string> = {
      TANDEM_HOST: "0.0.0.0",
      TANDEM_PORT: "9090",
      TANDEM_DATA_DIR: "/srv/tandem",
      TANDEM_DRIVERS: "fake",
      TANDEM_LIBVIRT_URI: "qemu:///session",
      TANDEM_VM_ACCEL: "qemu",
      TANDEM_ADMIN_PASSWORD: "long-enough-password",
      TANDEM_CONTAINER_SUBNET: "10.90.0.0/24",
      TANDEM_CONTAINER_BRIDGE: "tandem9",
      TANDEM_TLS_CERT: "/etc/tandem/cert.pem",
      TANDEM_TLS_KEY: "/etc/tandem/key.pem",
      TANDEM_TRUSTED_PROXIES: "10.0.0.1",
      TANDEM_SESSION_TTL_HOURS: "1",
      TANDEM_TOKEN_TTL_DAYS: "7",
      TANDEM_MAX_UPLOAD_BYTES: String(GiB),
      TANDEM_MAX_UNPACKED_BYTES: String(GiB),
      TANDEM_DISK_RESERVE_MIB: "512",
      TANDEM_CONTAINER_DISK_GIB: "1",
      TANDEM_PUBLISH_PORT_RANGE: "20000-30000",
      TANDEM_BIND_MOUNT_ROOTS: "/srv/shared",
      TANDEM_FAKE_GUESTS: "10",
      TANDEM_LOG_LEVEL: "debug",
    };
    const base = loadConfig({});
    for (const v of rows.flatMap((r) => r.vars)) {
      expect(set, `no value to try for ${v}`).toHaveProperty(v);
      const pairs = v === "TANDEM_TLS_CERT" || v === "TANDEM_TLS_KEY";
      const env = pairs
        ? { TANDEM_TLS_CERT: set.TANDEM_TLS_CERT, TANDEM_TLS_KEY: set.TANDEM_TLS_KEY }
        : { [v]: set[v] };
      expect(stated[v]!(loadConfig(env)), v).not.toBe(stated[v]!(base));
    }
  });
});
