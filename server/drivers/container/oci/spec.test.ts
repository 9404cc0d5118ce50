// Unit tests for the OCI spec builder: confinement (capabilities, seccomp, nofile, sysctls, cgroup
// namespace), Docker's masked paths, limits, args/env/user resolution.
import { describe, expect, it } from "vitest";
import {
  buildExecProcess,
  buildSpec,
  DEFAULT_PIDS_LIMIT,
  INIT_PATH,
  MASKED_PATHS,
  mergeEnv,
  READONLY_PATHS,
  resolveArgs,
  resolveUser,
  type Confinement,
  type SpecInput,
} from "./spec";

const confinement: Confinement = {
  capabilities: ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"],
  seccomp: {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 38,
    architectures: ["SCMP_ARCH_X86_64"],
    syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }],
  },
  seccompBpf: "AAAA",
  nofile: { soft: 20000, hard: 20000 },
  sysctl: { "net.ipv4.ping_group_range": "0 0" },
};

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
  confinement,
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

  it("isolates pid, mount, uts, ipc, network and cgroup, joining the prepared netns", () => {
    const s = buildSpec(input());
    expect(s.linux.namespaces.map((n) => n.type)).toEqual(["pid", "mount", "uts", "ipc", "network", "cgroup"]);
    expect(s.linux.namespaces[4]).toEqual({ type: "network", path: "/run/netns/tandem-x" });
    expect(buildSpec(input({ netnsPath: null })).linux.namespaces[4]).toEqual({ type: "network" });
  });

  it("adds a user namespace with one mapping for uids and gids only when asked", () => {
    const s = buildSpec(input({ netnsPath: null, userns: { start: 1048576, size: 65536 } }));
    expect(s.linux.namespaces).toContainEqual({ type: "user" });
    expect(s.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1048576, size: 65536 }]);
    expect(s.linux.gidMappings).toEqual([{ containerID: 0, hostID: 1048576, size: 65536 }]);
    const plain = buildSpec(input());
    expect(plain.linux.namespaces.map((n) => n.type)).not.toContain("user");
    expect(plain.linux.uidMappings).toBeUndefined();
  });

  it("uses the confinement's capabilities and Docker's masked / read-only paths", () => {
    const s = buildSpec(input());
    for (const set of ["bounding", "effective", "permitted"] as const) {
      expect(s.process.capabilities[set]).toEqual(confinement.capabilities);
    }
    expect(s.process.capabilities.inheritable).toEqual([]);
    expect(s.process.capabilities.ambient).toEqual([]);
    expect(s.linux.maskedPaths).toEqual([...MASKED_PATHS]);
    expect(s.linux.readonlyPaths).toEqual([...READONLY_PATHS]);
    expect(s.mounts.find((m) => m.destination === "/sys")!.options).toContain("ro");
  });

  it("applies the confinement's seccomp filter, nofile limit and sysctls", () => {
    const s = buildSpec(input());
    expect(s.linux.seccomp).toEqual(confinement.seccomp);
    // crun loads the program compiled once instead of compiling the section again; a caller's
    // annotation cannot replace it.
    expect(s.annotations["run.oci.seccomp_bpf_data"]).toBe("AAAA");
    const forged = buildSpec(input({ annotations: { "run.oci.seccomp_bpf_data": "", "io.tandem.id": "x" } }));
    expect(forged.annotations).toEqual({ "io.tandem.id": "x", "run.oci.seccomp_bpf_data": "AAAA" });
    expect(s.process.rlimits).toEqual([{ type: "RLIMIT_NOFILE", soft: 20000, hard: 20000 }]);
    expect(s.linux.sysctl).toEqual({ "net.ipv4.ping_group_range": "0 0" });
    expect(buildSpec(input({ confinement: { ...confinement, sysctl: {} } })).linux.sysctl).toBeUndefined();
    // Exec'd processes inherit the same limits and capabilities.
    expect(buildExecProcess(s.process, ["ls"], { rows: 1, cols: 1 }).rlimits).toEqual(s.process.rlimits);
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
    // No limit asked for: Podman's default, never unlimited.
    expect(DEFAULT_PIDS_LIMIT).toBe(2048);
    expect(buildSpec(input({ pidsLimit: null })).linux.resources.pids).toEqual({ limit: 2048 });
    expect(buildSpec(input({ pidsLimit: undefined })).linux.resources.pids).toEqual({ limit: 2048 });
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
