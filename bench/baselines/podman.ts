// `podman run -d` / `podman rm -f` of the demo busybox, the way a user would, in private storage:
// its own --root/--runroot/--tmpdir under one scratch dir (the host's /var/lib/containers is never
// touched), cgroupfs and file events (no systemd here), no network (as Tandem's compared create),
// and crun through Tandem's hybrid-cgroup wrapper: Debian's crun 1.8 refuses this host's cgroup
// layout without it (docs: platform.md "Baselines for bench/"). Installed by scripts/bench-setup.sh.
import { execFileSync, execSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { prepareHostRuntime } from "../../server/drivers/container/oci/host";
import { demoRootfs, onExit, removeTree, scratchDir, timeCli } from "./scratch";

export interface Podman {
  /** `podman run -d` of the demo image with `sleep 1000`: ms until the command returns (running). */
  runDetached(name: string): number;
  /** `podman rm -f -t 0`: ms to kill and remove (no stop grace: busybox sleep as PID 1 ignores SIGTERM). */
  removeForce(name: string): number;
  version: string;
  close(): void;
}

/** A ready Podman, or why there is none (the row then reports the baseline as missing). */
export function startPodman(demoDir: string): Podman | { missing: string } {
  if (!existsSync("/usr/bin/podman")) return { missing: "podman not installed (scripts/bench-setup.sh)" };
  const dir = scratchDir("tandem-bench-podman-");
  const names = new Set<string>();
  const runtime = prepareHostRuntime({ dataDir: dir }).runtimeCommand;
  const base = [
    ...["--root", path.join(dir, "root"), "--runroot", path.join(dir, "runroot"), "--tmpdir", path.join(dir, "tmp")],
    ...["--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", runtime],
  ];
  const podman = (...args: string[]) => execFileSync("podman", [...base, ...args], { encoding: "utf8", stdio: "pipe" });
  const release = onExit(() => {
    for (const n of names) {
      try {
        podman("rm", "-f", "-t", "0", n);
      } catch {
        // removed already, or storage gone: the tree removal below still runs
      }
    }
    removeTree(dir);
  });
  try {
    const rootfs = demoRootfs(demoDir);
    execSync(`tar -C '${rootfs}' -c . | podman ${base.join(" ")} import - localhost/tandem-bench-bb:1`, {
      stdio: "ignore",
    });
    return {
      version: podman("--version").trim(),
      runDetached(name) {
        names.add(name);
        return timeCli("podman", [
          ...base,
          ...["run", "-d", "--network", "none", "--name", name],
          // the host's hard nofile limit is 20000; Podman's default asks for more
          ...["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"],
          ...["localhost/tandem-bench-bb:1", "sleep", "1000"],
        ]);
      },
      removeForce(name) {
        const ms = timeCli("podman", [...base, "rm", "-f", "-t", "0", name]);
        names.delete(name);
        return ms;
      },
      close: release,
    };
  } catch (err) {
    release();
    return { missing: `podman failed to set up: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` };
  }
}
