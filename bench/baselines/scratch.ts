// Scratch space for the baseline tools: a private directory per tool, removed with everything
// mounted under it, and a process-exit hook so a crashed bench still stops what it started.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh directory the tools' unprivileged helpers can traverse (lxc checks x on each parent). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/** Unmounts whatever is still mounted under dir (deepest first), then removes it. */
export function removeTree(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " ") ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      // already gone with its parent
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Is this PID still alive (and not a zombie we could reap)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Runs `cleanup` once: when `release()` is called (normal end) or, failing that, when the bench
 * process exits or is interrupted. The cleanup must be synchronous (exit hooks cannot await).
 */
export function onExit(cleanup: () => void): () => void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    process.off("exit", once);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    once();
    process.kill(process.pid, sig);
  };
  process.on("exit", once);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return once;
}

/** Wall time of one CLI invocation, as the user who types it waits for it. */
export function timeCli(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const t = performance.now();
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: env ?? process.env, timeout: 120_000 });
  return performance.now() - t;
}

/** The demo busybox rootfs Tandem's own container benches use (data/images/demo). */
export function demoRootfs(demoDir: string): string {
  const m = JSON.parse(readFileSync(path.join(demoDir, "manifest.json"), "utf8")) as { container: { rootfs: string } };
  return path.join(demoDir, m.container.rootfs);
}
