// Restarting libvirtd under a running driver: the driver reports the outage, reconnects with
// back-off, and the guest (owned by QEMU, not libvirtd) is still there, running. Opt-in, because
// it restarts the host's daemon: TANDEM_TEST_RESTART_LIBVIRTD=1 (only where the test run owns it).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverEvent } from "../../../domain/driver";
import { haveBackend, makeEnv, waitFor, type VmTestEnv } from "./test/support";

const enabled = process.env.TANDEM_TEST_RESTART_LIBVIRTD === "1" && haveBackend();
const ROOT = path.resolve(import.meta.dirname, "../../../..");

describe.skipIf(!enabled)("LibvirtDriver across a libvirtd restart", () => {
  let env: VmTestEnv;
  const events: DriverEvent[] = [];
  const abort = new AbortController();

  beforeAll(async () => {
    env = await makeEnv();
    void (async () => {
      for await (const e of env.driver.events(abort.signal)) events.push(e);
    })();
  }, 240_000);

  afterAll(async () => {
    abort.abort();
    await env?.cleanup();
  }, 120_000);

  it("reports the outage, reconnects and still sees the running guest", async () => {
    const g = await env.driver.create(env.spec(), () => undefined);
    expect(g.state).toBe("running");
    await env.conn.close(); // the sweep reconnects on its own below

    const pid = Number(readFileSync("/run/libvirtd.pid", "utf8").trim());
    expect(readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("libvirtd");
    const t0 = performance.now();
    process.kill(pid, "SIGTERM");
    await waitFor(() => events.some((e) => e.type === "connection" && !e.healthy), 30_000, "an unhealthy event");
    expect((await env.driver.health()).healthy).toBe(false);
    const down = events.length;
    execFileSync("bash", [path.join(ROOT, "scripts/host/ensure-libvirt.sh")], { stdio: "ignore", timeout: 60_000 });
    await waitFor(
      () => events.slice(down).some((e) => e.type === "connection" && e.healthy),
      30_000,
      "a healthy event after the restart",
    );
    console.warn(`[measure] libvirtd restart → driver healthy again in ${(performance.now() - t0).toFixed(0)} ms`);
    const again = await env.driver.get(g.id);
    expect(again.state).toBe("running");
    expect((await env.driver.list()).filter((x) => x.id === g.id)).toHaveLength(1);

    // Events flow again on the new connection.
    const before = events.length;
    await env.driver.act(g.id, "pause");
    await waitFor(
      () => events.slice(before).some((e) => e.type === "changed" && e.id === g.id && e.state === "paused"),
      2000,
      "a paused event on the new connection",
    );
    await env.driver.act(g.id, "stop");
    await env.driver.remove(g.id, { purgeDisks: true });
  }, 240_000);
});
