// Restart policies (`no`, `on-failure`, `always`) as a pure decision plus Docker-like backoff.
export type RestartPolicy = "no" | "on-failure" | "always";

export function shouldRestart(policy: RestartPolicy, exitCode: number, stoppedByUser: boolean): boolean {
  if (stoppedByUser) return false;
  if (policy === "always") return true;
  if (policy === "on-failure") return exitCode !== 0;
  return false;
}

/** 100 ms doubling per consecutive restart, capped at 30 s. */
export function restartDelayMs(restartCount: number): number {
  return Math.min(30_000, 100 * 2 ** Math.min(restartCount, 15));
}
