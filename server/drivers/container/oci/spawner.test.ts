// The tool helper as run() uses it: exit codes, stdin, stderr in errors, the timeout, a missing
// program, and the sync-pipe launch conmon uses (a shell stands in for conmon).
import { describe, expect, it } from "vitest";
import { CommandError, run } from "./run";
import { spawnWithSyncPipe } from "./spawner";

describe("tools run through the helper process", () => {
  it("returns stdout, feeds stdin and accepts listed exit codes", async () => {
    expect((await run(["cat"], { input: "hello\n" })).stdout).toBe("hello\n");
    expect((await run(["sh", "-c", "exit 3"], { okCodes: [3] })).code).toBe(3);
  });

  it("rejects with the tool's stderr, a missing program and a timeout", async () => {
    await expect(run(["sh", "-c", "echo broken >&2; exit 2"])).rejects.toThrow(/exit 2\): broken/);
    await expect(run(["/nonexistent/tool"])).rejects.toBeInstanceOf(CommandError);
    await expect(run(["sleep", "5"], { timeoutMs: 100 })).rejects.toThrow(/killed/);
  });

  it("relays a sync pipe's first JSON object, or its end with stderr", async () => {
    const ok = await spawnWithSyncPipe({
      cmd: "sh",
      args: ["-c", "printf '{\"data\": 42}' >&3"],
      cwd: "/",
      env: process.env,
      timeoutMs: 5000,
    });
    expect(ok).toMatchObject({ sync: '{"data": 42}', timedOut: false });
    const failed = await spawnWithSyncPipe({
      cmd: "sh",
      // stderr is written and closed well before the sync pipe ends (two pipes: no ordering).
      args: ["-c", "echo no runtime >&2; exec 2>&-; sleep 0.2; exec 3>&-"],
      cwd: "/",
      env: process.env,
      timeoutMs: 5000,
    });
    expect(failed).toMatchObject({ sync: "", timedOut: false });
    expect("stderr" in failed && failed.stderr).toContain("no runtime");
  });
});
