// Restarting libvirtd under a running driver: the driver reports the outage, reconnects with
// back-off, and the guest (owned by QEMU, not libvirtd) is still there, running, with events
// flowing on the new connection. The daemon restarted is a private one this test starts
// (test/private-libvirtd.ts: its own socket, run, state and config directories), so it runs in
// every `npm test` and the host's libvirtd is never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverEvent } from "../../../domain/driver";
import { startPrivateLibvirtd, type PrivateLibvirtd } from "./test/private-libvirtd";
import { haveBackend, makeEnv, waitFor, type VmTestEnv } from "./test/support";

describe.skipIf(!haveBackend())("LibvirtDriver across a libvirtd restart", () => {
  let daemon: PrivateLibvirtd | undefined;
  let env: VmTestEnv | undefined;
  const events: DriverEvent[] = [];
  const abort = new AbortController();

  beforeAll(async () => {
    daemon = await startPrivateLibvirtd();
    env = await makeEnv(daemon.uri);
    const driver = env.driver;
    void (async () => {
      for await (const e of driver.events(abort.signal)) events.push(e);
    })();
  }, 240_000);

  afterAll(async () => {
    abort.abort();
    // The guests go through the daemon that made them (up again if the test failed while it was
    // down); then the daemon, what QEMU it left, and its directories.
    if (daemon && !daemon.running()) await daemon.start().catch(() => undefined);
    await env?.cleanup().catch(() => undefined);
    await daemon?.dispose();
  }, 120_000);

  it("reports the outage, reconnects and still sees the running guest", async () => {
    const { driver } = env!;
    const g = await driver.create(env!.spec({ network: "none" }), () => undefined);
    expect(g.state).toBe("running");
    await env!.conn.close(); // the test's own connection: only the driver's must come back

    const oldPid = daemon!.pid();
    await daemon!.stop();
    await waitFor(() => events.some((e) => e.type === "connection" && !e.healthy), 60_000, "an unhealthy event");
    expect((await driver.health()).healthy).toBe(false);
    const down = events.length;
    await daemon!.start();
    expect(daemon!.pid()).not.toBe(oldPid);
    await waitFor(
      () => events.slice(down).some((e) => e.type === "connection" && e.healthy),
      60_000,
      "a healthy event after the restart",
    );
    expect((await driver.health()).healthy).toBe(true);
    const again = await driver.get(g.id);
    expect(again.state).toBe("running");
    expect((await driver.list()).filter((x) => x.id === g.id)).toHaveLength(1);

    // Events flow again on the new connection.
    const before = events.length;
    await driver.act(g.id, "pause");
    await waitFor(
      () => events.slice(before).some((e) => e.type === "changed" && e.id === g.id && e.state === "paused"),
      30_000,
      "a paused event on the new connection",
    );
    await driver.act(g.id, "stop");
    await driver.remove(g.id, { purgeDisks: true });
    expect((await driver.list()).some((x) => x.id === g.id)).toBe(false);
  }, 240_000);
});
