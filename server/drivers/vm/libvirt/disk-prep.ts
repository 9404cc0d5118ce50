// Makes a VM's files as a plan says: the main disk (an overlay on its image, checked first, or
// a blank install disk) and the cloud-init seed for a create; overlays or full copies with
// progress, a rebuilt seed and the NVRAM copy for a clone. Only qemu-img (or a create's overlay
// written from the bytes qemu-img made for the same base: overlay-templates.ts) and the seed
// tools touch the disk here; what to make was decided by create-plan.ts and clone-plan.ts.
import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { AppError } from "../../../domain/errors";
import type { Logger } from "../../../domain/logger";
import type { Progress } from "../../../domain/driver";
import type { ClonePlan, CloneMode } from "./clone-plan";
import { cloneSeed, makeSeed } from "./cloud-init";
import type { CreatePlan } from "./create-plan";
import { inspectDiskImage } from "./disk-inspect";
import { makeOverlay } from "./overlay-templates";
import { backingChain, copyImage, createBlank, createOverlay, virtualSize, type BackingLayer } from "./disks";

/** Checks the image's files, makes the main disk and the seed; returns the main disk's size. */
export async function prepareCreateDisks(plan: CreatePlan, log: Logger): Promise<number> {
  for (const f of plan.mustExist) if (!existsSync(f.path)) throw new AppError("VALIDATION", f.message);
  const disk = plan.disk;
  if (disk.kind === "blank") {
    await createBlank(disk.path, disk.sizeBytes);
  } else {
    if (disk.inspect) await inspectDiskImage(disk.backing, disk.format);
    await makeOverlay(disk.path, disk.backing, disk.format, disk.sizeBytes);
  }
  if (plan.seed) {
    const tool = await makeSeed(plan.seed.path, plan.seed.config).catch((e: unknown) => {
      throw new AppError("BACKEND_UNAVAILABLE", e instanceof Error ? e.message : String(e));
    });
    log.debug({ tool, uuid: plan.uuid }, "cloud-init seed written");
  } else if (plan.noSeedTool) {
    log.warn({ uuid: plan.uuid }, "no seed tool (genisoimage/xorriso/mkfs.vfat+mcopy): no cloud-init seed");
  }
  return plan.domain.meta.diskBytes ?? (await virtualSize(disk.path, "qcow2"));
}

/** A clone's disks as the source's file → the clone's file (with the chain to pin below it). */
export type CloneFiles = Map<string, { path: string; format: string; backing?: BackingLayer[] }>;

/**
 * Linked: a qcow2 overlay per disk on the source's file (its chain read back to pin). Full: a
 * flattened qcow2 copy per disk, progress weighted by size between 10 % and 85 %. Then the
 * seed, rebuilt with a new instance-id and hostname (copied as is when it cannot be read).
 */
export async function prepareCloneDisks(
  plan: ClonePlan,
  opts: { mode: CloneMode; uuid: string },
  progress: (p: Progress) => void,
  log: Logger,
): Promise<CloneFiles> {
  const files: CloneFiles = new Map();
  const chains = new Map<string, BackingLayer[]>();
  const jobs = plan.disks;
  if (opts.mode === "linked") {
    progress({ percent: 10, message: "creating linked overlays" });
    for (const j of jobs) {
      await createOverlay(j.to, j.from, j.format);
      chains.set(j.to, await backingChain(j.to, "qcow2"));
    }
  } else {
    const sizes = await Promise.all(jobs.map((j) => virtualSize(j.from, j.format).catch(() => 1)));
    const total = sizes.reduce((a, b) => a + b, 0) || 1;
    let done = 0;
    let last = -1;
    for (const [i, j] of jobs.entries()) {
      const size = sizes[i]!;
      await copyImage(j.from, j.format, j.to, (p) => {
        const percent = Math.floor(10 + (75 * (done + (size * p) / 100)) / total);
        if (percent !== last) {
          last = percent;
          progress({ percent, message: `copying disk ${i + 1} of ${jobs.length}` });
        }
      });
      done += size;
    }
  }
  for (const j of jobs) files.set(j.from, { path: j.to, format: "qcow2", backing: chains.get(j.to) });

  // Seed: same users and keys, a new instance-id and hostname.
  if (plan.seed) {
    progress({ percent: 86, message: "writing the cloud-init seed" });
    try {
      await cloneSeed(plan.seed.from, plan.seed.to, { instanceId: opts.uuid, hostname: plan.hostname });
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : String(e), uuid: opts.uuid }, "seed not rebuilt; copied as is");
      await copyFile(plan.seed.from, plan.seed.to);
    }
    files.set(plan.seed.from, { path: plan.seed.to, format: "raw" });
  }
  return files;
}

/** The clone's main disk size when the source's metadata has none. */
export async function measureCloneDisk(plan: ClonePlan): Promise<number | null> {
  if (plan.meta.diskBytes !== null) return plan.meta.diskBytes;
  const main = plan.disks[0];
  return main ? await virtualSize(main.to, "qcow2").catch(() => null) : null;
}
