// A libvirtd of the test's own, so a test may stop and restart "the daemon" without touching the
// host's. A privileged libvirtd's state paths are fixed (/etc/libvirt, /run/libvirt,
// /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt): the daemon runs in its own mount
// namespace with a directory of this test bind-mounted over each of them, and its socket in a
// directory outside those mounts, reached as qemu+unix:///system?socket=…. The directories are on
// disk (not a tmpfs in the namespace), so a restarted daemon finds the status files of the guests
// the previous one started, exactly as the host's daemon would. QEMU logs through files
// (stdio_handler "file"): no virtlogd of ours, and the host's is not used. Stopping kills only
// PIDs this helper started (the daemon, and QEMU processes whose PID files are in its run dir).
import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { answers } from "../../../../test/backends";
import { waitFor } from "./support";

/** Host path → subdirectory of the private daemon's directory mounted over it. */
const MOUNTS: Record<string, string> = {
  "/etc/libvirt": "etc",
  "/run/libvirt": "run",
  "/var/lib/libvirt": "lib",
  "/var/cache/libvirt": "cache",
  "/var/log/libvirt": "log",
};

export interface PrivateLibvirtd {
  /** The URI that reaches this daemon (and only it). */
  readonly uri: string;
  /** The running daemon's PID (changes with each start). */
  pid(): number;
  /** Whether the daemon process is alive. */
  running(): boolean;
  /** SIGTERM, and waits until the process is gone (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** Starts it again on the same directories; resolves when it answers. */
  start(): Promise<void>;
  /** Stops the daemon, kills QEMU processes it left, removes every directory. Never throws. */
  dispose(): Promise<void>;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function startPrivateLibvirtd(): Promise<PrivateLibvirtd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-libvirtd-"));
  chmodSync(dir, 0o711);
  const sockDir = path.join(dir, "sock");
  for (const d of [...Object.values(MOUNTS), "sock"]) mkdirSync(path.join(dir, d), { mode: 0o755 });
  // The host's QEMU settings (QEMU's user, ownership, VNC address), plus what a private daemon
  // needs: no virtlogd, no cgroups of its own beside the host daemon's.
  const hostConf = existsSync("/etc/libvirt/qemu.conf") ? readFileSync("/etc/libvirt/qemu.conf", "utf8") : "";
  writeFileSync(path.join(dir, "etc", "qemu.conf"), `${hostConf}\nstdio_handler = "file"\ncgroup_controllers = [ ]\n`);
  const conf = path.join(dir, "etc", "libvirtd.conf");
  writeFileSync(
    conf,
    [
      `unix_sock_dir = "${sockDir}"`,
      `unix_sock_rw_perms = "0700"`,
      `auth_unix_rw = "none"`,
      `auth_unix_ro = "none"`,
      `log_outputs = "3:file:${path.join(dir, "libvirtd.log")}"`,
      "",
    ].join("\n"),
  );
  if (existsSync("/etc/libvirt/libvirt.conf"))
    copyFileSync("/etc/libvirt/libvirt.conf", path.join(dir, "etc", "libvirt.conf"));
  const pidFile = path.join(dir, "libvirtd.pid");
  const uri = `qemu+unix:///system?socket=${path.join(sockDir, "libvirt-sock")}`;

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    rmSync(path.join(sockDir, "libvirt-sock"), { force: true });
    const mounts = Object.entries(MOUNTS)
      .map(([host, sub]) => `mount --bind ${sh(path.join(dir, sub))} ${sh(host)}`)
      .join(" && ");
    // unshare and sh both exec: the child's PID is libvirtd's.
    const script = `${mounts} && exec libvirtd -f ${sh(conf)} -p ${sh(pidFile)}`;
    const p = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", script], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    p.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child = p;
    exited = new Promise((resolve) => p.once("exit", () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(
      () => {
        if (gone) throw new Error(`the private libvirtd exited: ${stderr.trim() || "(no output)"}`);
        return existsSync(path.join(sockDir, "libvirt-sock")) && answers("virsh", ["-c", uri, "version"]);
      },
      60_000,
      "the private libvirtd to answer",
    );
  };

  const running = () => child !== null && child.exitCode === null && child.signalCode === null;

  const stop = async () => {
    const p = child;
    if (!p || !running()) return;
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };

  const dispose = async () => {
    await stop().catch(() => undefined);
    // QEMU outlives its daemon: kill the ones this daemon started (their PID files are ours).
    const qemuRun = path.join(dir, "run", "qemu");
    for (const f of existsSync(qemuRun) ? readdirSync(qemuRun).filter((x) => x.endsWith(".pid")) : []) {
      const pid = Number(readFileSync(path.join(qemuRun, f), "utf8").trim());
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("qemu")) process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (e) {
    await dispose();
    throw e;
  }
  return { uri, pid: () => child?.pid ?? 0, running, stop, start, dispose };
}
