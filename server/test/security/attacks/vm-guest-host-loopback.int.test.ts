// Attack (issue #10 item 4, VM part): a guest reaches services that listen only on the host.
// QEMU's user-mode network (SLIRP) maps the gateway 10.0.2.2 to the host's 127.0.0.1, so a VM
// on the `user` network could talk to Tandem's API, to every VM's VNC port and to anything else
// bound to loopback; a VM on Tandem's isolated libvirt network reached every host service bound
// to the wildcard address through the bridge address.
// The fix (server/drivers/vm/libvirt/host-guard.ts): an nftables table Tandem owns rejects new
// connections from the QEMU user (now unprivileged, see qemu-runs-as-root) to any local address,
// and on the isolated bridge lets only DHCP and DNS reach the host.
//
// Run from inside real demo VMs over their serial consoles: busybox `nc` to 10.0.2.2 (a listener
// this test opens on 127.0.0.1, and Tandem's own port) from a VM on the user network, and to the
// bridge address from a VM on the isolated network. The host-side listeners count connections.
//
// before the fix: both probes through 10.0.2.2 connected (the listener's greeting and Tandem's
// /healthz answer reached the guest) and the isolated VM connected to the listener on the bridge
// address, seen at 6465caf.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  haveBackend,
  makeEnv,
  demoShell,
  type DemoShell,
  type VmTestEnv,
} from "../../../drivers/vm/libvirt/test/support";
import { startTestServer, type TestServer } from "../../harness";

const run = haveBackend();
let env: VmTestEnv;
const PROMPT = "tandem-vm:~# ";
let tandem: TestServer;
const listeners: { server: net.Server; hits: number; port: number }[] = [];

/** A TCP listener that greets every connection with a marker and counts them. */
async function listen(host: string): Promise<{ hits: number; port: number; marker: string }> {
  const marker = `tandem-probe-${Math.random().toString(36).slice(2, 8)}`;
  const entry = { server: net.createServer(), hits: 0, port: 0 };
  entry.server.on("connection", (s) => {
    entry.hits++;
    s.on("error", () => undefined);
    s.end(`${marker}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    entry.server.once("error", reject);
    entry.server.listen(0, host, () => resolve());
  });
  entry.port = (entry.server.address() as net.AddressInfo).port;
  listeners.push(entry);
  return {
    get hits() {
      return entry.hits;
    },
    port: entry.port,
    marker,
  };
}

/** Boots a demo VM and returns its serial shell once the prompt is there. */
async function boot(network: "user" | "isolated"): Promise<DemoShell> {
  const spec = env.spec({ network });
  await env.driver.create(spec, () => undefined);
  const sh = await demoShell(env.driver, `local.vm.${spec.uuid}`);
  await sh.waitFor("Tandem demo VM ready", 180_000, "the demo banner");
  await sh.run("", PROMPT, 30_000);
  return sh;
}

/** `nc` from the guest with a bounded wait; stdin stays open two seconds so replies arrive. */
const probe = (sh: DemoShell, host: string, port: number, send = "") =>
  sh.run(`(printf '${send}'; sleep 2) | timeout 6 nc ${host} ${port}; echo probe-done-$?`, /probe-done-\d+/, 30_000);

describe.skipIf(!run)("attack: a VM guest reaches the host's loopback", () => {
  beforeAll(async () => {
    env = await makeEnv();
    tandem = await startTestServer();
  }, 240_000);
  afterAll(async () => {
    for (const l of listeners) l.server.close();
    await tandem?.stop();
    await env?.cleanup();
  }, 120_000);

  it("a VM on the user network cannot reach services on the host's 127.0.0.1 through 10.0.2.2", async () => {
    const local = await listen("127.0.0.1");
    const sh = await boot("user");
    const toListener = await probe(sh, "10.0.2.2", local.port);
    const tandemPort = Number(new URL(tandem.url).port);
    const toTandem = await probe(sh, "10.0.2.2", tandemPort, "GET /healthz HTTP/1.0\\r\\n\\r\\n");
    // All observations at once, so a failure shows the whole picture.
    expect({
      listenerGreetingInGuest: toListener.includes(local.marker),
      listenerConnections: local.hits,
      tandemAnsweredGuest: /HTTP\/1\.1 \d{3}/.test(toTandem),
    }).toEqual({ listenerGreetingInGuest: false, listenerConnections: 0, tandemAnsweredGuest: false });
    // The guest itself still has its network: the probes failed at the host, not in the guest.
    expect(await sh.run("ip -4 addr show eth0; echo addr-$((1+1))-done", "addr-2-done")).toContain("10.0.2.15");
  });

  it("a VM on the isolated network gets DHCP and DNS from the host, and nothing else", async () => {
    const sh = await boot("isolated");
    const prefix = env.opts.isolatedNetwork!.prefix!;
    const bridgeIp = `${prefix}.1`;
    // DHCP answered: the guest gets an address in the network (udhcpc retries in the background).
    const addr = await sh.run(
      "for i in $(seq 30); do ip -4 addr show eth0 | grep -q inet && break; sleep 1; done; ip -4 addr show eth0; echo addr-$((1+1))-done",
      "addr-2-done",
      60_000,
    );
    expect(addr).toContain(`inet ${prefix}.`);
    const onBridge = await listen(bridgeIp);
    const dns = await sh.run(`timeout 6 nslookup tandem-probe.invalid ${bridgeIp}; echo dns-done-$?`, /dns-done-\d+/);
    const toBridge = await probe(sh, bridgeIp, onBridge.port);
    expect({
      // DNS answers (dnsmasq, the network's own resolver) ...
      dnsAnswered: /Server:\s+\S+/.test(dns) && !/timed out|no servers could be reached/.test(dns),
      // ... a host service on the bridge address does not.
      listenerGreetingInGuest: toBridge.includes(onBridge.marker),
      listenerConnections: onBridge.hits,
    }).toEqual({ dnsAnswered: true, listenerGreetingInGuest: false, listenerConnections: 0 });
  });
});
