// network-attach.ts on the real kernel: a bridge this test makes stands in for a libvirt
// network's (Tandem does not own it), two namespaces stand in for containers. Both get a NIC on
// the bridge and reach each other through it; a second NIC brings no second default route; a
// batch that fails half-way leaves nothing; detach takes the NIC away. The bridge carries no
// address, so nothing here adds a route on the host or sends a packet outside the namespaces.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../test/backends";
import { attachNic, detachNic, type NicAttachment } from "./network-attach";

const BUSYBOX = ["/usr/bin/busybox", "/bin/busybox"].find((p) => existsSync(p));
const present = process.getuid?.() === 0 && !!BUSYBOX;

const hex = () => randomBytes(3).toString("hex");
const tag = hex();
const BRIDGE = `tdt-br-${tag}`;
const NS_A = `tdt-ns-${hex()}`;
const NS_B = `tdt-ns-${hex()}`;
const NS_C = `tdt-ns-${hex()}`;
const veth = (n: string) => `tdt-v${tag}${n}`;
// Documentation addresses (RFC 5737), only ever inside the two namespaces.
const NET = { prefix: 24, gateway: "192.0.2.1" };

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

/** Whether `from` gets an answer to one ping of `to` (busybox ping exits 0 on a reply). */
function pings(from: string, to: string): boolean {
  try {
    execFileSync("ip", ["netns", "exec", from, BUSYBOX!, "ping", "-c", "1", "-W", "2", to], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function nic(netns: string, v: string, ifname: string, address: string, primary: boolean, mac: string): NicAttachment {
  return { netns, bridge: BRIDGE, hostVeth: veth(v), ifname, mac, ipv4: { address, ...NET }, primary };
}

describe.skipIf(!backend("root, iproute2 and busybox (scripts/host/packages.sh)", present))(
  "a container NIC on a bridge Tandem does not own",
  () => {
    /** Stands in for a user-namespaced container's init, in a netns nobody has named yet. */
    let holder: ChildProcess | null = null;
    afterAll(() => {
      if (holder?.pid && holder.exitCode === null) holder.kill("SIGKILL");
      // Everything this file made, each on its own: one that is already gone does not stop the rest.
      for (const v of ["a0", "a1", "a2", "b0", "c0", "x0"]) {
        if (existsSync(`/sys/class/net/${veth(v)}`)) execFileSync("ip", ["link", "del", veth(v)]);
      }
      for (const ns of [NS_A, NS_B, NS_C]) if (existsSync(`/run/netns/${ns}`)) ip("netns", "del", ns);
      if (existsSync(`/sys/class/net/${BRIDGE}`)) ip("link", "del", BRIDGE);
    });

    it("plugs two namespaces into the bridge, and they reach each other through it", async () => {
      ip("link", "add", BRIDGE, "type", "bridge");
      ip("link", "set", BRIDGE, "up");
      ip("netns", "add", NS_A);
      ip("netns", "add", NS_B);
      await attachNic(nic(NS_A, "a0", "eth0", "192.0.2.10", true, "0a:58:c0:00:02:0a"));
      await attachNic(nic(NS_B, "b0", "eth0", "192.0.2.11", true, "0a:58:c0:00:02:0b"));

      for (const v of ["a0", "b0"])
        expect(path.basename(readlinkSync(`/sys/class/net/${veth(v)}/master`))).toBe(BRIDGE);
      const [link] = JSON.parse(ip("-n", NS_A, "-j", "addr", "show", "dev", "eth0")) as {
        address: string;
        operstate: string;
        addr_info: { family: string; local: string; prefixlen: number }[];
      }[];
      expect(link!.address).toBe("0a:58:c0:00:02:0a");
      expect(link!.addr_info.filter((a) => a.family === "inet")).toEqual([
        expect.objectContaining({ local: "192.0.2.10", prefixlen: 24 }),
      ]);
      expect(JSON.parse(ip("-n", NS_A, "-j", "route", "show", "default"))).toEqual([
        expect.objectContaining({ gateway: "192.0.2.1", dev: "eth0" }),
      ]);
      expect(ip("-n", NS_A, "-br", "link", "show", "lo")).toMatch(/\bUP\b|UNKNOWN/);

      expect(pings(NS_A, "192.0.2.11")).toBe(true);
      expect(pings(NS_B, "192.0.2.10")).toBe(true);
    });

    it("gives a second NIC no default route of its own", async () => {
      await attachNic(nic(NS_A, "a1", "eth1", "192.0.2.12", false, "0a:58:c0:00:02:0c"));
      expect(JSON.parse(ip("-n", NS_A, "-j", "route", "show", "default"))).toEqual([
        expect.objectContaining({ gateway: "192.0.2.1", dev: "eth0" }),
      ]);
      expect(pings(NS_B, "192.0.2.12")).toBe(true);
    });

    it("names a process's unnamed netns and plugs it in, in the same run", async () => {
      // It says "ready" from inside its new netns: no waiting for a time, no polling.
      holder = spawn("unshare", ["--net", BUSYBOX!, "sh", "-c", "echo ready; exec sleep 600"], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      const pid = holder.pid!;
      await new Promise<void>((resolve, reject) => {
        holder!.stdout!.once("data", () => resolve());
        holder!.once("exit", () => reject(new Error("unshare ended before it was ready")));
        holder!.once("error", reject);
      });
      const hostNs = readlinkSync("/proc/self/ns/net");
      expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(hostNs);
      await attachNic({ ...nic(NS_C, "c0", "eth0", "192.0.2.20", true, "0a:58:c0:00:02:14"), fromPid: pid });
      expect(ip("netns", "identify", String(pid)).trim()).toBe(NS_C);
      expect(pings(NS_B, "192.0.2.20")).toBe(true);
    });

    it("leaves nothing behind when the batch fails half-way, or the bridge is missing", async () => {
      // A second primary NIC: its default route clashes with eth0's after the veth was made.
      await expect(attachNic(nic(NS_A, "a2", "eth2", "192.0.2.13", true, "0a:58:c0:00:02:0d"))).rejects.toThrow(
        /^attaching eth2 of tdt-ns-\w+ to tdt-br-\w+: 'netns exec \S+ ip route add default via 192\.0\.2\.1 dev eth2' failed: RTNETLINK answers: File exists$/,
      );
      expect(existsSync(`/sys/class/net/${veth("a2")}`)).toBe(false);
      expect(ip("-n", NS_A, "-o", "link", "show")).not.toMatch(/eth2/);

      await expect(
        attachNic({ ...nic(NS_B, "x0", "eth1", "192.0.2.14", false, "0a:58:c0:00:02:0e"), bridge: `tdt-br-${hex()}` }),
      ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^bridge: .*not a bridge/) });
      expect(existsSync(`/sys/class/net/${veth("x0")}`)).toBe(false);
    });

    it("unplugs a NIC by deleting its host end; the container's end goes with it", async () => {
      await detachNic(veth("a0"));
      expect(existsSync(`/sys/class/net/${veth("a0")}`)).toBe(false);
      expect(ip("-n", NS_A, "-o", "link", "show")).not.toMatch(/\beth0@/);
      expect(pings(NS_B, "192.0.2.10")).toBe(false);
      // eth1 is still plugged in, and a second detach of eth0 is not an error.
      expect(pings(NS_B, "192.0.2.12")).toBe(true);
      await detachNic(veth("a0"));
    });
  },
);
