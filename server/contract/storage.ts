// Storage shapes shared by server and browser: libvirt storage pools (Tandem's default directory
// pool and any pool the host already has) and the volumes Tandem keeps in them — a VM's extra
// disk or a container's named volume — with the guests using each.
import { z } from "zod";

export const VolumeName = z
  .string()
  .min(1, "name is required")
  .max(63, "name must be at most 63 characters")
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    "name may contain letters, digits, '-', '_' and '.', and must start with a letter or digit",
  );

/** A libvirt pool name as Tandem accepts it from a client. */
export const PoolName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "not a pool name");

export const Pool = z.object({
  name: z.string(),
  /** libvirt's pool type: dir, logical (LVM), fs, netfs, … */
  type: z.string(),
  state: z.enum(["running", "inactive", "building", "degraded", "inaccessible"]),
  /** Where its volumes live (a directory, a volume group's /dev path, …). */
  path: z.string().nullable(),
  capacityBytes: z.number(),
  allocationBytes: z.number(),
  availableBytes: z.number(),
  /** Tandem's own directory pool, made on first start; new disks and volumes go here by default. */
  isDefault: z.boolean(),
  volumeCount: z.number().int(),
});
export type Pool = z.infer<typeof Pool>;

export const volumeUses = ["filesystem", "disk"] as const;
export const VolumeUse = z.enum(volumeUses);

export const VolumeAttachment = z.object({
  guestId: z.string(),
  guestName: z.string(),
  /** A container's mount path, or a VM's device (vdb…). */
  target: z.string(),
  readOnly: z.boolean(),
});

export const Volume = z.object({
  id: z.string(),
  name: z.string(),
  pool: z.string(),
  /** filesystem: a container volume (ext4 in a raw file); disk: a VM disk (qcow2). */
  use: VolumeUse,
  format: z.enum(["raw", "qcow2"]),
  capacityBytes: z.number(),
  /** Bytes the volume takes in its pool now (sparse files take less than their capacity). */
  allocationBytes: z.number().nullable(),
  createdAt: z.string(),
  attachedTo: z.array(VolumeAttachment),
});
export type Volume = z.infer<typeof Volume>;

export const CreateVolumeBody = z.strictObject({
  name: VolumeName,
  /** A whole number of GiB, 1–16384. */
  sizeGiB: z.number().int().min(1, "sizeGiB is at least 1").max(16384, "sizeGiB is at most 16384"),
  /** Omitted: Tandem's default pool. */
  pool: PoolName.optional(),
  use: VolumeUse.default("filesystem"),
});
export type CreateVolumeBody = z.infer<typeof CreateVolumeBody>;

export const VolumeIdParam = z.object({ id: z.string().min(1).max(200) });
export const GuestVolumeParams = z.object({ id: z.string().min(1).max(200), volumeId: z.string().min(1).max(200) });

/** A path inside a container: absolute, normalized, not / and not under /proc, /sys or /dev. */
export const ContainerPath = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0]*$/, "path must be absolute")
  .refine((p) => !p.split("/").some((s) => s === ".." || s === "."), "path may not contain . or .. segments")
  .refine((p) => !/^\/(proc|sys|dev)(\/|$)/.test(p), "path may not be under /proc, /sys or /dev");

/** A named volume mounted into a container (create body `volumes` and POST /guests/{id}/volumes). */
export const VolumeMount = z.strictObject({
  /** The volume's id or name. */
  volume: z.string().min(1).max(200),
  path: ContainerPath,
  readOnly: z.boolean().optional(),
});
export type VolumeMount = z.infer<typeof VolumeMount>;

/** A host directory bound into a container; only under an admin's TANDEM_BIND_MOUNT_ROOTS. */
export const BindMount = z.strictObject({
  hostPath: z.string().min(2).max(4096).regex(/^\//, "hostPath must be absolute"),
  path: ContainerPath,
  readOnly: z.boolean().optional(),
});
export type BindMount = z.infer<typeof BindMount>;

/** A new VM disk (create body `disks` and POST /guests/{id}/disks): a fresh volume, or an existing one. */
export const NewDisk = z.union([
  z.strictObject({
    sizeGiB: z.number().int().min(1, "sizeGiB is at least 1").max(16384, "sizeGiB is at most 16384"),
    pool: PoolName.optional(),
  }),
  z.strictObject({ volume: z.string().min(1).max(200) }),
]);
export type NewDisk = z.infer<typeof NewDisk>;

/** One disk of a VM as the guest page lists it (the root disk included). */
export const GuestDisk = z.object({
  /** vda, vdb, … */
  target: z.string(),
  /** The Volume id for disks Tandem keeps as volumes; null for the root disk Tandem made with the VM. */
  volumeId: z.string().nullable(),
  pool: z.string().nullable(),
  path: z.string(),
  capacityBytes: z.number(),
  readOnly: z.boolean(),
});
export type GuestDisk = z.infer<typeof GuestDisk>;

export const ResizeDiskBody = z.strictObject({ sizeGiB: z.number().int().min(1).max(16384) });
export const MoveDiskBody = z.strictObject({ pool: PoolName });

export const PoolList = z.object({ pools: z.array(Pool) });
export const VolumeList = z.object({ volumes: z.array(Volume) });
export const VolumeResponse = z.object({ volume: Volume });
export const GuestDiskList = z.object({ disks: z.array(GuestDisk) });

/** POST/DELETE /guests/{id}/volumes answer: the volume as it is now, and when the change applies. */
export const GuestVolumeResponse = z.object({
  volume: Volume,
  /** Containers mount and unmount volumes at their next start; this says so. */
  message: z.string(),
});
