// Attack (issue #10 item 5, last part): containers on one bridge take each other's addresses.
// A container that can change its own interface (CAP_NET_ADMIN in its netns) or send raw frames
// (CAP_NET_RAW) claims a neighbour's IP with gratuitous ARP, or takes the neighbour's MAC so the
// bridge forwards the neighbour's frames to it; traffic for the victim then reaches the attacker.
//
// Containers have neither capability by default (the test checks NET_ADMIN from inside), so the
// pinning is defence in depth: the attack is played from the attacker's network namespace with
// host root (`nsenter --net`), which is what a container granted those capabilities could do.
// The host then asks the victim's address for a page: it must get the victim's.
//
// before the fix: both the gratuitous-ARP takeover and the MAC takeover made the host's request
// for the victim's address get the attacker's page; seen at 2febe26.
// after the fix: an nftables bridge table pins each container's veth to its own MAC (derived from
// its IP) and IP (IPv4 and ARP sender fields; everything else, IPv6 included, is dropped), so the
// forged frames never reach the bridge and the host keeps getting the victim's page.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import { page, webCommand as web } from "../../../drivers/container/test/net-helpers";
import { execScript, HAVE_BACKEND, makeEnv, type TestEnv } from "../../../drivers/container/test/support";

const exec = promisify(execFile);
let env: TestEnv;

/** Runs a command in a container's netns with host root: a container holding every net cap. */
const inNetns = (g: DriverGuest, cmd: string) =>
  exec("nsenter", [`--net=${env.driver.debugPaths(g.id).netns}`, "sh", "-c", cmd], { timeout: 20_000 }).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}`,
  );

/** eth0's MAC in a container's netns (nsenter --net keeps the host's /sys, so ask ip). */
const macOf = async (g: DriverGuest) =>
  (JSON.parse(await inNetns(g, "ip -j link show dev eth0")) as { address: string }[])[0]!.address;

/** A victim and an attacker, both serving a page naming themselves; the host has fetched both. */
async function pair(): Promise<{ victim: DriverGuest; attacker: DriverGuest; vip: string }> {
  const victim = await env.driver.create(env.spec({ command: web("victim-page") }), () => {});
  const attacker = await env.driver.create(env.spec({ command: web("attacker-page") }), () => {});
  const vip = victim.ipAddresses[0]!;
  expect(await page(8080, vip)).toBe("victim-page");
  expect(await page(8080, attacker.ipAddresses[0]!)).toBe("attacker-page");
  // The kernel ignores a neighbour update within a second of the last one (locktime).
  await new Promise((r) => setTimeout(r, 1100));
  return { victim, attacker, vip };
}

describe.skipIf(!HAVE_BACKEND)("attack: a container takes over a neighbour's address", () => {
  beforeAll(() => {
    env = makeEnv();
  });

  afterAll(async () => {
    for (const g of await env.driver.list()) await env.driver.remove(g.id, { purgeDisks: true });
    const leftovers = await env.cleanup();
    expect(leftovers).toEqual([]);
  });

  it("has no CAP_NET_ADMIN inside to change its own address", async () => {
    const { attacker, vip } = await pair();
    const r = await execScript(env.driver, attacker.id, `ip addr add ${vip}/32 dev eth0`);
    expect(r.rc).not.toBe(0);
    expect(r.out).toMatch(/not permitted/i);
  });

  it("claims the victim's IP with gratuitous ARP: the host still reaches the victim", async () => {
    const { attacker, vip } = await pair();
    const spoof = await inNetns(
      attacker,
      `ip addr add ${vip}/32 dev eth0 && busybox arping -U -c 3 -w 3 -I eth0 -s ${vip} ${vip}; true`,
    );
    const got = await page(8080, vip);
    expect({ got, spoof }).toMatchObject({ got: "victim-page" });
  });

  it("takes the victim's MAC (and IP): the bridge still delivers the victim's frames to the victim", async () => {
    const { victim, attacker, vip } = await pair();
    const vmac = await macOf(victim);
    const spoof = await inNetns(
      attacker,
      `ip link set eth0 down && ip link set eth0 address ${vmac} && ip link set eth0 up && ` +
        `ip addr add ${vip}/32 dev eth0 && busybox arping -U -c 3 -w 3 -I eth0 -s ${vip} ${vip}; true`,
    );
    const got = await page(8080, vip);
    expect({ got, spoof }).toMatchObject({ got: "victim-page" });
  });
});
