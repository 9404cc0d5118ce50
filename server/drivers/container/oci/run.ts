// Runs host tools (crun, ip, nft, mount, tar) as child processes: argv only, never a shell,
// with stderr captured for error messages and a hard timeout; started by the tool helper
// (spawner.ts), not from Tandem's own process.
import { spawnThroughHelper } from "./spawner";

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

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("empty argv");
  const input =
    opts.input === undefined
      ? undefined
      : Buffer.from(typeof opts.input === "string" ? Buffer.from(opts.input) : opts.input).toString("base64");
  // Started by the helper: a spawn from Tandem's own process blocks its event loop (spawner.ts).
  const r = await spawnThroughHelper({ cmd, args, input, env: opts.env, timeoutMs: opts.timeoutMs ?? 60_000 });
  if ("error" in r) throw new CommandError(argv, null, r.error);
  const res = { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (r.code === 0 || (r.code !== null && opts.okCodes?.includes(r.code))) return res;
  throw new CommandError(argv, r.code, res.stderr || res.stdout);
}
