// Shared set-up for the container driver's integration tests: a busybox root file system, a
// driver with its own bridge, subnet, nft table, cgroup parent and netns prefix (so nothing of the
// host or of a real Tandem is touched), and a teardown that proves nothing was left behind.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { GuestSpec } from "../../../domain/driver";
import { backend } from "../../../test/backends";
import { ContainerDriver, type ContainerDriverOptions } from "../oci/driver";
import { detectCgroupLayout } from "../oci/cgroups";

/** Root, crun, conmon and busybox; under TANDEM_TEST_STRICT=1 a missing one throws (backends.ts). */
export const HAVE_BACKEND = backend(
  "root, /usr/bin/crun, /usr/bin/conmon and busybox (scripts/host/packages.sh)",
  process.getuid?.() === 0 &&
    ["/usr/bin/crun", "/usr/bin/conmon"].every((p) => existsSync(p)) &&
    ["/usr/bin/busybox", "/bin/busybox"].some((p) => existsSync(p)),
);

/** A busybox rootfs: the demo-image script's output when present, else built here. */
export function busyboxRootfs(dir: string): string {
  const script = path.resolve(import.meta.dirname, "../../../../scripts/host/build-demo-images.sh");
  if (existsSync(script)) {
    try {
      execFileSync("bash", [script, dir], { stdio: "ignore", timeout: 120_000 });
      const r = path.join(dir, "container", "rootfs");
      if (existsSync(path.join(r, "bin"))) return r;
    } catch {
      // fall back to building one ourselves
    }
  }
  const root = path.join(dir, "rootfs");
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root"]) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  const bb = existsSync("/usr/bin/busybox") ? "/usr/bin/busybox" : "/bin/busybox";
  execFileSync("cp", [bb, path.join(root, "bin/busybox")]);
  execFileSync("chroot", [root, "/bin/busybox", "--install", "-s"]);
  execFileSync("sh", [
    "-c",
    `printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/:/bin/false\\n' > ${root}/etc/passwd`,
  ]);
  execFileSync("sh", ["-c", `printf 'root:x:0:\\nnogroup:x:65534:\\n' > ${root}/etc/group`]);
  if (!existsSync(path.join(root, "bin/sh"))) symlinkSync("busybox", path.join(root, "bin/sh"));
  return root;
}

export interface TestEnv {
  tmp: string;
  dataDir: string;
  rootfs: string;
  opts: ContainerDriverOptions;
  driver: ContainerDriver;
  newDriver(): ContainerDriver;
  spec(overrides?: Partial<GuestSpec>): GuestSpec;
  /** Removes every container and host object; returns what it had to clean that should not exist. */
  cleanup(): Promise<string[]>;
}

