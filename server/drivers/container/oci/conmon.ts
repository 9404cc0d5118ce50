// Starts one conmon per container. conmon double-forks, so it outlives Tandem; it creates the
// container through the runtime, holds the PTY, writes the k8s-file log, the exit file and
// serves the attach socket. We learn the container's pid (or crun's error) on the sync pipe.
import type { ContainerPaths } from "./layout";
import { spawnWithSyncPipe } from "./spawner";

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

/**
 * Resolves with the container's init pid once `crun create` has succeeded under conmon. conmon
 * is started by the tool helper (spawner.ts): a fork of Tandem's own process blocked its event
 * loop for tens of ms on create's critical path.
 */
export async function launchConmon(l: ConmonLaunch): Promise<number> {
  const timeoutMs = l.timeoutMs ?? 30_000;
  const r = await spawnWithSyncPipe({
    cmd: l.conmonPath,
    args: conmonArgs(l),
    cwd: l.paths.dir,
    env: { ...process.env, _OCI_SYNCPIPE: "3" },
    timeoutMs,
  });
  if ("error" in r) throw new ConmonError(`cannot run conmon: ${r.error}`);
  if (r.timedOut) throw new ConmonError(`conmon did not report the container within ${timeoutMs} ms`);
  // One JSON object per message: {"data": pid} or {"data": -1, "message": "..."}.
  const m = /\{[^{}]*\}/.exec(r.sync);
  let msg: { data?: number; message?: string } | null = null;
  try {
    msg = m ? (JSON.parse(m[0]) as { data?: number; message?: string }) : null;
  } catch {
    msg = null;
  }
  if (msg && typeof msg.data === "number" && msg.data > 0) return msg.data;
  if (msg) throw new ConmonError(cleanRuntimeMessage(msg.message ?? r.stderr) || "container creation failed");
  throw new ConmonError(cleanRuntimeMessage(r.stderr) || "conmon exited without reporting the container");
}

/** crun's messages arrive wrapped ("... : exit status 1"); keep what a user can act on. */
export function cleanRuntimeMessage(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
