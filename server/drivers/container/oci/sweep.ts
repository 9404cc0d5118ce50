// The orphan sweep at the driver's start: whatever this driver's naming says is a container's
// (crun container, cgroup, mounts, netns, veth on its bridge, nft pin or forward, directory, exit
// file) and belongs to no container Tandem has a record of is removed, each logged. A container
// counts as existing while its directory holds a state.json, even one this Tandem cannot read
// (a newer version's): its data is never swept. The nft leftovers go with the first table sync
// (the tables are rewritten whole from the records); they are found and logged here.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../../../domain/logger";
import { cgroupDirs, type CgroupLayout } from "./cgroups";
import { listContainerDirs, UUID_NAME, type ContainerLayout } from "./layout";
import { vethName, type Network } from "./network";
import { bridgePorts, cgroupChildren, crunContainers, mountsBelow, netnsNames } from "./owned-resources";
import type { ContainerRecord } from "./record";
import { run } from "./run";
import type { Runtime } from "./runtime";

export interface SweepScope {
  layout: ContainerLayout;
  cgroups: CgroupLayout;
  network: Network;
  runtime: Runtime;
  /** The records Tandem holds (an orphan is anything no record and no state.json names). */
  records: () => ContainerRecord[];
  log: Logger;
  crunStateRoot?: string;
}

/** What was removed, as `kind name` (also logged one by one). */
export async function sweepOrphans(s: SweepScope): Promise<string[]> {
  const { layout, network, log } = s;
  const known = new Set(s.records().map((r) => r.uuid));
  const owned = (uuid: string) => known.has(uuid) || existsSync(layout.paths(uuid).record);
  const removed: string[] = [];
  const step = async (what: string, fn: () => Promise<unknown> | unknown) => {
    try {
      await fn();
      removed.push(what);
      log.warn({ orphan: what }, "removed a container resource no container owns");
    } catch (e) {
      log.error({ orphan: what, err: String(e) }, "could not remove a container resource no container owns");
    }
  };

  // Processes first: crun containers of this data directory, then whatever is left in cgroups.
  for (const c of crunContainers(s.crunStateRoot)) {
    const uuid = layout.uuidOfRuntimeId(c.id);
    if (!uuid || owned(uuid) || !c.bundle?.startsWith(layout.containersDir + path.sep)) continue;
    await step(`crun ${c.id}`, () => s.runtime.delete(c.id));
  }
  const cgroupOrphans = cgroupChildren(s.cgroups, layout.cgroupParent).filter((u) => UUID_NAME.test(u) && !owned(u));
  for (const uuid of cgroupOrphans) killCgroup(s.cgroups, layout.cgroupRel(uuid), log);

  // Mounts, deepest first, before any directory is removed.
  const dirs = existsSync(layout.containersDir)
    ? readdirSync(layout.containersDir, { withFileTypes: true }).filter(
        (e) => e.isDirectory() && UUID_NAME.test(e.name),
      )
    : [];
  for (const d of dirs) {
    if (owned(d.name)) continue;
    for (const m of mountsBelow(path.join(layout.containersDir, d.name))) {
      await step(`mount ${m}`, () => run(["umount", "-l", m]));
    }
  }

  // Network: veths on its bridge (their peers go with them), then namespaces with its prefix.
  const veths = new Set(
    [...known, ...listContainerDirs(layout.containersDir).filter(owned)].map((uuid) => vethName(uuid)),
  );
  for (const l of bridgePorts(network.cfg.bridge)) {
    if (veths.has(l) || !/^vt[0-9a-f]{11}$/.test(l)) continue;
    // Gone meanwhile (its peer's namespace went) counts as removed.
    await step(`veth ${l}`, () =>
      run(["ip", "link", "del", l]).catch((e: unknown) => {
        if (existsSync(`/sys/class/net/${l}`)) throw e;
      }),
    );
  }

  const prefix = network.cfg.netnsPrefix;
  for (const ns of netnsNames()) {
    if (!ns.startsWith(prefix)) continue;
    const uuid = ns.slice(prefix.length);
    if (UUID_NAME.test(uuid) && owned(uuid)) continue;
    await step(`netns ${ns}`, () => run(["ip", "netns", "del", ns]));
  }
  // Cgroups (empty now), then directories and conmon's files.
  for (const uuid of cgroupOrphans) {
    await step(`cgroup ${layout.cgroupRel(uuid)}`, () => removeCgroup(s.cgroups, layout.cgroupRel(uuid)));
  }
  for (const d of dirs) {
    const dir = path.join(layout.containersDir, d.name);
    if (owned(d.name)) continue;
    if (mountsBelow(dir).length) {
      log.error({ dir }, "an orphan container directory still has mounts; left in place");
      continue;
    }
    await step(`directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  }
  for (const dir of [layout.exitDir, layout.socketDir]) {
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      const uuid = layout.uuidOfRuntimeId(f);
      if (!uuid || owned(uuid)) continue;
      await step(`file ${path.join(dir, f)}`, () => rmSync(path.join(dir, f), { force: true }));
    }
  }
  for (const what of nftLeftovers(network, s.records())) {
    removed.push(what);
    log.warn({ orphan: what }, "removing a container resource no container owns (with the next table sync)");
  }
  return removed;
}

/** SIGKILL to every process left in a cgroup no container owns (its processes are Tandem's). */
function killCgroup(layout: CgroupLayout, rel: string, log: Logger): void {
  for (const top of cgroupDirs(layout, rel)) {
    for (const dir of walk(top)) {
      let procs: string[] = [];
      try {
        procs = readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
      } catch {
        continue;
      }
      for (const pid of procs) {
        log.warn({ pid: Number(pid), cgroup: dir }, "killing a process of a container no record owns");
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }
}

/** Removes a cgroup and its children in every hierarchy; waits (2 s at most) for killed tasks. */
async function removeCgroup(layout: CgroupLayout, rel: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const left: string[] = [];
    for (const top of cgroupDirs(layout, rel)) {
      for (const dir of walk(top)) {
        try {
          execFileSync("rmdir", [dir], { stdio: "ignore" });
        } catch {
          if (existsSync(dir)) left.push(dir);
        }
      }
    }
    if (!left.length) return;
    if (attempt >= 40) throw new Error(`cgroup ${left.join(", ")} is busy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** dir and its subdirectories, children before parents. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return [
    ...readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => walk(path.join(dir, e.name))),
    dir,
  ];
}

/** Pins and forwards in this driver's nft tables for addresses and veths no record has. */
function nftLeftovers(network: Network, records: ContainerRecord[]): string[] {
  const t = network.cfg.nftTable;
  const list = (family: string) => {
    try {
      return execFileSync("nft", ["list", "table", family, t], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      return "";
    }
  };
  const veths = new Set(records.map((r) => vethName(r.uuid)));
  const ips = new Set(records.flatMap((r) => (r.network.ip ? [r.network.ip] : [])));
  const out: string[] = [];
  for (const m of list("bridge").matchAll(/chain pin_(\S+) \{/g)) {
    if (!veths.has(m[1]!)) out.push(`nft pin ${m[1]}`);
  }
  for (const m of list("ip").matchAll(/dnat to (\d+\.\d+\.\d+\.\d+):(\d+)/g)) {
    if (!ips.has(m[1]!)) out.push(`nft forward to ${m[1]}:${m[2]}`);
  }
  return out;
}
