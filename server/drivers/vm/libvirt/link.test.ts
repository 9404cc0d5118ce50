import { describe, expect, it, vi } from "vitest";
import type { Connection } from "../../../../native/libvirt/index";
import { LibvirtLink, type ConnectFn } from "./link";
import { silentLogger } from "../../../domain/logger";

/** A stand-in connection: alive until killed, records its close callback. */
function fakeConn() {
  let alive = true;
  const conn = {
    isAlive: () => alive,
    close: vi.fn(async () => {
      alive = false;
    }),
    onDomainEvent: vi.fn(async () => async () => undefined),
  };
  return { conn: conn as unknown as Connection, kill: () => (alive = false) };
}

describe("LibvirtLink", () => {
  it("connects once for concurrent callers, then reconnects with back-off after the daemon goes away", async () => {
    vi.useFakeTimers();
    try {
      const health: [boolean, string][] = [];
      let up = true;
      let closeCb: ((r: string) => void) | null = null;
      const made: ReturnType<typeof fakeConn>[] = [];
      const connect: ConnectFn = vi.fn(async (_uri, onClose) => {
        if (!up) throw new Error("Failed to connect socket");
        closeCb = onClose;
        const f = fakeConn();
        made.push(f);
        return f.conn;
      });
      const link = new LibvirtLink({
        uri: "qemu:///system",
        connect,
        logger: silentLogger,
        onDomainEvent: () => undefined,
        onHealth: (h, m) => health.push([h, m]),
        minDelayMs: 100,
        maxDelayMs: 400,
      });
      const [a, b] = await Promise.all([link.get(), link.get()]);
      expect(a).toBe(b);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(health).toEqual([[true, "connected to qemu:///system"]]);

      // libvirtd restarts: the close callback fires; it stays down for a while.
      up = false;
      made[0]!.kill();
      closeCb!("eof");
      expect(health.at(-1)?.[0]).toBe(false);
      expect(link.isHealthy).toBe(false);
      await expect(link.get()).rejects.toThrow(/Failed to connect/);
      const callsWhileDown = vi.mocked(connect).mock.calls.length;
      await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400);
      expect(vi.mocked(connect).mock.calls.length).toBeGreaterThan(callsWhileDown);

      up = true;
      await vi.advanceTimersByTimeAsync(400);
      expect(health.at(-1)).toEqual([true, "connected to qemu:///system"]);
      expect(health.filter(([h]) => h).length).toBe(2);
      expect(link.isHealthy).toBe(true);
      await link.close();
      await expect(link.get()).rejects.toThrow(/closed/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ignores close callbacks of a connection it already replaced", async () => {
    const cbs: ((r: string) => void)[] = [];
    const health: boolean[] = [];
    const link = new LibvirtLink({
      uri: "test:///default",
      connect: async (_u, onClose) => {
        cbs.push(onClose);
        return fakeConn().conn;
      },
      logger: silentLogger,
      onDomainEvent: () => undefined,
      onHealth: (h) => health.push(h),
    });
    await link.get();
    link.lost("rpc error");
    await link.get();
    cbs[0]!("eof"); // the old connection's late close must not drop the new one
    expect(health).toEqual([true, false, true]);
    expect(link.isHealthy).toBe(true);
    await link.close();
  });
});
