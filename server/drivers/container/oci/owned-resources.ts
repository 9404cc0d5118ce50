// What of Tandem's exists on this host, found by Tandem's naming: network namespaces, bridges
// and container veths, cgroups under Tandem's parents, nftables tables, crun containers and the
// mounts of container directories. Read-only. The driver's orphan sweep (sweep.ts) uses the
// readers with its own names; `listOwnedResources()` with every name Tandem and its tests use is
// for a check that nothing was left behind (run as a script it prints one `kind name` per line
// and exits 1 when there is anything).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { cgroupDirs, detectCgroupLayout, type CgroupLayout } from "./cgroups";

export type ResourceKind = "netns" | "bridge" | "veth" | "cgroup" | "nft-table" | "crun" | "mount";

export interface OwnedResource {
  kind: ResourceKind;
  name: string;
}

/** Names Tandem gives things; the defaults cover a real Tandem (tandem…) and its tests (tdm…, tdf…). */
export interface Naming {
  netns: RegExp;
  bridge: RegExp;
  veth: RegExp;
  nftTable: RegExp;
  cgroupParent: RegExp;
  crunId: RegExp;
  /** Mount points of container root file systems, writable layers and idmapped layer binds. */
  mountPoint: RegExp;
}

export const TANDEM_NAMING: Naming = {
  netns: /^(tandem-|td[mf])/,
  bridge: /^(tandem|td[mf])/,
  veth: /^vt[0-9a-f]{11}$/,
  nftTable: /^tandem/,
  cgroupParent: /^tandem/,
  crunId: /^tandem-/,
  mountPoint: /\/containers\/[a-zA-Z0-9-]{1,64}\/(rootfs|layer|lower\/\d+)$/,
};

/** Names under /run/netns (`ip netns add` and `ip netns attach` bind them there). */
export function netnsNames(): string[] {
  return existsSync("/run/netns") ? readdirSync("/run/netns") : [];
}

/** Every network interface, with the bridge it is enslaved to (null for none). */
export function links(): { name: string; master: string | null; bridge: boolean }[] {
  return readdirSync("/sys/class/net").map((name) => {
    let master: string | null = null;
    try {
      master = path.basename(readlinkSync(`/sys/class/net/${name}/master`));
    } catch {
      // not enslaved
    }
    return { name, master: master || null, bridge: existsSync(`/sys/class/net/${name}/bridge`) };
  });
}

/** Interfaces enslaved to a bridge. */
export function bridgePorts(bridge: string): string[] {
  const dir = `/sys/class/net/${bridge}/brif`;
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Names of the directories right below `/<parent>` in any hierarchy. */
export function cgroupChildren(layout: CgroupLayout, parent: string): string[] {
  const out = new Set<string>();
  for (const dir of cgroupDirs(layout, `/${parent}`)) {
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.add(e.name);
  }
  return [...out];
}

/** crun's containers (its state root's entries) with their bundle directories. */
export function crunContainers(stateRoot = "/run/crun"): { id: string; bundle: string | null }[] {
  if (!existsSync(stateRoot)) return [];
  return readdirSync(stateRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      let bundle: string | null = null;
      try {
        const status = JSON.parse(readFileSync(path.join(stateRoot, e.name, "status"), "utf8")) as { bundle?: unknown };
        bundle = typeof status.bundle === "string" ? status.bundle : null;
      } catch {
        // being created or deleted
      }
      return { id: e.name, bundle };
    });
}

/** Mount points (this mount namespace) below dir, deepest first. */
export function mountsBelow(dir: string): string[] {
  const prefix = dir.replace(/\/+$/, "") + "/";
  return allMountPoints()
    .filter((m) => m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

function allMountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** nftables tables as `family name`. */
export function nftTables(): { family: string; name: string }[] {
  let out = "";
  try {
    out = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  } catch {
    return [];
  }
  return out
    .split("\n")
    .map((l) => /^table (\S+) (\S+)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ family: m[1]!, name: m[2]! }));
}

/** Everything on this host that is named like Tandem's, by kind. */
export function listOwnedResources(naming: Naming = TANDEM_NAMING): OwnedResource[] {
  const out: OwnedResource[] = [];
  for (const ns of netnsNames()) if (naming.netns.test(ns)) out.push({ kind: "netns", name: ns });
  for (const l of links()) {
    if (l.bridge && naming.bridge.test(l.name)) out.push({ kind: "bridge", name: l.name });
    else if (naming.veth.test(l.name)) out.push({ kind: "veth", name: l.name });
  }
  const layout = detectCgroupLayout();
  for (const m of cgroupDirs(layout, "")) {
    for (const e of existsSync(m) ? readdirSync(m, { withFileTypes: true }) : []) {
      if (!e.isDirectory() || !naming.cgroupParent.test(e.name)) continue;
      out.push({ kind: "cgroup", name: path.join(m, e.name) });
      for (const c of readdirSync(path.join(m, e.name), { withFileTypes: true })) {
        if (c.isDirectory()) out.push({ kind: "cgroup", name: path.join(m, e.name, c.name) });
      }
    }
  }
  for (const t of nftTables())
    if (naming.nftTable.test(t.name)) out.push({ kind: "nft-table", name: `${t.family} ${t.name}` });
  for (const c of crunContainers()) if (naming.crunId.test(c.id)) out.push({ kind: "crun", name: c.id });
  for (const m of allMountPoints()) if (naming.mountPoint.test(m)) out.push({ kind: "mount", name: m });
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const found = listOwnedResources();
  for (const r of found) process.stdout.write(`${r.kind} ${r.name}\n`);
  process.exitCode = found.length ? 1 : 0;
}
