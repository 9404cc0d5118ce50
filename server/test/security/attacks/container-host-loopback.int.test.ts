// Attack (issue #10 item 4, container part): a container reaches services that listen only on
// the host. The container bridge had route_localnet=1 (so the host accepted packets for
// 127.0.0.0/8 arriving from it: CVE-2020-8558) and no input filter (so every host service bound
// to the wildcard address answered on the bridge address and on every other host address).
//
// Run from inside a real container: the static fixtures/loopback-tcp.c builds a TCP connection to
// the host's 127.0.0.1 out of Ethernet frames (what a container with CAP_NET_RAW can do; busybox
// cannot), and busybox `nc` probes listeners on the bridge address and on a host address of an
// interface this test makes. Default capabilities no longer include NET_RAW (the raw-socket
// attack), so the loopback attack is also run from the container's network namespace with full
// capabilities (`nsenter --net`, host root): the host itself must refuse it, whatever the caps.
//
// before the fix: from inside the container (Docker's capabilities) and from its netns both the
// forged connection got the loopback listener's greeting; `nc` got the greeting of the listeners
// on the bridge address, on the other host address and on the bridge's IPv6 link-local address;
// seen at 2febe26.
// after the fix: the forged SYN gets no answer (drop of 127.0.0.0/8 from the bridge, route_localnet
// 0), the bridge address and other host addresses answer nothing the container was not given
// (input filter), and IPv6 from the container never gets past its veth (bridge pins).
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import { until } from "../../harness";
import { execScript, HAVE_BACKEND, makeEnv, type TestEnv } from "../../../drivers/container/test/support";

const exec = promisify(execFile);
const tag = Math.random().toString(16).slice(2, 6);
/** An interface of the host's own, with an address outside the container subnet. */
const otherIf = `tdmho${tag}`;
const otherIp = `10.216.${parseInt(tag.slice(0, 2), 16)}.1`;

