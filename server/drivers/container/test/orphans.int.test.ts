// The orphan sweep at start-up and the delete without purge, against real conmon + crun: a
// container whose record vanished while it ran, and a network namespace, veth, cgroup, mount,
// nft pin, container directory and exit file made by hand with the driver's naming, are all gone
// once a new driver instance is ready (each logged), while a live container is untouched; a
// delete without purge keeps the writable layer, log and record, and the next start keeps them.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest } from "../../../domain/driver";
import type { Logger } from "../../../domain/logger";
import { cgroupDirs, detectCgroupLayout } from "../oci/cgroups";
import { ContainerDriver } from "../oci/driver";
import { vethName } from "../oci/network";
import { listOwnedResources, TANDEM_NAMING } from "../oci/owned-resources";
import { HAVE_BACKEND, makeEnv, processesMentioning, waitForOutput, type TestEnv } from "./support";

function collectingLogger(lines: { level: string; obj: unknown; msg?: string }[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const sh = (cmd: string[]) => execFileSync(cmd[0]!, cmd.slice(1), { stdio: "ignore" });
const isMount = (p: string) =>
  execFileSync("cat", ["/proc/self/mountinfo"], { encoding: "utf8" })
    .split("\n")
    .some((l) => l.split(" ")[4] === p);

describe.skipIf(!HAVE_BACKEND)("orphan sweep and delete without purge", () => {
  let env: TestEnv;
  let live: DriverGuest;
  let victim: DriverGuest;
  const made: string[] = [];

  beforeAll(() => {
    env = makeEnv();
  });

  afterAll(async () => {
    // Whatever the sweep did not remove is removed here (and fails the test above).
    for (const what of made) {
      const [kind, name] = what.split(" ", 2) as [string, string];
      try {
        if (kind === "netns" && existsSync(`/run/netns/${name}`)) sh(["ip", "netns", "del", name]);
        if (kind === "veth" && existsSync(`/sys/class/net/${name}`)) sh(["ip", "link", "del", name]);
        if (kind === "mount" && isMount(name)) sh(["umount", "-l", name]);
        if (kind === "cgroup" && existsSync(name)) sh(["rmdir", name]);
      } catch {
        // reported by the assertions
      }
    }
    expect(await env.cleanup()).toEqual([]);
  });

  it("removes what no container owns and leaves a live container alone", async () => {
    const { opts } = env;
    live = await env.driver.create(env.spec({ command: ["sh"] }), () => {});
    victim = await env.driver.create(env.spec({ command: ["sleep", "1000"] }), () => {});
    const livePaths = env.driver.debugPaths(live.id);
    const victimPaths = env.driver.debugPaths(victim.id);
    const victimUuid = path.basename(victimPaths.dir);
    await env.driver.close();

    // The victim loses its record while it runs: everything of it is now an orphan.
    rmSync(path.join(victimPaths.dir, "state.json"));
    expect(processesMentioning(victimUuid).length).toBeGreaterThan(0);
    const containersDir = path.dirname(livePaths.dir);
    // And one of each kind by hand.
    const ns = `${opts.netnsPrefix}0rphan-ns`;
    sh(["ip", "netns", "add", ns]);
    made.push(`netns ${ns}`);
    const veth = "vt0rphan00000".replace("0rphan", "0abcde");
    sh(["ip", "link", "add", veth, "type", "veth", "peer", "name", `${veth}p`]);
    sh(["ip", "link", "set", veth, "master", opts.bridge!]);
    made.push(`veth ${veth}`);
    const cgroups = cgroupDirs(detectCgroupLayout(), `/${opts.cgroupParent}/0rphan-cg`);
    for (const d of cgroups) {
      mkdirSync(d);
      made.push(`cgroup ${d}`);
    }
    const mnt = path.join(containersDir, "0rphan-mnt", "rootfs");
    mkdirSync(mnt, { recursive: true });
    sh(["mount", "-t", "tmpfs", "tmpfs", mnt]);
    made.push(`mount ${mnt}`);
    const dir = path.join(containersDir, "0rphan-dir");
    mkdirSync(path.join(dir, "bundle"), { recursive: true });
    writeFileSync(path.join(dir, "ctr.log"), "left behind\n");
    const exitFile = path.join(env.dataDir, "run", "exits", "tandem-0rphan-exit");
    writeFileSync(exitFile, "0");
    sh(["nft", "add", "chain", "bridge", opts.nftTable!, "pin_vt0rphan0pin"]);

    // The listing for leftover checks sees them.
    const naming = { ...TANDEM_NAMING, netns: new RegExp(`^${opts.netnsPrefix}`) };
    const before = listOwnedResources(naming).map((r) => `${r.kind} ${r.name}`);
    expect(before).toEqual(
      expect.arrayContaining([
        `netns ${ns}`,
        `netns ${opts.netnsPrefix}${victimUuid}`,
        `veth ${veth}`,
        `crun tandem-${victimUuid}`,
        `mount ${path.join(victimPaths.dir, "rootfs")}`,
        ...cgroups.map((c) => `cgroup ${c}`),
      ]),
    );

    const lines: { level: string; obj: unknown; msg?: string }[] = [];
    const fresh = new ContainerDriver({ ...opts, logger: collectingLogger(lines) });
    try {
      expect((await fresh.list()).map((g) => g.id)).toEqual([live.id]);
      // Orphans gone, each logged.
      const logged = lines.flatMap((l) => {
        const o = (l.obj as { orphan?: string }).orphan;
        return o && l.level === "warn" ? [o] : [];
      });
      expect(lines.filter((l) => l.level === "error")).toEqual([]);
      expect(logged).toEqual(
        expect.arrayContaining([
          `crun tandem-${victimUuid}`,
          `netns ${ns}`,
          `netns ${opts.netnsPrefix}${victimUuid}`,
          `veth ${veth}`,
          `veth ${vethName(victimUuid)}`,
          `mount ${mnt}`,
          `mount ${path.join(victimPaths.dir, "rootfs")}`,
          `cgroup /${opts.cgroupParent}/0rphan-cg`,
          `directory ${dir}`,
          `directory ${victimPaths.dir}`,
          `file ${exitFile}`,
          "nft pin vt0rphan0pin",
        ]),
      );
      expect(existsSync(`/run/netns/${ns}`)).toBe(false);
      expect(existsSync(`/run/netns/${opts.netnsPrefix}${victimUuid}`)).toBe(false);
      expect(existsSync(`/sys/class/net/${veth}`)).toBe(false);
      expect(existsSync(`/sys/class/net/${vethName(victimUuid)}`)).toBe(false);
      for (const d of [...cgroups, ...victimPaths.cgroups]) expect(existsSync(d)).toBe(false);
      expect(isMount(mnt)).toBe(false);
      expect(isMount(path.join(victimPaths.dir, "rootfs"))).toBe(false);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(path.dirname(mnt))).toBe(false);
      expect(existsSync(victimPaths.dir)).toBe(false);
      expect(existsSync(exitFile)).toBe(false);
      expect(existsSync(`/run/crun/tandem-${victimUuid}`)).toBe(false);
      expect(processesMentioning(victimUuid)).toEqual([]);
      const bridgeTable = execFileSync("nft", ["list", "table", "bridge", opts.nftTable!], { encoding: "utf8" });
      expect(bridgeTable).not.toContain("pin_vt0rphan0pin");
      expect(bridgeTable).toContain(`pin_${vethName(path.basename(livePaths.dir))}`);

      // The live container is untouched: running, wired, mounted, answering on its console.
      expect((await fresh.get(live.id)).state).toBe("running");
      expect(existsSync(livePaths.netns)).toBe(true);
      expect(existsSync(`/sys/class/net/${livePaths.hostVeth}`)).toBe(true);
      for (const d of livePaths.cgroups) expect(existsSync(d)).toBe(true);
      expect(isMount(path.join(livePaths.dir, "rootfs"))).toBe(true);
      const c = await fresh.openConsole(live.id, { rows: 24, cols: 80 });
      c.write(Buffer.from("echo still-$((6*7))\n"));
      await waitForOutput(c, /still-42/);
      c.close();
    } finally {
      await fresh.close();
    }
  });

  it("a delete without purge keeps the writable layer, log and record; a purge keeps nothing", async () => {
    const d = env.newDriver();
    const paths = d.debugPaths(live.id);
    const uuid = path.basename(paths.dir);
    await d.remove(live.id, { purgeDisks: false });
    const kept = path.join(env.dataDir, "kept-containers", uuid);
    expect(readdirSync(kept).sort()).toEqual(["config.json", "ctr.log", "disk.ext4", "record.json"]);
    expect(existsSync(paths.dir)).toBe(false);
    expect(existsSync(paths.netns)).toBe(false);
    expect(await d.list()).toEqual([]);
    // The writable layer holds what the container wrote (a mount shows it).
    const look = path.join(env.tmp, "look");
    mkdirSync(look);
    sh(["mount", "-o", "loop,ro", path.join(kept, "disk.ext4"), look]);
    try {
      expect(existsSync(path.join(look, "upper"))).toBe(true);
    } finally {
      sh(["umount", look]);
    }
    // A new start does not take what was kept for an orphan.
    const again = env.newDriver();
    expect(await again.list()).toEqual([]);
    expect(existsSync(path.join(kept, "disk.ext4"))).toBe(true);

    const g = await again.create(env.spec({ command: ["sh"] }), () => {});
    const dir = again.debugPaths(g.id).dir;
    await again.remove(g.id, { purgeDisks: true });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(path.join(env.dataDir, "kept-containers", path.basename(dir)))).toBe(false);
  });
});
