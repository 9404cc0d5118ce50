// Unit tests for the seccomp converter (containers' format → OCI, as containers/common's
// setupSeccomp does), Tandem's refusals on top, validation of the file and the per-process cache.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  containerSeccomp,
  convertProfile,
  NO_NEW_USERNS,
  parseKernelVersion,
  PodmanProfile,
  readPodmanProfile,
  TANDEM_DENIED,
  withTandemDenials,
  type SeccompHost,
  type SeccompProfile,
} from "./seccomp";

const amd64: SeccompHost = { arch: "amd64", kernel: [6, 1] };

const profile = (syscalls: unknown[], extra: Record<string, unknown> = {}): PodmanProfile =>
  PodmanProfile.parse({
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 38,
    archMap: [
      { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
      { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
    ],
    syscalls,
    ...extra,
  });

const allow = (names: string[], more: Record<string, unknown> = {}) => ({
  names,
  action: "SCMP_ACT_ALLOW",
  args: [],
  comment: "",
  includes: {},
  excludes: {},
  ...more,
});

const names = (p: SeccompProfile) => p.syscalls.flatMap((r) => r.names);

describe("convertProfile", () => {
  it("takes the host arch and its sub-arches from archMap", () => {
    const p = profile([allow(["read"])]);
    expect(convertProfile(p, [], amd64).architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    expect(convertProfile(p, [], { arch: "arm64", kernel: [6, 1] }).architectures).toEqual([
      "SCMP_ARCH_AARCH64",
      "SCMP_ARCH_ARM",
    ]);
    // An arch containers/common has no archMap key for: none listed, libseccomp uses the native one.
    expect(convertProfile(p, [], { arch: "riscv64", kernel: [6, 1] }).architectures).toEqual([]);
    expect(() => convertProfile({ ...p, architectures: ["SCMP_ARCH_X86_64"] }, [], amd64)).toThrow(
      /both 'architectures' and 'archMap'/,
    );
  });

  it("keeps a rule only on the arches it includes and drops it on those it excludes", () => {
    const p = profile([
      allow(["arch_prctl"], { includes: { arches: ["amd64", "x32"] } }),
      allow(["set_tls"], { includes: { arches: ["arm", "arm64"] } }),
      allow(["only_not_s390"], { excludes: { arches: ["s390x"] } }),
    ]);
    expect(names(convertProfile(p, [], amd64))).toEqual(["arch_prctl", "only_not_s390"]);
    expect(names(convertProfile(p, [], { arch: "arm64", kernel: [6, 1] }))).toEqual(["set_tls", "only_not_s390"]);
    expect(names(convertProfile(p, [], { arch: "s390x", kernel: [6, 1] }))).toEqual([]);
  });

  it("gates rules on the container's capabilities", () => {
    const p = profile([
      allow(["bpf", "perf_event_open"], { includes: { caps: ["CAP_SYS_ADMIN"] } }),
      {
        ...allow(["bpf", "perf_event_open"], { excludes: { caps: ["CAP_SYS_ADMIN"] } }),
        action: "SCMP_ACT_ERRNO",
        errnoRet: 1,
      },
      allow(["both"], { includes: { caps: ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] } }),
    ]);
    const without = convertProfile(p, ["CAP_CHOWN"], amd64);
    expect(without.syscalls).toEqual([{ names: ["bpf", "perf_event_open"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }]);
    const withAdmin = convertProfile(p, ["CAP_SYS_ADMIN"], amd64);
    expect(withAdmin.syscalls).toEqual([{ names: ["bpf", "perf_event_open"], action: "SCMP_ACT_ALLOW" }]);
    // An include of several capabilities needs all of them.
    expect(names(convertProfile(p, ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"], amd64))).toContain("both");
  });

  it("keeps minKernel rules only on kernels at least that new (Docker's extension)", () => {
    const p = profile([
      allow(["new_call"], { includes: { minKernel: "5.6" } }),
      allow(["old_workaround"], { excludes: { minKernel: "5.6" } }),
    ]);
    expect(names(convertProfile(p, [], { arch: "amd64", kernel: [5, 6] }))).toEqual(["new_call"]);
    expect(names(convertProfile(p, [], { arch: "amd64", kernel: [6, 0] }))).toEqual(["new_call"]);
    expect(names(convertProfile(p, [], { arch: "amd64", kernel: [5, 5] }))).toEqual(["old_workaround"]);
    expect(names(convertProfile(p, [], { arch: "amd64", kernel: [4, 19] }))).toEqual(["old_workaround"]);
  });

  it("keeps names, action, errno and args and drops everything else", () => {
    const p = profile(
      [
        {
          ...allow(["personality"]),
          args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }],
          comment: "dropped",
        },
        { name: "single", action: "SCMP_ACT_ERRNO", errnoRet: 1, errno: "EINVAL", args: null },
        { names: ["numeric"], action: "SCMP_ACT_ERRNO", errno: "13" },
      ],
      { defaultErrno: "EPERM" },
    );
    const c = convertProfile(p, [], amd64);
    expect(c.defaultAction).toBe("SCMP_ACT_ERRNO");
    // As in containers/common's getErrno: a name in `errno` wins over the number in `errnoRet`.
    expect(c.defaultErrnoRet).toBe(1);
    expect(c.syscalls).toEqual([
      {
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ" }],
      },
      { names: ["single"], action: "SCMP_ACT_ERRNO", errnoRet: 22 },
      { names: ["numeric"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
    ]);
    expect(() => convertProfile(profile([{ ...allow(["x"]), errno: "ENOTANERRNO" }]), [], amd64)).toThrow(
      /unknown errno ENOTANERRNO/,
    );
    expect(() => convertProfile(profile([{ ...allow(["x"]), name: "y" }]), [], amd64)).toThrow(
      /both 'name' and 'names'/,
    );
  });
});

describe("PodmanProfile validation", () => {
  const ok = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [allow(["read"])] };
  it("accepts a minimal profile", () => expect(PodmanProfile.safeParse(ok).success).toBe(true));
  it.each([
    ["an action that needs a listener", { ...ok, syscalls: [{ ...allow(["read"]), action: "SCMP_ACT_NOTIFY" }] }],
    ["an unknown action", { ...ok, defaultAction: "SCMP_ACT_MAYBE" }],
    ["an unknown filter condition", { ...ok, syscalls: [allow(["read"], { includes: { maxKernel: "7.0" } })] }],
    ["an unknown rule field", { ...ok, syscalls: [{ ...allow(["read"]), when: "always" }] }],
    ["an unknown top-level field", { ...ok, listenerPath: "/run/x.sock" }],
    [
      "an argument value JSON cannot hold exactly",
      { ...ok, syscalls: [{ ...allow(["x"]), args: [{ index: 0, value: 2 ** 60, op: "SCMP_CMP_EQ" }] }] },
    ],
    [
      "an argument index past 5",
      { ...ok, syscalls: [{ ...allow(["x"]), args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }] },
    ],
    ["a syscall name with odd characters", { ...ok, syscalls: [allow(["read; rm"])] }],
    ["no syscalls", { defaultAction: "SCMP_ACT_ERRNO" }],
  ])("refuses %s", (_what, bad) => expect(PodmanProfile.safeParse(bad).success).toBe(false));
});

describe("withTandemDenials", () => {
  const base = convertProfile(
    profile([allow(["read", "keyctl", "clone", "clone3", "unshare", "io_uring_setup", "add_key"])]),
    [],
    amd64,
  );
  const p = withTandemDenials(base, "amd64");

  it("removes the refused calls from every allow and refuses them", () => {
    const allowed = p.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW" && !r.args).flatMap((r) => r.names);
    expect(allowed).toEqual(["read"]);
    for (const d of TANDEM_DENIED) {
      expect(p.syscalls).toContainEqual({ names: [...d.names], action: "SCMP_ACT_ERRNO", errnoRet: d.errnoRet });
    }
    const errnoOf = (n: string) =>
      p.syscalls.find((r) => r.names.includes(n) && r.action === "SCMP_ACT_ERRNO")!.errnoRet;
    expect(errnoOf("keyctl")).toBe(1);
    expect(errnoOf("request_key")).toBe(1);
    expect(errnoOf("io_uring_enter")).toBe(38);
    expect(errnoOf("clone3")).toBe(38);
  });

  it("allows clone and unshare only without CLONE_NEWUSER", () => {
    for (const name of NO_NEW_USERNS) {
      const rules = p.syscalls.filter((r) => r.names.includes(name));
      expect(rules).toEqual([
        {
          names: [name],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: 0x10000000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        },
        {
          names: [name],
          action: "SCMP_ACT_ERRNO",
          errnoRet: 1,
          args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: "SCMP_CMP_MASKED_EQ" }],
        },
      ]);
    }
    // clone's flags are its second argument on s390x.
    const s390 = withTandemDenials(base, "s390x");
    expect(s390.syscalls.find((r) => r.names[0] === "clone")!.args![0]!.index).toBe(1);
    expect(s390.syscalls.find((r) => r.names[0] === "unshare")!.args![0]!.index).toBe(0);
  });

  it("refuses a profile that already filters clone or unshare by argument", () => {
    const filtered = convertProfile(
      profile([
        { ...allow(["clone"]), args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }] },
      ]),
      [],
      amd64,
    );
    expect(() => withTandemDenials(filtered, "amd64")).toThrow(/clone .*not a plain allow/);
  });

  it("does not change the profile it is given", () => {
    expect(names(base)).toEqual(["read", "keyctl", "clone", "clone3", "unshare", "io_uring_setup", "add_key"]);
  });
});

describe("loading", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-seccomp-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("fails loudly when the file is missing or not a valid profile", () => {
    expect(() => readPodmanProfile(path.join(tmp, "absent.json"))).toThrow(
      /cannot read .*absent\.json \(ENOENT\).*golang-github-containers-common.*unconfined/,
    );
    writeFileSync(path.join(tmp, "bad.json"), "{");
    expect(() => readPodmanProfile(path.join(tmp, "bad.json"))).toThrow(/is not JSON/);
    writeFileSync(path.join(tmp, "wrong.json"), JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{}] }));
    expect(() => readPodmanProfile(path.join(tmp, "wrong.json"))).toThrow(/not valid at syscalls\.0\.action/);
  });

  it("converts once per file and capability set", () => {
    const file = path.join(tmp, "p.json");
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [allow(["read"]), allow(["chroot"], { includes: { caps: ["CAP_SYS_CHROOT"] } })],
      }),
    );
    const a = containerSeccomp(["CAP_SYS_CHROOT", "CAP_KILL"], amd64, file);
    rmSync(file); // a second conversion must not need the file again
    expect(containerSeccomp(["CAP_KILL", "CAP_SYS_CHROOT"], amd64, file)).toBe(a);
    const b = containerSeccomp(["CAP_KILL"], amd64, file);
    expect(b).not.toBe(a);
    expect(names(a)).toContain("chroot");
    expect(names(b)).not.toContain("chroot");
  });

  it("reads the kernel version from a release string", () => {
    expect(parseKernelVersion("6.1.0-13-amd64")).toEqual([6, 1]);
    expect(parseKernelVersion("6.18.44-fc-v1045")).toEqual([6, 18]);
    expect(() => parseKernelVersion("custom")).toThrow(/kernel version/);
  });
});
