// Host tools (ip, nft, mount, mkfs, crun …) are started by a small helper process instead of by
// Tandem's own. spawn() blocks the event loop until the child has exec'd, and fork() first copies
// the parent's page tables and write-protects its memory (every page Tandem then writes takes a
// copy-on-write fault): the cost grows with the server's memory. Measured here (2 cores, load
// ~11): 8.6 ms per spawn() at 45 MiB, 28 ms at 246 MiB; a container create and delete spawn ~16
// tools, so ~0.4 s of a 190 MiB server's event loop went to fork alone. The helper is a bare
// `node -e` (nothing loaded: cheap to fork from), started on first use, unreferenced (it never
// keeps Tandem alive) and gone when Tandem's end of the IPC channel closes. Requests are
// answered by id; if the helper dies, what it was running fails (never re-run: a tool may have
// acted) and the next call starts a new one.
import { spawn, type ChildProcess } from "node:child_process";

export interface SpawnRequest {
  cmd: string;
  args: string[];
  /** base64 of stdin's bytes; absent: stdin is /dev/null. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export type SpawnReply = { code: number | null; stdout: string; stderr: string } | { error: string };

/**
 * conmon: started detached in `cwd` with a sync pipe as its fd 3; answered with what the pipe
 * carried up to its first complete JSON object (or its end) and conmon's stderr so far.
 */
export interface SyncSpawnRequest {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export type SyncSpawnReply = { sync: string; stderr: string; timedOut: boolean } | { error: string };

/** The helper's whole program (CommonJS, node's own modules only). */
const HELPER = `
const { spawn } = require("node:child_process");
process.on("disconnect", () => process.exit(0));
function withSyncPipe(m) {
  let done = false, sync = "", stderr = "", child;
  const reply = (r) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    child.stdio[3].destroy();
    child.stderr.destroy();
    child.unref();
    process.send({ id: m.id, ...r });
  };
  try {
    child = spawn(m.cmd, m.args, { cwd: m.cwd, detached: true, stdio: ["ignore", "ignore", "pipe", "pipe"], env: m.env });
  } catch (e) {
    return process.send({ id: m.id, error: String(e && e.message) });
  }
  const timer = setTimeout(() => reply({ sync, stderr, timedOut: true }), m.timeoutMs);
  child.stderr.on("data", (b) => (stderr += b.toString()));
  child.on("error", (e) => reply({ error: e.message }));
  child.stdio[3].on("data", (b) => {
    sync += b.toString();
    if (/\{[^{}]*\}/.test(sync)) reply({ sync, stderr, timedOut: false });
  });
  child.stdio[3].on("end", () => reply({ sync, stderr, timedOut: false }));
}
process.on("message", (m) => {
  if (m.syncPipe) return withSyncPipe(m);
  let done = false;
  const reply = (r) => { if (!done) { done = true; process.send({ id: m.id, ...r }); } };
  let child;
  try {
    child = spawn(m.cmd, m.args, { stdio: [m.input === undefined ? "ignore" : "pipe", "pipe", "pipe"], env: m.env ?? process.env });
  } catch (e) {
    return reply({ error: String(e && e.message) });
  }
  const out = [], err = [];
  child.stdout.on("data", (b) => out.push(b));
  child.stderr.on("data", (b) => err.push(b));
  const timer = setTimeout(() => child.kill("SIGKILL"), m.timeoutMs);
  child.on("error", (e) => { clearTimeout(timer); reply({ error: e.message }); });
  child.on("close", (code) => {
    clearTimeout(timer);
    reply({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
  });
  if (m.input !== undefined) { child.stdin.on("error", () => {}); child.stdin.end(Buffer.from(m.input, "base64")); }
});
`;

class Spawner {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: SpawnReply | SyncSpawnReply) => void>();

  request(req: SpawnRequest): Promise<SpawnReply>;
  request(req: SyncSpawnRequest & { syncPipe: true }): Promise<SyncSpawnReply>;
  request(req: object): Promise<unknown> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      // Referenced while something waits for an answer, so Tandem does not exit meanwhile.
      if (this.pending.size === 1) child.channel?.ref();
      child.send({ id, ...req }, (err) => {
        if (err) this.settle(id, { error: `the tool helper cannot be reached: ${err.message}` });
      });
    });
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.on("message", (m: { id: number } & (SpawnReply | SyncSpawnReply)) => this.settle(m.id, m));
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      for (const id of [...this.pending.keys()]) {
        this.settle(id, { error: `the tool helper exited (${signal ?? `exit ${code}`}) while the tool ran` });
      }
    });
    child.on("error", () => undefined); // reported through exit and the send callbacks
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }

  private settle(id: number, r: SpawnReply | SyncSpawnReply): void {
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.child?.channel?.unref();
    resolve(r);
  }
}

let spawner: Spawner | null = null;

/** Runs one tool through the helper; the reply says how it ended (or why it could not run). */
export function spawnThroughHelper(req: SpawnRequest): Promise<SpawnReply> {
  spawner ??= new Spawner();
  return spawner.request(req);
}

/** Starts conmon through the helper (see SyncSpawnRequest). */
export function spawnWithSyncPipe(req: SyncSpawnRequest): Promise<SyncSpawnReply> {
  spawner ??= new Spawner();
  return spawner.request({ ...req, syncPipe: true });
}
