// Unit tests for the OCI spec builder: Docker's defaults, limits, args/env/user resolution.
import { describe, expect, it } from "vitest";
import {
  buildExecProcess,
  buildSpec,
  DEFAULT_CAPABILITIES,
  INIT_PATH,
  MASKED_PATHS,
  mergeEnv,
  READONLY_PATHS,
  resolveArgs,
  resolveUser,
  type SpecInput,
} from "./spec";

const input = (o: Partial<SpecInput> = {}): SpecInput => ({
  image: { config: { Entrypoint: null, Cmd: ["/bin/sh"], Env: ["PATH=/bin", "A=1"], WorkingDir: "/srv" } },
  rootfs: "/data/c/rootfs",
  hostname: "web",
  vcpus: 1.5,
  memoryMiB: 256,
  pidsLimit: 100,
  tiniPath: "/usr/bin/tini-static",
  netnsPath: "/run/netns/tandem-x",
  cgroupsPath: "/tandem/x",
  etcFiles: { hostname: "/e/hostname", hosts: "/e/hosts", resolvConf: "/e/resolv.conf" },
  user: { uid: 0, gid: 0 },
  swapAccounting: false,
  ...o,
});

describe("buildSpec", () => {
  it("runs tini as PID 1 in front of the image command", () => {
    const s = buildSpec(input());
    expect(s.process.args).toEqual([INIT_PATH, "--", "/bin/sh"]);
    expect(s.mounts.find((m) => m.destination === INIT_PATH)).toMatchObject({
      source: "/usr/bin/tini-static",
      type: "bind",
    });
    expect(s.process.terminal).toBe(true);
  });

  it("isolates pid, mount, uts, ipc and network, joining the prepared netns", () => {
    const s = buildSpec(input());
    expect(s.linux.namespaces.map((n) => n.type)).toEqual(["pid", "mount", "uts", "ipc", "network"]);
    expect(s.linux.namespaces[4]).toEqual({ type: "network", path: "/run/netns/tandem-x" });
    expect(buildSpec(input({ netnsPath: null })).linux.namespaces[4]).toEqual({ type: "network" });
  });

  it("uses Docker's default capabilities and masked / read-only paths", () => {
    const s = buildSpec(input());
    expect(s.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES]);
    expect(s.process.capabilities.bounding).not.toContain("CAP_SYS_ADMIN");
    expect(s.process.capabilities.ambient).toEqual([]);
    expect(s.linux.maskedPaths).toEqual([...MASKED_PATHS]);
    expect(s.linux.readonlyPaths).toEqual([...READONLY_PATHS]);
    expect(s.mounts.find((m) => m.destination === "/sys")!.options).toContain("ro");
  });

  it("applies a seccomp deny-list that blocks new user namespaces and keyrings", () => {
    const sc = buildSpec(input()).linux.seccomp!;
    expect(sc.defaultAction).toBe("SCMP_ACT_ALLOW");
    expect(sc.syscalls[0]!.names).toEqual(expect.arrayContaining(["keyctl", "unshare", "userfaultfd", "bpf"]));
    expect(sc.syscalls.find((r) => r.names[0] === "clone")!.args![0]).toMatchObject({
      value: 0x10000000,
      op: "SCMP_CMP_MASKED_EQ",
    });
    expect(sc.syscalls.find((r) => r.names[0] === "clone3")!.errnoRet).toBe(38);
    expect(buildSpec(input({ seccomp: false })).linux.seccomp).toBeUndefined();
  });

  it("turns vcpus, memory and pids into cgroup limits", () => {
    const s = buildSpec(input());
    expect(s.linux.resources.cpu).toEqual({ quota: 150_000, period: 100_000 });
    expect(s.linux.resources.memory).toEqual({ limit: 256 * 1024 * 1024 });
    expect(s.linux.resources.pids).toEqual({ limit: 100 });
    expect(buildSpec(input({ swapAccounting: true })).linux.resources.memory).toEqual({
      limit: 268435456,
      swap: 268435456,
    });
    expect(buildSpec(input({ pidsLimit: null })).linux.resources.pids).toBeUndefined();
    expect(s.linux.cgroupsPath).toBe("/tandem/x");
    expect(s.linux.resources.devices[0]).toEqual({ allow: false, access: "rwm" });
  });

  it("takes the working dir and env from the image unless the user overrides them", () => {
    expect(buildSpec(input()).process.cwd).toBe("/srv");
    expect(buildSpec(input({ workingDir: "/tmp" })).process.cwd).toBe("/tmp");
    const env = buildSpec(input({ env: ["A=2", "B=3"] })).process.env;
    expect(env).toContain("A=2");
    expect(env).toContain("B=3");
    expect(env).toContain("PATH=/bin");
    expect(env).toContain("HOSTNAME=web");
    expect(env).toContain("TERM=xterm");
    expect(env.filter((e) => e.startsWith("A="))).toHaveLength(1);
  });

  it("bind-mounts hostname, hosts and resolv.conf read-only", () => {
    const m = buildSpec(input()).mounts.filter((x) => x.destination.startsWith("/etc/"));
    expect(m.map((x) => [x.destination, x.source, x.options.includes("ro")])).toEqual([
      ["/etc/hostname", "/e/hostname", true],
      ["/etc/hosts", "/e/hosts", true],
      ["/etc/resolv.conf", "/e/resolv.conf", true],
    ]);
  });
});

describe("args, env, user", () => {
  it("combines Entrypoint and Cmd like Docker", () => {
    expect(resolveArgs({ config: { Entrypoint: ["/e"], Cmd: ["a"] } })).toEqual(["/e", "a"]);
    expect(resolveArgs({ config: { Entrypoint: ["/e"], Cmd: ["a"] } }, ["b"])).toEqual(["/e", "b"]);
    expect(resolveArgs({ config: { Cmd: ["a"] } }, [])).toEqual(["a"]);
    expect(resolveArgs({})).toEqual(["/bin/sh"]);
  });

  it("merges env with later values winning", () => {
    expect(mergeEnv(["X=1", "bad"], ["X=2"], "h")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "X=2",
      "HOSTNAME=h",
      "TERM=xterm",
    ]);
  });

  it("resolves image users against passwd and group", () => {
    const passwd = "root:x:0:0::/root:/bin/sh\nwww:x:33:34::/var/www:/bin/false\n";
    const group = "root:x:0:\nstaff:x:50:\n";
    expect(resolveUser("", passwd, group)).toEqual({ uid: 0, gid: 0 });
    expect(resolveUser("www", passwd, group)).toEqual({ uid: 33, gid: 34 });
    expect(resolveUser("33", passwd, group)).toEqual({ uid: 33, gid: 34 });
    expect(resolveUser("1000:50", passwd, group)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveUser("www:staff", passwd, group)).toEqual({ uid: 33, gid: 50 });
    expect(() => resolveUser("nobody", passwd, group)).toThrow(/not in the image/);
    expect(() => resolveUser("www:nogroup", passwd, group)).toThrow(/group 'nogroup'/);
  });

  it("builds exec processes from the container's process", () => {
    const base = buildSpec(input()).process;
    const p = buildExecProcess(base, ["ls", "-l"], { rows: 10, cols: 20 });
    expect(p.args).toEqual(["ls", "-l"]);
    expect(p.consoleSize).toEqual({ height: 10, width: 20 });
    expect(p.capabilities).toEqual(base.capabilities);
  });
});