let env: TestEnv;
let g: DriverGuest;
let gateway: string;
let gatewayMac: string;
let netns: string;
const POKE = "/usr/local/bin/loopback-tcp";
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** A TCP listener that greets every connection with a marker and counts them. */
async function listen(host: string): Promise<{ hits: number; port: number; marker: string }> {
  const marker = `tandem-host-${Math.random().toString(36).slice(2, 8)}`;
  const entry = { hits: 0 };
  const server = net.createServer((s) => {
    entry.hits++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.write(`${marker}\n`);
    // Forged connections never close properly; end ours after the greeting.
    setTimeout(() => s.destroy(), 3000).unref();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  servers.push(server);
  return {
    get hits() {
      return entry.hits;
    },
    port: (server.address() as net.AddressInfo).port,
    marker,
  };
}

/** busybox nc from inside the container, stdin open two seconds so a greeting can arrive. */
const ncFrom = (host: string, port: number) => execScript(env.driver, g.id, `(sleep 2) | timeout 5 nc ${host} ${port}`);

describe.skipIf(!HAVE_BACKEND)("attack: a container reaches the host's loopback and addresses", () => {
  beforeAll(async () => {
    env = makeEnv();
    const bin = path.join(env.tmp, "loopback-tcp");
    execFileSync("gcc", [
      "-static",
      "-O2",
      "-Wall",
      "-o",
      bin,
      path.join(import.meta.dirname, "fixtures/loopback-tcp.c"),
    ]);
    g = await env.driver.create(env.spec({ command: ["sleep", "100000"] }), () => {});
    const dir = env.driver.debugPaths(g.id).dir;
    mkdirSync(path.join(dir, "rootfs/usr/local/bin"), { recursive: true });
    copyFileSync(bin, path.join(dir, "rootfs", POKE));
    copyFileSync(bin, path.join(env.tmp, "poke-host"));
    netns = env.driver.debugPaths(g.id).netns;
    gateway = env.driver.network.subnet.gateway;
    gatewayMac = readFileSync(`/sys/class/net/${env.opts.bridge}/address`, "utf8").trim();
    execFileSync("ip", ["link", "add", otherIf, "type", "veth", "peer", "name", `${otherIf}p`]);
    execFileSync("ip", ["addr", "add", `${otherIp}/30`, "dev", otherIf]);
    execFileSync("ip", ["link", "set", otherIf, "up"]);
    execFileSync("ip", ["link", "set", `${otherIf}p`, "up"]);
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    for (const s of sockets) s.destroy();
    execFileSync("ip", ["link", "del", otherIf], { stdio: "ignore" });
    if (g) await env.driver.remove(g.id, { purgeDisks: true });
    const leftovers = await env.cleanup();
    expect(leftovers).toEqual([]);
  });

  it("cannot reach a service on the host's 127.0.0.1 with forged frames, from inside or from its netns", async () => {
    const local = await listen("127.0.0.1");
    // First an ordinary packet to the gateway, so the host learns the container's MAC from its
    // ARP request (the host's own ARP for a reply from 127.0.0.1 would go unanswered).
    await execScript(env.driver, g.id, `timeout 2 nc ${gateway} 9 </dev/null`);
    const inside = await execScript(
      env.driver,
      g.id,
      `timeout 10 ${POKE} eth0 ${gatewayMac} 127.0.0.1 ${local.port} hello`,
    );
    // The container's netns with every capability: what a container granted NET_RAW could do.
    const fromNetns = await exec(
      "nsenter",
      [`--net=${netns}`, path.join(env.tmp, "poke-host"), "eth0", gatewayMac, "127.0.0.1", String(local.port), "hello"],
      { timeout: 15_000 },
    ).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? "",
    );
    expect({
      insideGotGreeting: inside.out.includes(local.marker),
      netnsGotGreeting: fromNetns.includes(local.marker),
      listenerConnections: local.hits,
    }).toEqual({ insideGotGreeting: false, netnsGotGreeting: false, listenerConnections: 0 });
    // The host never answered the SYN (not merely "no capability").
    expect(fromNetns).toContain("synack=none");
  });

  it("cannot connect to a host service on the bridge address or on another host address", async () => {
    const onBridge = await listen(gateway);
    const onOther = await listen(otherIp);
    const toBridge = await ncFrom(gateway, onBridge.port);
    const toOther = await ncFrom(otherIp, onOther.port);
    expect({
      bridgeGreeting: toBridge.out.includes(onBridge.marker),
      bridgeConnections: onBridge.hits,
      otherGreeting: toOther.out.includes(onOther.marker),
      otherConnections: onOther.hits,
    }).toEqual({ bridgeGreeting: false, bridgeConnections: 0, otherGreeting: false, otherConnections: 0 });
  });

  it("cannot connect to a host service over IPv6 on the bridge's link-local address", async () => {
    // Services bound to [::] answer there too; the bridge has no IPv6 of Tandem's making.
    const info = JSON.parse(
      execFileSync("ip", ["-6", "-j", "addr", "show", "dev", env.opts.bridge!], { encoding: "utf8" }),
    );
    const linkLocal = (info[0]?.addr_info as { local: string; scope: string }[] | undefined)?.find(
      (a) => a.scope === "link",
    )?.local;
    expect(linkLocal, "the host gives the bridge an IPv6 link-local address").toBeTruthy();
    // Bindable once duplicate address detection has finished on the bridge.
    await until(
      () =>
        !execFileSync("ip", ["-6", "addr", "show", "dev", env.opts.bridge!], { encoding: "utf8" }).includes(
          "tentative",
        ),
      10_000,
    );
    const onBridge6 = await listen(`${linkLocal}%${env.opts.bridge}`);
    // The container's own link-local address leaves its tentative (DAD) state within seconds.
    const r = await execScript(
      env.driver,
      g.id,
      `for i in $(seq 50); do ip -6 addr show dev eth0 | grep -q tentative || break; sleep 0.1; done; ` +
        `(sleep 2) | timeout 5 nc ${linkLocal}%eth0 ${onBridge6.port}`,
    );
    expect({ greeting: r.out.includes(onBridge6.marker), connections: onBridge6.hits }).toEqual({
      greeting: false,
      connections: 0,
    });
  });

  it("still answers connections the host opens to it (replies are let through)", async () => {
    const x = await env.driver.exec(g.id, ["/bin/sh", "-c", "echo container-up | nc -l -p 8080"], {
      rows: 24,
      cols: 80,
    });
    try {
      const ip = g.ipAddresses[0]!;
      const got = await new Promise<string>((resolve, reject) => {
        const tryOnce = (left: number) => {
          const s = net.connect({ host: ip, port: 8080 });
          let text = "";
          s.on("data", (d) => (text += d.toString()));
          s.on("end", () => resolve(text));
          s.on("error", (e) => (left > 0 ? setTimeout(() => tryOnce(left - 1), 100) : reject(e)));
        };
        tryOnce(50);
      });
      expect(got).toContain("container-up");
    } finally {
      x.close();
    }
  });
});
