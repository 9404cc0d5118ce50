// A running container's terminals and output: its main console (conmon's attach socket and ctl
// fifo), a second console per exec (`crun exec` on a new PTY, handed over a unix socket) and
// conmon's log file.
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GuestState } from "../../../contract/guest";
import type { ConsoleStream, LogLine, TermSize } from "../../../domain/driver";
import { AppError, invalidState } from "../../../domain/errors";
import { listenForFd } from "../../../../native/conmon/index";
import { AttachConsole, PtyConsole, writeCtl } from "./console";
import type { ContainerPaths } from "./layout";
import { readLogs } from "./logs";
import type { Runtime } from "./runtime";
import { buildExecProcess, type OciSpec } from "./spec";

export function openMainConsole(paths: ContainerPaths, state: GuestState, size: TermSize): ConsoleStream {
  if (state !== "running" && state !== "paused")
    throw invalidState(`cannot open the console of a container that is ${state}`);
  let stream: AttachConsole;
  try {
    stream = new AttachConsole(paths.attach, paths.ctl);
  } catch (e) {
    throw new AppError(
      "BACKEND_UNAVAILABLE",
      `cannot attach to the container console: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  stream.resize(size);
  return stream;
}

/** Throws VALIDATION unless cmd is a non-empty list of strings without NUL. */
export function checkExecCommand(cmd: unknown): asserts cmd is string[] {
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((c) => typeof c !== "string" || c.includes("\0"))) {
    throw new AppError("VALIDATION", "exec needs a command: a non-empty list of strings");
  }
}

/** Runs cmd in the running container on a new PTY (a second console). */
export async function execConsole(
  runtime: Runtime,
  runtimeId: string,
  paths: ContainerPaths,
  cmd: string[],
  size: TermSize,
): Promise<ConsoleStream> {
  const base = (JSON.parse(readFileSync(paths.config, "utf8")) as OciSpec).process;
  const tag = randomUUID().slice(0, 8);
  const processFile = path.join(paths.dir, `exec-${tag}.json`);
  const sock = path.join(paths.dir, `exec-${tag}.sock`);
  const pidFile = path.join(paths.dir, `exec-${tag}.pid`);
  const cleanup = () => {
    for (const f of [processFile, sock, pidFile]) rmSync(f, { force: true });
  };
  writeFileSync(processFile, JSON.stringify(buildExecProcess(base, cmd, size)));
  const listener = listenForFd(sock);
  try {
    const received = listener.receive(15_000);
    received.catch(() => undefined);
    await runtime.execDetached(runtimeId, processFile, sock, pidFile);
    const fd = await received;
    const stream = new PtyConsole(fd, cleanup);
    stream.resize(size);
    return stream;
  } catch (e) {
    cleanup();
    throw new AppError("INTERNAL", `exec failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    listener.close();
  }
}

/** conmon's log, followed while the container exists when `follow` is set. */
export function containerLogs(
  paths: ContainerPaths,
  opts: { follow?: boolean; signal?: AbortSignal },
  exists: () => boolean,
): AsyncIterable<LogLine> {
  return readLogs(paths.log, { ...opts, isAlive: exists });
}

/** Resizes the main console without an open stream (e.g. from a REST call). */
export function resizeMainConsole(paths: ContainerPaths, size: TermSize): void {
  writeCtl(paths.ctl, size);
}
