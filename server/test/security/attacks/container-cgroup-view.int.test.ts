// Attack: a container guest learns the host's cgroup layout. Without a cgroup namespace,
// /proc/self/cgroup shows each hierarchy's path from the host's root: Tandem's cgroup parent, the
// container's uuid (the id other containers are managed by) and, for hierarchies the runtime does
// not place the container in, the path of Tandem's own cgroup on the host.
//
// Before the fix (seen at 86ec50a, no cgroup namespace): every v1 line carried the host path,
// e.g. "8:pids:/tandem-test-9f2c21/b385d739-0b00-45b0-8104-5be1b13cf621".
// After the fix (a cgroup namespace, as Podman gives every container on cgroup v2 hosts): every
// hierarchy's path is "/", the container's own cgroup.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import { HAVE_BACKEND, makeEnv, type TestEnv } from "../../../drivers/container/test/support";
import { runIn } from "./container-probe";

describe.skipIf(!HAVE_BACKEND)("attack: a container reads the host's cgroup paths", () => {
  let env: TestEnv;
  let g: DriverGuest;

  beforeAll(async () => {
    env = makeEnv();
    g = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
  });

  afterAll(async () => {
    if (g) await env.driver.remove(g.id, { purgeDisks: true });
    const leftovers = await env.cleanup();
    expect(leftovers).toEqual([]);
  });

  it("sees only its own cgroup as the root of every hierarchy", async () => {
    const { out, rc } = await runIn(env, g.id, "cat /proc/self/cgroup");
    expect(rc).toBe(0);
    const lines = out.split("\n").filter((l) => /^\d+:[^:]*:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    const uuid = g.id.split(".").at(-1)!;
    expect(out).not.toContain(uuid);
    expect(out).not.toContain(env.opts.cgroupParent!);
    for (const l of lines) expect(l.split(":").slice(2).join(":")).toBe("/");
  });
});
