// The create planner: a guest spec (with its resolved image) in, the jobs to make a new VM out —
// which disk to make from what, which seed to write, which files must exist, and the domain
// definition to give libvirt. Pure: every input is validated here (VALIDATION) and nothing is
// touched, so the rules are unit-tested without libvirt or root (create.ts runs the plan).
import path from "node:path";
import { z } from "zod";
import { GuestName } from "../../../contract/guest";
import type { GuestSpec } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import type { CloudInitConfig } from "./cloud-init";
import { UUID_RE, type VmLayout } from "./layout";
import { diskAlias, MAX_EXTRA_DISKS } from "./guest-disks";
import { libvirtNetworkName } from "./network-xml";
import { MAC_RE, type DiskDef, type DomainDef, type NicDef, type TandemMeta } from "./xml-build";

const GiB = 1024 ** 3;
/** The blank disk an installer ISO gets when the spec names no size. */
export const DEFAULT_INSTALL_DISK_GIB = 20;
/** RFC 1123 host label: what a cloud-init hostname may be. */
export const HOSTNAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

const absPath = z.string().min(2).startsWith("/");
const DemoMeta = z.object({ kernel: absPath, initrd: absPath, disk: absPath, cmdline: z.string().max(4096) });

/** The VM's main disk: an overlay on an image (checked first when `inspect`), or blank. */
export type MainDiskJob =
  | { kind: "overlay"; path: string; backing: string; format: "qcow2" | "raw"; sizeBytes?: number; inspect: boolean }
  | { kind: "blank"; path: string; sizeBytes: number };

export interface CreatePlan {
  uuid: string;
  network: TandemMeta["network"];
  /** Image files that must exist on this host before anything is made. */
  mustExist: { path: string; message: string }[];
  disk: MainDiskJob;
  /** The NoCloud seed to write (null: none); `required` when the spec asked for cloud-init. */
  seed: { path: string; config: CloudInitConfig } | null;
  /** A disk image that would take a seed, on a host without a tool to write one (logged). */
  noSeedTool: boolean;
  /** The domain to define; `meta.diskBytes` null means: measure the main disk once made. */
  domain: DomainDef;
  start: boolean;
}

export interface CreateEnv {
  accel: "kvm" | "qemu";
  layout: VmLayout;
  /** The isolated network's libvirt name. */
  isolatedNetwork: string;
  /** Whether a seed tool exists on this host (without one, a seed is written only when asked). */
  seedTool: boolean;
  /** ISO time stamped into the metadata. */
  now: string;
}

function validate(spec: GuestSpec<"vm">): void {
  const name = GuestName.safeParse(spec.name);
  if (!name.success)
    throw new AppError("VALIDATION", `invalid VM name: ${name.error.issues[0]?.message ?? "bad name"}`);
  if (!UUID_RE.test(spec.uuid)) throw new AppError("VALIDATION", "the VM's uuid must be a lowercase RFC 4122 UUID");
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) throw new AppError("VALIDATION", "vcpus must be at least 1");
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 16)
    throw new AppError("VALIDATION", "memoryMiB must be at least 16");
  if (spec.resolvedImage.kind !== "vm")
    throw new AppError("VALIDATION", `image '${spec.resolvedImage.id}' is not a VM image`);
}

