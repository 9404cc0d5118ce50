// A shell on a guest's console over socket.io, for integration tests that run commands inside
// a guest through Tandem itself: a container's exec shell or a VM's serial console. `run` sends
// one command line and waits for a marker the shell prints after it (carrying the exit status),
// so a test reads the command's output and status without timing assumptions.
import { until, type TestSocket } from "./harness";

/** A shell on a guest's console (a container's exec shell or a VM's serial console) over socket.io. */
export class Shell {
  private text = "";
  private n = 0;
  /** Keeps markers unique across shells and runs (the console may replay history). */
  private readonly nonce = Math.random().toString(36).slice(2, 7);
  private constructor(
    private readonly socket: TestSocket,
    readonly consoleId: string,
  ) {}

  static async open(socket: TestSocket, guestId: string, mode: "serial" | "exec"): Promise<Shell> {
    const chunks = new Map<string, string>();
    const onData = (p: { consoleId: string; data: ArrayBuffer | Uint8Array }) =>
      chunks.set(p.consoleId, (chunks.get(p.consoleId) ?? "") + new TextDecoder().decode(p.data));
    socket.on("console:data", onData);
    const opened = await new Promise<{ ok: boolean; data?: { consoleId: string }; error?: unknown }>((r) =>
      (socket.emit as (...a: unknown[]) => void)("console:open", { guestId, mode, cols: 200, rows: 50 }, r),
    );
    if (!opened.ok) throw new Error(`console:open ${mode} on ${guestId}: ${JSON.stringify(opened.error)}`);
    const shell = new Shell(socket, opened.data!.consoleId);
    socket.off("console:data", onData);
    shell.text = chunks.get(shell.consoleId) ?? "";
    socket.on("console:data", (p) => {
      if (p.consoleId === shell.consoleId) shell.text += new TextDecoder().decode(p.data);
    });
    return shell;
  }

  /** Presses enter until the text matches (a VM's shell may have printed its banner before we came). */
  async waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    await until(
      () => {
        if (re.test(this.text)) return true;
        this.socket.emit("console:input", { consoleId: this.consoleId, data: "\r" });
        return false;
      },
      timeoutMs,
      1000,
    );
  }

  /** Runs a command line; its output (with the echoed command) and exit status. */
  async run(cmd: string, timeoutMs = 30_000): Promise<{ out: string; rc: number }> {
    const tag = `T${++this.n}${this.nonce}`;
    const from = this.text.length;
    // The marker's `42` exists only in the output: the echoed command line shows $((6*7)).
    this.socket.emit("console:input", { consoleId: this.consoleId, data: `${cmd}; echo "${tag}:rc=$?:$((6*7))"\r` });
    const re = new RegExp(`${tag}:rc=(\\d+):42`);
    await until(() => re.test(this.text.slice(from)), timeoutMs, 100);
    const seg = this.text.slice(from);
    const m = re.exec(seg)!;
    return { out: seg.slice(0, m.index), rc: Number(m[1]) };
  }
}