export function makeEnv(): TestEnv {
  const tag = randomBytes(3).toString("hex");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-ct-"));
  // The data-dir contract (0711): user-namespaced container roots traverse it to their rootfs.
  chmodSync(tmp, 0o711);
  const dataDir = path.join(tmp, "data");
  mkdirSync(dataDir, { mode: 0o711 });
  chmodSync(dataDir, 0o711);
  const rootfs = busyboxRootfs(tmp);
  const opts: ContainerDriverOptions = {
    hostId: "local",
    dataDir,
    subnet: `10.213.${parseInt(tag.slice(0, 2), 16)}.0/24`,
    bridge: `tdmt${tag}`,
    nftTable: `tandem_t${tag}`,
    cgroupParent: `tandem-test-${tag}`,
    netnsPrefix: `tdmt${tag}-`,
    shutdownTimeoutMs: 3000,
    // Each container preallocates its disk: keep tests and the bench (20 at once) small.
    containerDiskGiB: 1,
  };
  const drivers: ContainerDriver[] = [];
  const newDriver = () => {
    const d = new ContainerDriver(opts);
    drivers.push(d);
    return d;
  };
  const driver = newDriver();
  let n = 0;
  const spec = (o: Partial<GuestSpec> = {}): GuestSpec =>
    ({
      kind: "container",
      name: `t${tag}-${n++}`,
      image: "busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: ["sh"],
      resolvedImage: { id: "busybox", kind: "container", format: "oci", path: rootfs, meta: {} },
      ...o,
    }) as GuestSpec;
  const cleanup = async (): Promise<string[]> => {
    const leftovers: string[] = [];
    for (const x of drivers) await x.close().catch(() => undefined);
    // A fresh instance re-reads the data dir, so it also sees containers another process made.
    const d = new ContainerDriver(opts);
    try {
      for (const g of await d.list()) {
        leftovers.push(`container ${g.name}`);
        await d.remove(g.id, { purgeDisks: true }).catch(() => undefined);
      }
    } catch {
      // driver never got ready
    }
    await d.close().catch(() => undefined);
    const layout = detectCgroupLayout();
    const mounts = layout.mode === "v2" ? [layout.unified ?? "/sys/fs/cgroup"] : [...new Set(Object.values(layout.v1))];
    // Whatever still runs in this test's cgroups was started by this test: SIGKILL by pid.
    const walk = (dir: string): string[] =>
      existsSync(dir)
        ? [
            ...readdirSync(dir, { withFileTypes: true })
              .filter((e) => e.isDirectory())
              .flatMap((e) => walk(path.join(dir, e.name))),
            dir,
          ]
        : [];
    for (const m of mounts) {
      for (const dir of walk(path.join(m, opts.cgroupParent!))) {
        for (const pid of readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
          leftovers.push(`process ${pid}`);
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    }
    // crun state and conmons that belong to this test's directory.
    const crun = existsSync(path.join(dataDir, "bin/crun-hybrid")) ? path.join(dataDir, "bin/crun-hybrid") : "crun";
    for (const id of existsSync("/run/crun") ? readdirSync("/run/crun") : []) {
      let status = "";
      try {
        status = readFileSync(path.join("/run/crun", id, "status"), "utf8");
      } catch {
        continue;
      }
      if (!status.includes(tmp)) continue;
      leftovers.push(`crun ${id}`);
      try {
        execFileSync(crun, ["delete", "-f", id], { stdio: "ignore" });
      } catch {
        // reported above
      }
    }
    for (const pid of processesMentioning(tmp)) {
      if (pid === process.pid) continue;
      leftovers.push(`process ${pid}`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (existsSync(`/sys/class/net/${opts.bridge}`)) {
      for (const dev of readdirSync(`/sys/class/net/${opts.bridge}/brif`)) {
        leftovers.push(`veth ${dev}`);
        execFileSync("ip", ["link", "del", dev]);
      }
    }
    await d.network.destroy().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100)); // let the kernel reap what was killed
    for (const m of mounts) {
      const all = walk(path.join(m, opts.cgroupParent!));
      for (const dir of all) {
        if (dir !== path.join(m, opts.cgroupParent!)) leftovers.push(`cgroup ${dir}`);
        try {
          execFileSync("rmdir", [dir], { stdio: "ignore" });
        } catch {
          if (dir === path.join(m, opts.cgroupParent!)) leftovers.push(`cgroup ${dir}`);
        }
      }
    }
    for (const ns of existsSync("/run/netns") ? readdirSync("/run/netns") : []) {
      if (ns.startsWith(opts.netnsPrefix!)) {
        leftovers.push(`netns ${ns}`);
        execFileSync("ip", ["netns", "del", ns]);
      }
    }
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const mp = line.split(" ")[4];
      if (mp && mp.startsWith(tmp)) {
        leftovers.push(`mount ${mp}`);
        execFileSync("umount", ["-l", mp]);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
    return [...new Set(leftovers)];
  };
  return { tmp, dataDir, rootfs, opts, driver, newDriver, spec, cleanup };
}

/** Collects console output until `pattern` appears. */
export function waitForOutput(
  stream: { onData(l: (d: Uint8Array) => void): void },
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(text.slice(-500))}`)),
      timeoutMs,
    );
    stream.onData((d) => {
      text += Buffer.from(d).toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

export function processesMentioning(s: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(s)) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Runs `script` with /bin/sh in a running container through the driver's exec (a PTY) and
 * returns what it printed (CR LF turned into LF) and its exit status.
 */
export async function execScript(
  driver: ContainerDriver,
  id: string,
  script: string,
  timeoutMs = 30_000,
): Promise<{ out: string; rc: number }> {
  const end = /@@rc=(\d+)@@/;
  const x = await driver.exec(id, ["/bin/sh", "-c", `${script}; echo "@@rc=$?@@"`], { rows: 50, cols: 200 });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(buf.slice(-500))}`)), timeoutMs);
      x.onData((d) => {
        buf += Buffer.from(d).toString();
        if (end.test(buf)) {
          clearTimeout(timer);
          resolve(buf);
        }
      });
    });
    return { out: text.replace(end, "").replace(/\r\n/g, "\n"), rc: Number(end.exec(text)![1]) };
  } finally {
    x.close();
  }
}
