// Attack: a container guest opens raw sockets (CAP_NET_RAW). With them it forges packets with any
// source address or MAC on the shared bridge (ARP/IP spoofing of its neighbours) and crafts the
// packets behind CVE-2020-8558 (reaching services bound to the host's loopback through a bridge
// with route_localnet=1).
//
// Before the fix (seen at 86ec50a, Docker's default capabilities): CapBnd 00000000a80425fb
// (NET_RAW, MKNOD and AUDIT_WRITE in it), raw_icmp=ok raw_ip=ok packet=ok, and busybox
// `ping -c1 127.0.0.1` got its answer.
// After the fix (Podman's default capabilities from containers.conf, which leave out NET_RAW,
// MKNOD and AUDIT_WRITE): CapBnd 00000000800405fb, every raw socket EPERM, and ping says
// "permission denied (are you root?)".
import { describe, expect, it } from "vitest";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { PROBE, probeResults, runIn, useAttackContainer } from "./container-probe";

const CAP_NET_RAW = 13n;
const CAP_MKNOD = 27n;

describe.skipIf(!HAVE_BACKEND)("attack: a container opens raw sockets", () => {
  const c = useAttackContainer({ probe: true });
  const run = (script: string) => runIn(c.env(), c.guest().id, script);

  it("has no CAP_NET_RAW or CAP_MKNOD in its bounding set", async () => {
    const { out } = await run("grep CapBnd /proc/self/status");
    const bnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(out)![1]}`);
    expect((bnd >> CAP_NET_RAW) & 1n).toBe(0n);
    expect((bnd >> CAP_MKNOD) & 1n).toBe(0n);
  });

  it("cannot open raw IP or packet sockets", async () => {
    const r = probeResults((await run(`${PROBE} raw`)).out);
    expect(r).toMatchObject({ raw_icmp: "EPERM", raw_ip: "EPERM", packet: "EPERM" });
  });

  it("cannot ping with busybox's raw-socket ping", async () => {
    const { out, rc } = await run("ping -c1 -W1 127.0.0.1");
    expect(rc).not.toBe(0);
    expect(out).toMatch(/permission denied|can't create raw socket/i);
  });
});
