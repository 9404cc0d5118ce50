// Attack: a container fills the host's disk. Its writable layer (overlay upper dir) lived on the
// data directory's file system with no limit, so a guest writing without end takes the space the
// database, the other guests and the host need. Tried from inside a real container (exec): write
// 2 GiB into a container created with `diskGiB: 1`, watching the data directory's free space.
// (dd is bounded by count so that the old code's run could not fill this shared machine.)
//
// Before the fix (seen at 2febe26): `dd ... count=2048` finished with status 0, the file was
// 2 GiB, and the data directory's free space dropped by 2 GiB while it ran (diskGiB ignored).
// After the fix: dd stops at "No space left on device" below 1 GiB, the free space on the host
// does not move (the 1 GiB image was allocated when the container was created), and the
// container keeps running.
import { statfsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { runIn, useAttackContainer } from "./container-probe";

const MiB = 1024 * 1024;
const free = (dir: string) => Number(statfsSync(dir).bavail) * Number(statfsSync(dir).bsize);

describe.skipIf(!HAVE_BACKEND)("attack: a container fills the host's disk", () => {
  const c = useAttackContainer({ spec: { diskGiB: 1 } });

  it("gets ENOSPC at its own limit and takes nothing more from the host", async () => {
    const before = free(c.env().dataDir);
    const r = await runIn(
      c.env(),
      c.guest().id,
      "dd if=/dev/zero of=/big bs=1M count=2048; echo dd=$?; ls -l /big",
      180_000,
    );
    const after = free(c.env().dataDir);
    const size = Number(/-rw\S*\s+\d+\s+\S+\s+\S+\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
    console.log(
      `dd wrote ${(size / MiB).toFixed(0)} MiB; host free space moved by ${((before - after) / MiB).toFixed(0)} MiB`,
    );
    expect(r.out).toMatch(/No space left on device/);
    expect(r.out).toMatch(/dd=1/);
    expect(size).toBeLessThan(1024 * MiB);
    // Other work on this shared machine writes too: a margin far below what dd wrote.
    expect(before - after).toBeLessThan(256 * MiB);
    expect((await c.env().driver.get(c.guest().id)).state).toBe("running");
  });
});
