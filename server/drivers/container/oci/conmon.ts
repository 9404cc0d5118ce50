// Starts one conmon per container. conmon double-forks, so it outlives Tandem; it creates the
// container through the runtime, holds the PTY, writes the k8s-file log, the exit file and
// serves the attach socket. We learn the container's pid (or crun's error) on the sync pipe.
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import type { ContainerPaths } from "./layout";

export interface ConmonLaunch {
  conmonPath: string;
  runtimeCommand: string;
  runtimeId: string;
  name: string;
  paths: ContainerPaths;
  exitDir: string;
  socketDir: string;
  logSizeMax?: number;
  timeoutMs?: number;
}

export class ConmonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConmonError";
  }
}

export function conmonArgs(l: ConmonLaunch): string[] {
  return [
    "--api-version",
    "1",
    "-c",
    l.runtimeId,
    "-u",
    l.runtimeId,
    "-n",
    l.name,
    "-r",
    l.runtimeCommand,
    "-b",
    l.paths.bundle,
    "-p",
    l.paths.pidFile,
    "-P",
    l.paths.conmonPidFile,
    "-l",
    `k8s-file:${l.paths.log}`,
    "--log-size-max",
    String(l.logSizeMax ?? 16 * 1024 * 1024),
    "--exit-dir",
    l.exitDir,
    "--socket-dir-path",
    l.socketDir,
    "-t",
    "-i",
    "--leave-stdin-open",
  ];
}

/** Resolves with the container's init pid once `crun create` has succeeded under conmon. */
export function launchConmon(l: ConmonLaunch): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(l.conmonPath, conmonArgs(l), {
      cwd: l.paths.dir,
      detached: true, // own session: a signal to Tandem's process group must not reach it
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      env: { ...process.env, _OCI_SYNCPIPE: "3" },
    });
    const sync = child.stdio[3] as Readable;
    let text = "";
    let stderr = "";
    let settled = false;
    const done = (err: Error | null, pid?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      child.stderr?.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    const timer = setTimeout(
      () => done(new ConmonError(`conmon did not report the container within ${l.timeoutMs ?? 30_000} ms`)),
      l.timeoutMs ?? 30_000,
    );
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", (e) => done(new ConmonError(`cannot run conmon: ${e.message}`)));
    sync.on("data", (b: Buffer) => {
      text += b.toString();
      // One JSON object per message: {"data": pid} or {"data": -1, "message": "..."}.
      const m = /\{[^{}]*\}/.exec(text);
      if (!m) return;
      let msg: { data?: number; message?: string };
      try {
        msg = JSON.parse(m[0]) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.data === "number" && msg.data > 0) done(null, msg.data);
      else done(new ConmonError(cleanRuntimeMessage(msg.message ?? stderr) || "container creation failed"));
    });
    sync.on("end", () => {
      if (!settled)
        done(new ConmonError(cleanRuntimeMessage(stderr) || "conmon exited without reporting the container"));
    });
  });
}

/** crun's messages arrive wrapped ("... : exit status 1"); keep what a user can act on. */
export function cleanRuntimeMessage(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
