// Attack: a container guest learns the host's cgroup layout. Without a cgroup namespace,
// /proc/self/cgroup shows each hierarchy's path from the host's root: Tandem's cgroup parent, the
// container's uuid (the id other containers are managed by) and, for hierarchies the runtime does
// not place the container in, the path of Tandem's own cgroup on the host.
//
// Before the fix (seen at 86ec50a, no cgroup namespace): every v1 line carried the host path,
// e.g. "8:pids:/tandem-test-9f2c21/b385d739-0b00-45b0-8104-5be1b13cf621".
// After the fix (a cgroup namespace, as Podman gives every container on cgroup v2 hosts): every
// hierarchy's path is "/", the container's own cgroup.
import { describe, expect, it } from "vitest";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { runIn, useAttackContainer } from "./container-probe";

describe.skipIf(!HAVE_BACKEND)("attack: a container reads the host's cgroup paths", () => {
  const c = useAttackContainer();

  it("sees only its own cgroup as the root of every hierarchy", async () => {
    const { out, rc } = await runIn(c.env(), c.guest().id, "cat /proc/self/cgroup");
    expect(rc).toBe(0);
    const lines = out.split("\n").filter((l) => /^\d+:[^:]*:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    const uuid = c.guest().id.split(".").at(-1)!;
    expect(out).not.toContain(uuid);
    expect(out).not.toContain(c.env().opts.cgroupParent!);
    for (const l of lines) expect(l.split(":").slice(2).join(":")).toBe("/");
  });
});
