// Container networking against real conmon + crun: published ports are held by Tandem from
// create to stop (a port taken meanwhile is refused on start), other containers reach them
// through the bridge address, a new driver instance (Tandem restarted) holds them again and does
// not forward a port that something took while it was away, route_localnet left on by an old
// Tandem is turned off, and each container gets the MAC its pin expects.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import { macFor } from "../oci/network";
import { freePort } from "../../../test/support";
import { page, webCommand as web } from "./net-helpers";
import { HAVE_BACKEND, makeEnv, type TestEnv } from "./support";

let env: TestEnv;

/** A host service on 127.0.0.1:port; close() also ends its connections. */
async function squat(port: number): Promise<{ close(): Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns.add(s);
    s.on("close", () => conns.delete(s));
    s.on("error", () => undefined);
    s.end("squatter\n");
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return {
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

function bindTcp(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve("bound")));
  });
}

describe.skipIf(!HAVE_BACKEND)("container network (conmon + crun)", () => {
  let web1: DriverGuest;
  let port: number;

  beforeAll(async () => {
    env = makeEnv();
    port = await freePort({ anyAddress: true });
    web1 = await env.driver.create(
      env.spec({ command: web("web-one"), ports: [{ hostPort: port, guestPort: 8080, protocol: "tcp" }] }),
      () => {},
    );
  });

  afterAll(async () => {
    for (const g of await env.driver.list().catch(() => [])) {
      await env.driver.remove(g.id, { purgeDisks: true }).catch(() => undefined);
    }
    const leftovers = await env.cleanup();
    expect(leftovers).toEqual([]);
  });

  it("holds a published port while the container runs and serves it on 127.0.0.1", async () => {
    expect(await page(port)).toBe("web-one");
    expect(await bindTcp(port)).toBe("EADDRINUSE");
  });

  it("gives the container the MAC derived from its address", async () => {
    const ns = env.driver.debugPaths(web1.id).netns;
    // nsenter --net keeps the host's /sys: ask ip inside the netns.
    const link = execFileSync("nsenter", [`--net=${ns}`, "ip", "-j", "link", "show", "dev", "eth0"], {
      encoding: "utf8",
    });
    expect((JSON.parse(link) as { address: string }[])[0]!.address).toBe(macFor(web1.ipAddresses[0]!));
  });

  it("lets another container reach the published port through the bridge address", async () => {
    const other = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    const gw = env.driver.network.subnet.gateway;
    const x = await env.driver.exec(
      other.id,
      ["/bin/sh", "-c", `timeout 5 wget -q -O - http://${gw}:${port}/; echo "@@rc=$?@@"`],
      { rows: 24, cols: 80 },
    );
    const out = await new Promise<string>((resolve) => {
      let text = "";
      x.onData((d) => {
        text += Buffer.from(d).toString();
        if (/@@rc=\d+@@/.test(text)) resolve(text);
      });
    });
    x.close();
    expect(out).toContain("web-one");
    expect(out).toContain("@@rc=0@@");
    await env.driver.remove(other.id, { purgeDisks: true });
  });

  it("releases the port on stop and refuses to start when something took it meanwhile", async () => {
    await env.driver.act(web1.id, "stop");
    expect(await bindTcp(port)).toBe("bound");
    const squatter = await squat(port);
    try {
      await expect(env.driver.act(web1.id, "start")).rejects.toMatchObject({
        code: "CONFLICT",
        message: expect.stringContaining(`tcp/${port} is in use on the host`),
      });
      expect((await env.driver.get(web1.id)).state).toBe("stopped");
      // A stopped container that publishes a taken port cannot be created either.
      await expect(
        env.driver.create(
          env.spec({ start: false, ports: [{ hostPort: port, guestPort: 80, protocol: "tcp" }] }),
          () => {},
        ),
      ).rejects.toMatchObject({ code: "CONFLICT" });
    } finally {
      await squatter.close();
    }
    await env.driver.act(web1.id, "start");
    expect(await page(port)).toBe("web-one");
  });

  it("a restarted Tandem holds the ports again, turns route_localnet off and skips ports taken meanwhile", async () => {
    const port2 = await freePort({ anyAddress: true });
    const web2 = await env.driver.create(
      env.spec({ command: web("web-two"), ports: [{ hostPort: port2, guestPort: 8080, protocol: "tcp" }] }),
      () => {},
    );
    expect(await page(port2)).toBe("web-two");
    await env.driver.close();
    // Tandem is gone: the ports are free, the containers run on.
    expect(await bindTcp(port)).toBe("bound");
    // What an old Tandem left behind, and a host service that took port2 while Tandem was down.
    writeFileSync(`/proc/sys/net/ipv4/conf/${env.opts.bridge}/route_localnet`, "1");
    const squatter = await squat(port2);
    try {
      const d = env.newDriver();
      await d.list();
      expect(readFileSync(`/proc/sys/net/ipv4/conf/${env.opts.bridge}/route_localnet`, "utf8").trim()).toBe("0");
      expect(await bindTcp(port)).toBe("EADDRINUSE");
      expect(await page(port)).toBe("web-one");
      // The squatter keeps its port, for local and (no DNAT) remote clients alike.
      expect(await page(port2).catch(() => "")).not.toBe("web-two");
      const table = execFileSync("nft", ["list", "table", "ip", env.opts.nftTable!], { encoding: "utf8" });
      expect(table).toContain(`dport ${port} dnat`);
      expect(table).not.toContain(`dport ${port2} dnat`);
      env.driver = d;
      await d.remove(web2.id, { purgeDisks: true });
    } finally {
      await squatter.close();
    }
  });
});