export function planCreate(spec: GuestSpec<"vm">, env: CreateEnv): CreatePlan {
  validate(spec);
  const image = spec.resolvedImage;
  const uuid = spec.uuid;
  const tandemNics = spec.resolvedNics ?? [];
  if (tandemNics.length && spec.network !== undefined)
    throw new AppError("VALIDATION", "nics: give either nics or network, not both");
  for (const [i, n] of tandemNics.entries()) {
    if (!MAC_RE.test(n.mac))
      throw new AppError("VALIDATION", `nics[${i}]: MAC '${n.mac}' is not a lowercase unicast MAC`);
  }
  const network: TandemMeta["network"] = tandemNics.length ? "networks" : (spec.network ?? "user");
  const wanted = spec.diskGiB !== undefined ? spec.diskGiB * GiB : undefined;
  const main = env.layout.disk(uuid);
  const mainDisk = (backing?: DiskDef["backing"]): DiskDef => ({
    path: main,
    format: "qcow2",
    device: "disk",
    bus: "virtio",
    target: "vda",
    ...(backing ? { backing } : {}),
  });
  const noFile = () => ({ path: image.path, message: `image '${image.id}' has no file on this host` });
  let boot: DomainDef["boot"];
  let disks: DiskDef[];
  let disk: MainDiskJob;
  let diskBytes: number | null = null;
  let mustExist: CreatePlan["mustExist"];
  let seed: CreatePlan["seed"] = null;
  let noSeedTool = false;
  switch (image.format) {
    case "demo-kernel": {
      const meta = DemoMeta.safeParse(image.meta);
      if (!meta.success) throw new AppError("VALIDATION", `image '${image.id}' lacks kernel/initrd/disk paths`);
      const { kernel, initrd, disk: base, cmdline } = meta.data;
      mustExist = [kernel, initrd, base].map((f) => ({
        path: f,
        message: `image '${image.id}' is missing ${path.basename(f)}`,
      }));
      disk = { kind: "overlay", path: main, backing: base, format: "qcow2", sizeBytes: wanted, inspect: false };
      boot = { kind: "kernel", kernel, initrd, cmdline };
      disks = [mainDisk([{ path: base, format: "qcow2" }])];
      break;
    }
    case "qcow2":
    case "raw": {
      if (!absPath.safeParse(image.path).success) throw new AppError("VALIDATION", noFile().message);
      mustExist = [noFile()];
      // inspect: again here, not only at upload: images admitted before uploads were inspected.
      disk = {
        kind: "overlay",
        path: main,
        backing: image.path,
        format: image.format,
        sizeBytes: wanted,
        inspect: true,
      };
      boot = { kind: "firmware", order: ["hd"] };
      disks = [mainDisk([{ path: image.path, format: image.format }])];
      const ci = spec.cloudInit;
      const hostname = ci?.hostname ?? spec.hostname ?? spec.name;
      if (!HOSTNAME_RE.test(hostname)) throw new AppError("VALIDATION", `'${hostname}' is not a valid hostname`);
      if (ci || env.seedTool) {
        const seedPath = env.layout.seed(uuid);
        seed = {
          path: seedPath,
          config: { instanceId: uuid, hostname, user: ci?.user, password: ci?.password, sshKeys: ci?.sshKeys },
        };
        disks.push({ path: seedPath, format: "raw", device: "cdrom", bus: "sata", target: "sda", readonly: true });
      } else noSeedTool = true;
      break;
    }
    case "iso": {
      if (!absPath.safeParse(image.path).success) throw new AppError("VALIDATION", noFile().message);
      mustExist = [noFile()];
      diskBytes = wanted ?? DEFAULT_INSTALL_DISK_GIB * GiB;
      disk = { kind: "blank", path: main, sizeBytes: diskBytes };
      boot = { kind: "firmware", order: ["cdrom", "hd"] };
      disks = [
        mainDisk(),
        { path: image.path, format: "raw", device: "cdrom", bus: "sata", target: "sda", readonly: true },
      ];
      break;
    }
    default:
      throw new AppError("VALIDATION", `image format '${image.format}' cannot make a VM`);
  }
  // The body's extra disks (pool volumes the service made): vdb, vdc, … in order, each with the
  // alias guest-disks.ts detaches by.
  const extra = spec.resolvedDisks ?? [];
  if (extra.length > MAX_EXTRA_DISKS) throw new AppError("VALIDATION", `disks: at most ${MAX_EXTRA_DISKS} disks`);
  for (const [i, v] of extra.entries()) {
    if (!absPath.safeParse(v.path).success) throw new AppError("VALIDATION", `disks[${i}]: no volume path`);
    const target = `vd${String.fromCharCode(98 + i)}`;
    disks.push({ path: v.path, format: v.format, device: "disk", bus: "virtio", target, alias: diskAlias(target) });
  }
  // Tandem networks: one libvirt network each (network-realizer.ts), NICs in the order asked.
  const nics: NicDef[] =
    network === "networks"
      ? tandemNics.map((n) => ({
          kind: "network",
          network: libvirtNetworkName({ id: n.networkId }),
          mac: n.mac,
          ...(n.iface ? { target: n.iface } : {}),
        }))
      : network === "user"
        ? [{ kind: "user" }]
        : network === "isolated"
          ? [{ kind: "network", network: env.isolatedNetwork }]
          : [];
  return {
    uuid,
    network,
    mustExist,
    disk,
    seed,
    noSeedTool,
    start: spec.start !== false,
    domain: {
      type: env.accel,
      name: spec.name,
      uuid,
      memoryMiB: spec.memoryMiB,
      vcpus: spec.vcpus,
      boot,
      disks,
      nics,
      serialLog: env.layout.serialLog(uuid),
      vnc: true,
      meta: { image: image.id, createdAt: env.now, diskBytes, network },
    },
  };
}
