// Restart policies, exits, logs, events, images from the store and bad input against real
// conmon + crun.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverEvent } from "../../../domain/driver";
import { OciImageStore } from "../oci/image-store";
import { HAVE_BACKEND, makeEnv, waitForOutput, type TestEnv } from "./support";

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`condition not met in ${ms} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!HAVE_BACKEND)("container policies, logs and errors", () => {
  let env: TestEnv;

  beforeAll(() => {
    env = makeEnv();
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  it("restart policy `no`: a crash is reported as crashed and stays down", async () => {
    const g = await env.driver.create(env.spec({ command: ["sh", "-c", "echo bye; exit 3"] }), () => {});
    const d = await until(
      () => env.driver.details(g.id),
      (x) => x.guest.state === "crashed",
    );
    expect(d.record.lastExit).toMatchObject({ code: 3, byUser: false, oomKilled: false });
    expect(d.record.restartCount).toBe(0);
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("removes a paused container and rejects exec into it", async () => {
    const g = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    await env.driver.act(g.id, "pause");
    await expect(env.driver.exec(g.id, ["sh"], { rows: 24, cols: 80 })).rejects.toMatchObject({
      code: "INVALID_STATE",
    });
    await env.driver.remove(g.id, { purgeDisks: true });
    expect(await env.driver.list()).toEqual([]);
  });

  it("reports an init killed by the memory limit as crashed with oomKilled", async () => {
    const g = await env.driver.create(
      env.spec({ memoryMiB: 32, command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"] }),
      () => {},
    );
    const d = await until(
      () => env.driver.details(g.id),
      (x) => x.guest.state === "crashed",
    );
    expect(d.record.lastExit).toMatchObject({ code: 137, oomKilled: true });
    expect(d.oomKills).toBeGreaterThan(0);
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("restart policy `on-failure` restarts after a failure, not after success", async () => {
    const g = await env.driver.create(
      env.spec({
        restartPolicy: "on-failure",
        command: [
          "sh",
          "-c",
          "if [ -e /ok ]; then exit 0; fi; n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) > /n; [ $n -ge 2 ] && touch /ok; exit 1",
        ],
      }),
      () => {},
    );
    const d = await until(
      () => env.driver.details(g.id),
      (x) => x.guest.state === "stopped" && x.record.restartCount >= 3,
    );
    expect(d.record.restartCount).toBe(3);
    expect(d.record.lastExit?.code).toBe(0);
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("restart policy `always` restarts a clean exit, and a user stop ends it", async () => {
    const g = await env.driver.create(
      env.spec({ restartPolicy: "always", command: ["sh", "-c", "sleep 0.2; exit 0"] }),
      () => {},
    );
    await until(
      () => env.driver.details(g.id),
      (x) => x.record.restartCount >= 2,
    );
    await until(
      () => env.driver.get(g.id),
      (x) => x.state === "running",
    );
    await env.driver.act(g.id, "stop");
    const count = (await env.driver.details(g.id)).record.restartCount;
    await new Promise((r) => setTimeout(r, 600));
    const d = await env.driver.details(g.id);
    expect(d.guest.state).toBe("stopped");
    expect(d.record.restartCount).toBe(count);
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("emits events and streams logs with follow", async () => {
    const ac = new AbortController();
    const seen: DriverEvent[] = [];
    const consuming = (async () => {
      for await (const e of env.driver.events(ac.signal)) seen.push(e);
    })();
    const g = await env.driver.create(
      env.spec({ command: ["sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.1; done; sleep 30"] }),
      () => {},
    );
    const logs = await env.driver.logs(g.id, { follow: true, signal: ac.signal });
    const lines: string[] = [];
    for await (const l of logs) {
      lines.push(l.text.trim());
      if (lines.includes("line-3")) break;
    }
    expect(lines.filter((l) => l.startsWith("line-"))).toEqual(["line-1", "line-2", "line-3"]);
    await env.driver.remove(g.id, { purgeDisks: true });
    ac.abort();
    await consuming;
    expect(seen.some((e) => e.type === "changed" && e.id === g.id && e.state === "running")).toBe(true);
    expect(seen.some((e) => e.type === "removed" && e.id === g.id)).toBe(true);
  });

  it("runs an image from the store with its config (Env, WorkingDir) and no network", async () => {
    const store = new OciImageStore(env.dataDir);
    await store.init();
    const img = await store.importRootfs(env.rootfs, {
      ref: "bb:test",
      config: { config: { Env: ["FROM_IMAGE=yes"], WorkingDir: "/tmp", Cmd: ["sh"] } },
    });
    const g = await env.driver.create(
      env.spec({ command: undefined, network: "none", resolvedImage: store.resolved(img) }),
      () => {},
    );
    expect(g.ipAddresses).toEqual([]);
    const c = await env.driver.openConsole(g.id, { rows: 24, cols: 80 });
    c.write(Buffer.from('echo "$FROM_IMAGE $(pwd) $(ls /sys/class/net | tr "\\n" " ")"\n'));
    await waitForOutput(c, /yes \/tmp lo \r?\n/);
    c.close();
    await env.driver.remove(g.id, { purgeDisks: true });
  });

  it("refuses bad input with clear errors and leaves nothing behind", async () => {
    const d = env.driver;
    await expect(d.create(env.spec({ vcpus: 4096 }), () => {})).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
      message: expect.stringMatching(/exceeds this host's \d+ CPUs/),
    });
    await expect(d.create(env.spec({ memoryMiB: 4 * 1024 * 1024 }), () => {})).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
    });
    await expect(
      d.create(
        env.spec({
          resolvedImage: { id: "x", kind: "container", format: "oci", path: path.join(env.tmp, "nope"), meta: {} },
        }),
        () => {},
      ),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/neither an image/) });
    await expect(
      d.create(env.spec({ resolvedImage: { id: "x", kind: "vm", format: "qcow2", path: "/x", meta: {} } }), () => {}),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(d.create(env.spec({ workingDir: "relative" }), () => {})).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(d.create(env.spec({ hostname: "bad_host!" }), () => {})).rejects.toMatchObject({ code: "VALIDATION" });
    const a = await d.create(
      env.spec({ name: "dup", ports: [{ hostPort: 31999, guestPort: 80, protocol: "tcp" }] }),
      () => {},
    );
    await expect(d.create(env.spec({ name: "dup" }), () => {})).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      d.create(env.spec({ ports: [{ hostPort: 31999, guestPort: 81, protocol: "tcp" }] }), () => {}),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(d.get("local.container.00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(d.get("garbage")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(d.act(a.id, "resume")).rejects.toMatchObject({ code: "INVALID_STATE" });
    // A command that does not exist: tini fails, the container is reported crashed.
    const b = await d.create(env.spec({ command: ["/no/such/binary"] }), () => {});
    const bd = await until(
      () => d.details(b.id),
      (x) => x.guest.state === "crashed",
    );
    expect(bd.record.lastExit?.code).not.toBe(0);
    await d.remove(a.id, { purgeDisks: true });
    await d.remove(b.id, { purgeDisks: true });
    expect(await d.list()).toEqual([]);
  });
});
