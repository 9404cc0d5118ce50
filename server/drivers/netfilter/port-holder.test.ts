// The port holder with real sockets on this host: a held port cannot be bound by anyone else,
// a port in use cannot be held, and the relay carries TCP (half-closes included) and UDP to the
// target — here an echo server on 127.0.0.1 standing in for a container.
import dgram from "node:dgram";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support";
import { PortHolder } from "./port-holder";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** TCP echo that answers "echo:<what it read>" once the client has finished sending. */
async function tcpEcho(): Promise<number> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    let got = "";
    c.on("data", (d) => (got += d.toString()));
    c.on("end", () => c.end(`echo:${got}`));
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => s.close());
  return (s.address() as net.AddressInfo).port;
}

function tcpAsk(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port, allowHalfOpen: true }, () => c.end(text));
    let got = "";
    c.on("data", (d) => (got += d.toString()));
    c.on("close", () => resolve(got));
    c.on("error", reject);
  });
}

function bindTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    s.listen(port, host, () => s.close(() => resolve("bound")));
  });
}

describe("PortHolder", () => {
  it("holds a TCP port on every address and relays to the target, half-closes included", async () => {
    const holder = new PortHolder();
    cleanups.push(() => holder.closeAll());
    const [port, echo] = [await freePort({ anyAddress: true }), await tcpEcho()];
    await holder.hold({ protocol: "tcp", hostPort: port, guestPort: echo, ip: "127.0.0.1" });
    expect(holder.isHeld({ protocol: "tcp", hostPort: port })).toBe(true);
    expect(await bindTcp("127.0.0.1", port)).toBe("EADDRINUSE");
    expect(await bindTcp("0.0.0.0", port)).toBe("EADDRINUSE");
    // The client only half-closes; the echo answers after its end: both directions pass.
    expect(await tcpAsk("127.0.0.1", port, "hello")).toBe("echo:hello");
    expect(await tcpAsk("::1", port, "over-v6")).toBe("echo:over-v6");
    holder.release({ protocol: "tcp", hostPort: port });
    expect(await bindTcp("127.0.0.1", port)).toBe("bound");
  });

  it("refuses a port something else listens on, with EADDRINUSE", async () => {
    const holder = new PortHolder();
    cleanups.push(() => holder.closeAll());
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => other.close());
    const port = (other.address() as net.AddressInfo).port;
    await expect(holder.hold({ protocol: "tcp", hostPort: port, guestPort: 1, ip: null })).rejects.toMatchObject({
      code: "EADDRINUSE",
    });
    await expect(holder.probe({ protocol: "tcp", hostPort: port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(holder.isHeld({ protocol: "tcp", hostPort: port })).toBe(false);
  });

  it("closes relayed clients while the target has no address yet", async () => {
    const holder = new PortHolder();
    cleanups.push(() => holder.closeAll());
    const port = await freePort({ anyAddress: true });
    await holder.hold({ protocol: "tcp", hostPort: port, guestPort: 80, ip: null });
    expect(await tcpAsk("127.0.0.1", port, "anyone?")).toBe("");
  });

  it("syncs to a list: releases what is gone, holds what is new, re-targets, reports failures", async () => {
    const holder = new PortHolder();
    cleanups.push(() => holder.closeAll());
    const [a, b, echo1, echo2] = [
      await freePort({ anyAddress: true }),
      await freePort({ anyAddress: true }),
      await tcpEcho(),
      await tcpEcho(),
    ];
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => busy.close());
    const taken = (busy.address() as net.AddressInfo).port;
    let failed = await holder.sync([
      { protocol: "tcp", hostPort: a, guestPort: echo1, ip: "127.0.0.1" },
      { protocol: "tcp", hostPort: taken, guestPort: 1, ip: "127.0.0.1" },
    ]);
    expect(failed.map((f) => [f.port.hostPort, f.error.code])).toEqual([[taken, "EADDRINUSE"]]);
    expect(await tcpAsk("127.0.0.1", a, "x")).toBe("echo:x");
    failed = await holder.sync([
      { protocol: "tcp", hostPort: a, guestPort: echo2, ip: "127.0.0.1" },
      { protocol: "tcp", hostPort: b, guestPort: echo1, ip: "127.0.0.1" },
    ]);
    expect(failed).toEqual([]);
    expect(await tcpAsk("127.0.0.1", b, "y")).toBe("echo:y");
    await holder.sync([]);
    expect(await bindTcp("0.0.0.0", a)).toBe("bound");
    expect(await bindTcp("0.0.0.0", b)).toBe("bound");
  });

  it("holds a UDP port and relays datagrams both ways, per client", async () => {
    const holder = new PortHolder();
    cleanups.push(() => holder.closeAll());
    const echo = dgram.createSocket("udp4");
    echo.on("message", (m, r) => echo.send(Buffer.from(`echo:${m.toString()}`), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", () => r()));
    cleanups.push(() => echo.close());
    const port = await freePort({ anyAddress: true });
    await holder.hold({ protocol: "udp", hostPort: port, guestPort: echo.address().port, ip: "127.0.0.1" });
    // Someone else binding the same UDP port fails while it is held.
    const squatter = dgram.createSocket("udp4");
    const bindErr = await new Promise<string>((resolve) => {
      squatter.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      squatter.bind(port, "127.0.0.1", () => resolve("bound"));
    });
    squatter.close();
    expect(bindErr).toBe("EADDRINUSE");
    const ask = async (text: string) => {
      const c = dgram.createSocket("udp4");
      try {
        const reply = new Promise<string>((r) => c.once("message", (m) => r(m.toString())));
        c.send(text, port, "127.0.0.1");
        return await reply;
      } finally {
        c.close();
      }
    };
    expect(await ask("one")).toBe("echo:one");
    expect(await ask("two")).toBe("echo:two");
  });
});
