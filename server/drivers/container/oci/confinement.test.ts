// Unit tests for the container confinement: containers.conf's capabilities and sysctls, the
// nofile limit from /proc/self/limits, and the seccomp filter built for those capabilities.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSeccomp } from "../../../../native/seccomp/index";
import { hardNofile, loadConfinement, nofileLimit, parseContainersConf, tomlStringArray } from "./confinement";

// Shaped like Debian's /usr/share/containers/containers.conf: commented-out keys, comments inside
// arrays, other tables with keys of the same name.
const CONF = `# The containers configuration file
[containers]

# List of default capabilities for containers.
#default_capabilities = [
#  "AUDIT_WRITE",
#]
default_capabilities = [
  "CHOWN",
  "DAC_OVERRIDE",   # a comment
  # "NET_RAW",
  "SETUID",
  "SYS_CHROOT"
]

default_sysctls = [
  "net.ipv4.ping_group_range=0 0",
]

#pids_limit = 2048

[engine]
default_capabilities = ["SYS_ADMIN"]
`;

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96363                96363                processes
Max open files            1024                 20000                files
`;

describe("containers.conf", () => {
  it("reads default_capabilities and default_sysctls of the [containers] table", () => {
    expect(parseContainersConf(CONF)).toEqual({
      capabilities: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SYS_CHROOT"],
      sysctl: { "net.ipv4.ping_group_range": "0 0" },
    });
    expect(tomlStringArray(CONF, "engine", "default_capabilities")).toEqual(["SYS_ADMIN"]);
    expect(tomlStringArray(CONF, "containers", "absent")).toBeNull();
  });

  it("refuses a file without capabilities, odd names and sysctls outside the container's namespaces", () => {
    expect(() => parseContainersConf("[containers]\n#default_capabilities = []\n")).toThrow(/no default_capabilities/);
    expect(() => parseContainersConf('[containers]\ndefault_capabilities = ["chown"]\n')).toThrow(/not a capability/);
    expect(() =>
      parseContainersConf('[containers]\ndefault_capabilities = ["CHOWN"]\ndefault_sysctls = ["kernel.panic=1"]\n'),
    ).toThrow(/not a namespaced sysctl/);
    expect(() =>
      parseContainersConf('[containers]\ndefault_capabilities = ["CHOWN"]\ndefault_sysctls = ["net.ipv4.x"]\n'),
    ).toThrow(/not a namespaced sysctl/);
  });
});

describe("nofile", () => {
  it("is Podman's 1048576, capped to Tandem's own hard limit", () => {
    expect(hardNofile(LIMITS)).toBe(20000);
    expect(nofileLimit(20000)).toEqual({ soft: 20000, hard: 20000 });
    expect(nofileLimit(4_000_000)).toEqual({ soft: 1_048_576, hard: 1_048_576 });
    expect(hardNofile(LIMITS.replace("1024                 20000", "1024  unlimited"))).toBeNull();
    expect(nofileLimit(null)).toEqual({ soft: 1_048_576, hard: 1_048_576 });
    expect(() => hardNofile("Limit Soft Hard\n")).toThrow(/Max open files/);
  });
});

describe("loadConfinement", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-confine-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(tmp, name), text);
    return path.join(tmp, name);
  };

  it("builds the seccomp filter for the capabilities containers.conf grants", () => {
    const seccomp = file(
      "seccomp.json",
      JSON.stringify({
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [
          { names: ["read"], action: "SCMP_ACT_ALLOW" },
          { names: ["chroot"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_CHROOT"] } },
          { names: ["bpf"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
        ],
      }),
    );
    const c = loadConfinement({
      containersConf: file("containers.conf", CONF),
      seccompProfile: seccomp,
      procLimits: file("limits", LIMITS),
    });
    expect(c.capabilities).not.toContain("CAP_NET_RAW");
    expect(c.nofile).toEqual({ soft: 20000, hard: 20000 });
    const allowed = c.seccomp.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW").flatMap((r) => r.names);
    expect(allowed).toContain("chroot");
    expect(allowed).not.toContain("bpf");
    // The same filter, compiled once for crun.
    expect(Buffer.from(c.seccompBpf, "base64").equals(compileSeccomp(c.seccomp).bpf)).toBe(true);
  });

  it("fails when containers.conf is missing", () => {
    expect(() => loadConfinement({ containersConf: path.join(tmp, "none.conf") })).toThrow(
      /cannot read .*none\.conf \(ENOENT\).*golang-github-containers-common/,
    );
  });
});
