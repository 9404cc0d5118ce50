// Attack: a fork bomb inside a container takes the host. Without a pids limit every process the
// container makes counts against the host's kernel.pid_max (32768 here) and threads-max: once
// they are used up, nothing on the host can fork (not sshd, not Tandem, not the admin's shell).
//
// The bomb here is bounded at 4096 processes (twice Podman's default limit) so that the run
// against the old code could not take the machine it shares with other work.
// Before the fix (seen at 86ec50a, no pids limit unless the user set one): "forked=4096
// stop=limit-not-reached pids.max=max pids.current=4099": an unbounded bomb would have gone on to
// the host's pid_max.
// After the fix (Podman's default pids limit, 2048, when the user sets none): "forked=2045
// stop=EAGAIN pids.max=2048 pids.current=2048" inside the container, the host forks as usual, and removing the
// container leaves none of its processes or cgroups behind.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConsoleStream } from "../../../domain/driver";
import { detectCgroupLayout } from "../../../drivers/container/oci/cgroups";
import { HAVE_BACKEND, waitForOutput } from "../../../drivers/container/test/support";
import { PROBE, useAttackContainer } from "./container-probe";

const BOMB = 4096;

describe.skipIf(!HAVE_BACKEND)("attack: a fork bomb inside a container", () => {
  // Memory well above what 4096 idle processes take, so the pids limit is what stops them.
  const c = useAttackContainer({ probe: true, spec: { memoryMiB: 1024 } });
  let bomb: ConsoleStream | null = null;
  const pidsDir = () => {
    const layout = detectCgroupLayout();
    const rel = path.join(c.env().opts.cgroupParent!, c.guest().id.split(".").at(-1)!);
    return path.join(layout.mode === "v2" ? (layout.unified ?? "/sys/fs/cgroup") : layout.v1.pids!, rel);
  };

  // Runs before the container is removed (after-hooks run in reverse order).
  afterAll(() => bomb?.close());

  it("stops at the container's pids limit while the host keeps forking", async () => {
    bomb = await c.env().driver.exec(c.guest().id, [PROBE, `fork=${BOMB}`], { rows: 24, cols: 120 });
    const out = await waitForOutput(bomb, /forked=\d+ stop=\S+/, 60_000);
    const [, forked, stop] = /forked=(\d+) stop=(\S+)/.exec(out)!;
    const max = readFileSync(path.join(pidsDir(), "pids.max"), "utf8").trim();
    const current = Number(readFileSync(path.join(pidsDir(), "pids.current"), "utf8"));
    console.log(`fork bomb: forked=${forked} stop=${stop} pids.max=${max} pids.current=${current}`);
    expect(max).toBe("2048");
    expect(stop).toBe("EAGAIN");
    expect(Number(forked)).toBeLessThan(2048);
    expect(current).toBe(2048);
    // The container sits at its limit; the host is not affected.
    expect(execFileSync("sh", ["-c", "echo spawned-$$"]).toString()).toMatch(/^spawned-\d+/);
  });

  it("removing the container ends every process of the bomb", async () => {
    const dir = pidsDir();
    await c.env().driver.remove(c.guest().id, { purgeDisks: true });
    expect(existsSync(dir)).toBe(false);
    bomb?.close();
    bomb = null;
  });
});
