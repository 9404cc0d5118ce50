// The seccomp program Tandem compiles once (native/seccomp) is the one crun itself would build:
// a container is created by crun from the spec's `linux.seccomp` section alone (no annotation),
// and the program crun wrote to its state directory (<root>/<id>/seccomp.bpf, what `crun exec`
// loads) is compared byte for byte with the confinement's precompiled one. Also checks the host's
// real Podman profile as converted here: the arches, and what it refuses.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectCgroupLayout, cgroupDirs } from "../oci/cgroups";
import { hostConfinement } from "../oci/confinement";
import { NO_NEW_USERNS, TANDEM_DENIED } from "../oci/seccomp";
import { prepareHostRuntime } from "../oci/host";
import { buildSpec, SECCOMP_BPF_ANNOTATION } from "../oci/spec";
import { HAVE_BACKEND } from "./support";

describe.skipIf(!HAVE_BACKEND)("precompiled seccomp program", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-bpf-"));
  const id = `tandem-bpf-test-${process.pid}`;
  const parent = `tandem-bpf-test-${process.pid}`;
  let runtime = "";

  afterAll(() => {
    if (runtime) spawnSync(runtime, ["delete", "-f", id], { stdio: "ignore" });
    for (const dir of cgroupDirs(detectCgroupLayout(), `/${parent}`)) {
      try {
        rmdirSync(dir);
      } catch {
        // never made, or already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("is byte-identical to the one crun compiles from the spec's seccomp section", () => {
    const host = prepareHostRuntime({ dataDir: path.join(tmp, "data") });
    runtime = host.runtimeCommand;
    const bundle = path.join(tmp, "bundle");
    const etc = path.join(bundle, "etc");
    for (const d of ["rootfs", "etc"]) mkdirSync(path.join(bundle, d), { recursive: true });
    for (const f of ["hostname", "hosts", "resolv.conf"]) writeFileSync(path.join(etc, f), "");
    const confinement = hostConfinement();
    const spec = buildSpec({
      image: { config: { Cmd: ["/dev/init", "--version"] } },
      rootfs: path.join(bundle, "rootfs"),
      hostname: "bpf",
      vcpus: 1,
      memoryMiB: 32,
      tiniPath: host.tiniPath,
      netnsPath: null,
      cgroupsPath: `/${parent}/c`,
      etcFiles: { hostname: `${etc}/hostname`, hosts: `${etc}/hosts`, resolvConf: `${etc}/resolv.conf` },
      user: { uid: 0, gid: 0 },
      swapAccounting: false,
      confinement,
    });
    spec.process.terminal = false;
    expect(spec.annotations[SECCOMP_BPF_ANNOTATION]).toBe(confinement.seccompBpf);
    // crun must compile the section itself here.
    delete spec.annotations[SECCOMP_BPF_ANNOTATION];
    writeFileSync(path.join(bundle, "config.json"), JSON.stringify(spec));
    // A file, not a pipe: the created container keeps its stdio open.
    const errFile = path.join(tmp, "crun.err");
    const r = spawnSync(runtime, ["create", "--bundle", bundle, id], {
      stdio: ["ignore", "ignore", openSync(errFile, "w")],
    });
    expect(r.status, readFileSync(errFile, "utf8")).toBe(0);
    const fromCrun = readFileSync(path.join("/run/crun", id, "seccomp.bpf"));
    expect(fromCrun.length).toBeGreaterThan(0);
    expect(fromCrun.equals(Buffer.from(confinement.seccompBpf, "base64"))).toBe(true);
  });

  it("converts this host's Podman profile for its arch and refuses what Tandem refuses", () => {
    const { seccomp, capabilities } = hostConfinement();
    expect(seccomp.defaultAction).toBe("SCMP_ACT_ERRNO");
    if (process.arch === "x64")
      expect(seccomp.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    if (process.arch === "arm64") expect(seccomp.architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
    expect(capabilities).not.toContain("CAP_NET_RAW");
    expect(capabilities).not.toContain("CAP_SYS_ADMIN");
    const plainAllow = seccomp.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW" && !r.args).flatMap((r) => r.names);
    expect(plainAllow).toContain("read");
    // Gated on CAP_SYS_ADMIN / CAP_SYS_MODULE in the profile, refused without them.
    for (const n of [
      "bpf",
      "perf_event_open",
      "init_module",
      "keyctl",
      "io_uring_setup",
      "clone3",
      "unshare",
      "clone",
    ]) {
      expect(plainAllow).not.toContain(n);
    }
    // libseccomp keeps the first rule it is given for a call (a later one with another action is
    // dropped silently): each call Tandem refuses must appear in Tandem's rules only.
    const refused = [...TANDEM_DENIED.flatMap((d) => d.names), ...NO_NEW_USERNS];
    const tail = seccomp.syscalls.slice(-(TANDEM_DENIED.length + 2 * NO_NEW_USERNS.length));
    for (const r of seccomp.syscalls.slice(0, -tail.length)) {
      expect(r.names.filter((n) => refused.includes(n))).toEqual([]);
    }
    expect(tail.flatMap((r) => r.names).sort()).toEqual([...refused, ...NO_NEW_USERNS].sort());
  });
});
