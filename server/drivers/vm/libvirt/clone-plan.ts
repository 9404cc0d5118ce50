// The clone planner: the source's parsed inactive XML in, the jobs to copy it out — which disks
// become overlays or copies under which names, which seed is rebuilt, and the clone's Tandem
// metadata. Pure: the rules (what is copied, what is shared, what cannot be cloned) are
// unit-tested without libvirt or root; clone.ts runs the plan.
import path from "node:path";
import { GuestName } from "../../../contract/guest";
import { AppError } from "../../../domain/errors";
import { isImageFormat, type ImageFormat } from "./disks";
import { HOSTNAME_RE } from "./create-plan";
import { UUID_RE, type VmLayout } from "./layout";
import type { TandemMeta } from "./xml-build";
import type { ParsedDomain } from "./xml-parse";

export type CloneMode = "linked" | "full";

export interface CloneOptions {
  name: string;
  mode: CloneMode;
  uuid: string;
  /** The clone's NICs on Tandem networks, by the source NIC's MAC (the service's Nic rows). */
  nics?: { from: string; mac: string; iface: string }[];
}

/** One writable disk of the source, made again in the clone's directory (always qcow2). */
export interface CloneDiskJob {
  from: string;
  format: ImageFormat;
  to: string;
}

export interface ClonePlan {
  /** Overlays (linked) or copies (full), the first one the clone's main disk. */
  disks: CloneDiskJob[];
  /** A seed (or other medium) from the source's own directory, rebuilt for the clone. */
  seed: { from: string; to: string } | null;
  /** The hostname the rebuilt seed gives the clone. */
  hostname: string;
  /** The clone's metadata; `diskBytes` null: measure the clone's main disk once made. */
  meta: TandemMeta;
}

/** VALIDATION unless the options name a valid clone. */
export function validateCloneOptions(opts: CloneOptions): void {
  const name = GuestName.safeParse(opts.name);
  if (!name.success)
    throw new AppError("VALIDATION", `invalid VM name: ${name.error.issues[0]?.message ?? "bad name"}`);
  if (!UUID_RE.test(opts.uuid)) throw new AppError("VALIDATION", "the clone's uuid must be a lowercase RFC 4122 UUID");
  if (opts.mode !== "linked" && opts.mode !== "full") throw new AppError("VALIDATION", "mode must be linked or full");
}

/** A guest name as a hostname: itself when it is one, else with what a hostname cannot hold dashed. */
export function cloneHostname(name: string): string {
  if (HOSTNAME_RE.test(name)) return name;
  return name
    .replace(/[^a-zA-Z0-9-]/g, "-")
    .slice(0, 63)
    .replace(/-+$/, "");
}

export interface CloneEnv {
  layout: VmLayout;
  /** The source's domain uuid. */
  sourceUuid: string;
  /** The source's guest id, recorded as `clonedFrom`. */
  sourceId: string;
  /** The isolated network's libvirt name (to tell a clone's network mode). */
  isolatedNetwork: string;
  /** ISO time stamped into the metadata. */
  now: string;
}

/**
 * Every disk Tandem can write to is copied; a seed inside the source's own directory is
 * rebuilt; read-only or shareable media elsewhere (an installer ISO) stay shared.
 */
export function planClone(source: ParsedDomain, opts: CloneOptions, env: CloneEnv): ClonePlan {
  validateCloneOptions(opts);
  const { layout } = env;
  // Only a Tandem VM has a directory of its own; an adopted domain's files are all outside.
  const inSrcDir = (f: string) => source.tandem !== null && layout.owns(env.sourceUuid, f);
  const disks: CloneDiskJob[] = [];
  let seed: ClonePlan["seed"] = null;
  for (const disk of source.disks) {
    if (disk.device === "disk" || disk.device === "lun") {
      if ((disk.readonly || disk.shareable) && disk.path && !inSrcDir(disk.path)) continue;
      if (disk.type !== "file" || !disk.path) {
        throw new AppError(
          "VALIDATION",
          `cannot clone ${source.name}: disk ${disk.target ?? "?"} is a ${disk.type} disk; only file disks can be copied`,
        );
      }
      const format = disk.format ?? "raw";
      if (!isImageFormat(format)) {
        throw new AppError("VALIDATION", `cannot clone ${source.name}: disk format '${format}' is not supported`);
      }
      const target = disk.target && /^[a-z0-9]{1,16}$/.test(disk.target) ? disk.target : String(disks.length);
      disks.push({
        from: disk.path,
        format,
        to: disks.length === 0 ? layout.disk(opts.uuid) : layout.disk(opts.uuid, target),
      });
    } else if (disk.path && disk.type === "file" && inSrcDir(disk.path)) {
      if (seed) throw new AppError("VALIDATION", `cannot clone ${source.name}: more than one seed image`);
      const isSeed = path.basename(disk.path) === "seed.iso";
      seed = { from: disk.path, to: isSeed ? layout.seed(opts.uuid) : layout.media(opts.uuid) };
    }
  }
  if (new Set(disks.map((j) => j.to)).size !== disks.length) {
    throw new AppError("VALIDATION", `cannot clone ${source.name}: two disks share a target name`);
  }
  const src = source.tandem;
  const network =
    src?.network ??
    (source.nics.length === 0
      ? "none"
      : source.nics.some((n) => n.network === env.isolatedNetwork)
        ? "isolated"
        : "user");
  return {
    disks,
    seed,
    hostname: cloneHostname(opts.name),
    meta: {
      image: src?.image ?? null,
      createdAt: env.now,
      diskBytes: src?.diskBytes ?? null,
      network,
      clonedFrom: env.sourceId,
      cloneMode: opts.mode,
      backing: opts.mode === "linked" ? disks.map((j) => j.from) : [],
    },
  };
}
