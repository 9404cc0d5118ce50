// What the driver remembers instead of reading it again, against real conmon + crun. The guest
// list answers from what was last seen of each container: a pause, an init killed under a live
// conmon (exit file) and an init killed together with its conmon (no exit file: the watchdog)
// each show in list(), not only in get(). The metrics sample keeps the cgroup limits it read:
// a live resize shows in the next sample.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import { HAVE_BACKEND, makeEnv, type TestEnv } from "./support";

async function listedUntil(env: TestEnv, id: string, ok: (g: DriverGuest | undefined) => boolean): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const g = (await env.driver.list()).find((x) => x.id === id);
    if (ok(g)) return;
    if (Date.now() - t0 > 15_000) throw new Error(`list() still shows ${JSON.stringify(g?.state)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pidIn = (file: string) => Number(readFileSync(file, "utf8").trim());

describe.skipIf(!HAVE_BACKEND)("container list state (conmon + crun)", () => {
  let env: TestEnv;

  beforeAll(() => {
    env = makeEnv();
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  it("lists a pause and a resume", async () => {
    const g = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    expect((await env.driver.list()).find((x) => x.id === g.id)?.state).toBe("running");
    await env.driver.act(g.id, "pause");
    expect((await env.driver.list()).find((x) => x.id === g.id)?.state).toBe("paused");
    await env.driver.act(g.id, "resume");
    expect((await env.driver.list()).find((x) => x.id === g.id)?.state).toBe("running");
    await env.driver.remove(g.id, { purgeDisks: true });
    expect((await env.driver.list()).find((x) => x.id === g.id)).toBeUndefined();
  });

  it("samples the new limits after a live resize", async () => {
    const g = await env.driver.create(env.spec({ command: ["sleep", "1000"], vcpus: 1, memoryMiB: 64 }), () => {});
    const [a] = await env.driver.sample([g.id]);
    expect(a).toMatchObject({ cpuCount: 1, memoryLimitBytes: 64 * 2 ** 20 });
    await env.driver.resize(g.id, { vcpus: 0.5, memoryMiB: 96 });
    const [b] = await env.driver.sample([g.id]);
    expect(b).toMatchObject({ cpuCount: 0.5, memoryLimitBytes: 96 * 2 ** 20 });
    // Sampled in chunks: a container past the first chunks is still sampled (unknown ids are skipped).
    const far = await env.driver.sample([...Array.from({ length: 200 }, (_, i) => `nope-${i}`), g.id]);
    expect(far.map((x) => x.id)).toEqual([g.id]);
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("lists an init killed under a live conmon as crashed", async () => {
    const g = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    expect((await env.driver.list()).find((x) => x.id === g.id)?.state).toBe("running");
    const d = await env.driver.details(g.id);
    process.kill(d.pid!, "SIGKILL");
    await listedUntil(env, g.id, (x) => x?.state === "crashed");
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("lists an init killed together with its conmon as not running (no exit file: the watchdog)", async () => {
    const g = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    expect((await env.driver.list()).find((x) => x.id === g.id)?.state).toBe("running");
    const dir = env.driver.debugPaths(g.id).dir;
    const conmon = pidIn(path.join(dir, "conmon.pid"));
    const init = (await env.driver.details(g.id)).pid!;
    process.kill(conmon, "SIGKILL");
    process.kill(init, "SIGKILL");
    await listedUntil(env, g.id, (x) => x !== undefined && x.state !== "running");
    expect((await env.driver.get(g.id)).state).not.toBe("running");
    await env.driver.remove(g.id, { purgeDisks: true });
  });
});
