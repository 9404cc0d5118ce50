// `incus launch` / `incus delete -f` of the demo busybox on a private Incus daemon the bench
// starts itself (docs: platform.md "Incus here"): its own INCUS_DIR (socket, database, storage,
// logs), a `dir` pool, no networks, an image made from Tandem's demo rootfs plus a busybox
// inittab that keeps `sleep` running. The daemon runs in an empty network namespace with its
// HTTP proxy pointed at a closed loopback port, so its start-up fetch of cloud instance types
// never leaves the machine. Stopped by PID and its directory removed at the end, even on failure.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { alive, demoRootfs, onExit, removeTree, scratchDir, timeCli } from "./scratch";

const INCUSD = "/usr/libexec/incus/incusd";

export interface Incus {
  /** `incus launch` of the demo image: ms until the command returns (the container running). */
  launch(name: string): number;
  /** `incus delete -f`: ms to stop and remove a running container. */
  deleteForce(name: string): number;
  version: string;
  close(): void;
}

const PRESEED = `config:
  images.auto_update_interval: "0"
storage_pools:
- name: default
  driver: dir
networks: []
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
`;

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** PIDs of processes that belong to this daemon's directory (lxc monitors, forkstart helpers). */
function pidsUnder(dir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function startIncus(demoDir: string): Incus | { missing: string } {
  if (!existsSync(INCUSD)) return { missing: "Incus not installed (scripts/bench-setup.sh)" };
  const dir = scratchDir("tandem-bench-incus-");
  const env = { ...process.env, INCUS_DIR: path.join(dir, "var") };
  const incus = (args: string[], input = "") =>
    execFileSync("incus", args, { env, input, encoding: "utf8", stdio: "pipe", timeout: 60_000 });
  mkdirSync(env.INCUS_DIR, { recursive: true });
  const daemon = spawn(
    "sh",
    [
      "-c",
      // The unit's nofile limit is refused here (hard limit 20000): take the hard limit.
      `ulimit -n "$(ulimit -Hn)"; exec unshare -n ${INCUSD} --group incus-admin --logfile '${dir}/incus.log'`,
    ],
    {
      env: { ...env, HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" },
      stdio: "ignore",
      detached: true,
    },
  );
  daemon.unref();
  const pid = daemon.pid!;
  const release = onExit(() => {
    try {
      if (alive(pid)) incus(["admin", "shutdown", "--timeout", "20"]);
    } catch {
      // not answering: killed below
    }
    for (let i = 0; i < 100 && alive(pid); i++) sleepSync(100);
    for (const p of [pid, ...pidsUnder(dir)]) {
      try {
        if (alive(p)) process.kill(p, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    removeTree(dir);
  });
  try {
    incus(["admin", "waitready", "--timeout", "30"]);
    incus(["admin", "init", "--preseed"], PRESEED);
    return finishSetup();
  } catch (err) {
    release();
    const msg = err instanceof Error ? err.message.split("\n").slice(0, 2).join(" ") : String(err);
    return { missing: `Incus failed to set up: ${msg}` };
  }

  function finishSetup(): Incus {
    // The image: metadata.yaml + rootfs/, busybox init respawning `sleep` as the container's work.
    const img = path.join(dir, "image");
    cpSync(demoRootfs(demoDir), path.join(img, "rootfs"), { recursive: true, verbatimSymlinks: true });
    writeFileSync(path.join(img, "rootfs/etc/inittab"), "::respawn:/bin/sleep 1000\n");
    writeFileSync(
      path.join(img, "metadata.yaml"),
      `architecture: x86_64\ncreation_date: ${Math.floor(Date.now() / 1000)}\nproperties:\n  os: busybox\n  description: Tandem demo busybox (bench baseline)\n`,
    );
    execFileSync("tar", ["-C", img, "-czf", path.join(dir, "image.tar.gz"), "metadata.yaml", "rootfs"]);
    incus(["image", "import", path.join(dir, "image.tar.gz"), "--alias", "tandem-bench-bb", "-q"]);
    return {
      version: incus(["--version"]).trim(),
      launch: (name) => timeCli("incus", ["launch", "tandem-bench-bb", name, "-q"], env),
      deleteForce: (name) => timeCli("incus", ["delete", "-f", name], env),
      close: release,
    };
  }
}
