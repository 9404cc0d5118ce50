// Runs host tools (crun, ip, nft, mount, tar) as child processes: argv only, never a shell,
// with stderr captured for error messages and a hard timeout.
import { spawn } from "node:child_process";

export interface RunOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not errors. */
  okCodes?: number[];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(
      `${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")} failed (${code === null ? "killed" : `exit ${code}`}): ${stderr.trim() || "no output"}`,
    );
    this.name = "CommandError";
  }
}

export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("empty argv");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new CommandError(argv, null, e.message));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const res = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (code === 0 || (code !== null && opts.okCodes?.includes(code))) resolve(res);
      else reject(new CommandError(argv, code, res.stderr || res.stdout));
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
