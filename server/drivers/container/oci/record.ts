// The container's own record on disk (`${dataDir}/containers/<uuid>/state.json`): its schema,
// read and write. The directory is the truth Tandem re-adopts from after a restart, so the record
// is validated with zod when read and written atomically (write + rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { BindRecord, VolumeRecord } from "./volumes";

export const PortRecord = z.object({
  hostPort: z.number().int(),
  guestPort: z.number().int(),
  protocol: z.enum(["tcp", "udp"]),
});
export type PortRecord = z.infer<typeof PortRecord>;

export const ContainerRecord = z.object({
  version: z.literal(1),
  uuid: z.string(),
  id: z.string(),
  name: z.string(),
  image: z.string().nullable(),
  /** Overlay lower dirs, top layer first. */
  lowerDirs: z.array(z.string()),
  createdAt: z.string(),
  vcpus: z.number(),
  memoryMiB: z.number(),
  pidsLimit: z.number().nullable(),
  restartPolicy: z.enum(["no", "on-failure", "always"]),
  ports: z.array(PortRecord),
  network: z.object({
    mode: z.enum(["bridge", "none"]),
    netns: z.string().nullable(),
    hostVeth: z.string().nullable(),
    ip: z.string().nullable(),
  }),
  /**
   * NICs on Tandem networks (issue 12), in order (eth0, eth1 …): each a veth whose host end joins
   * the network's bridge, with the static address Tandem gave it. A container with nics has
   * network mode "none" (no NIC on Tandem's own container bridge).
   */
  nics: z
    .array(
      z.object({
        networkId: z.string(),
        bridge: z.string(),
        mac: z.string(),
        ip: z.string(),
        prefix: z.number().int(),
        gateway: z.string(),
        hostVeth: z.string(),
        /** ethN inside the container; the list position in records made before hotplug. */
        index: z.number().int().min(0).max(7).optional(),
      }),
    )
    .default([]),
  /** What the user last asked for; the restart policy acts only while this is "running". */
  desired: z.enum(["running", "stopped"]),
  /** Set while create() has not finished. */
  creating: z.boolean(),
  restartCount: z.number().int(),
  oomKills: z.number().int(),
  /** The image's ExposedPorts ("80/tcp"), for the UI to suggest publishing. */
  exposedPorts: z.array(z.string()).default([]),
  stopSignal: z.string().default("TERM"),
  lastExit: z
    .object({ code: z.number().int(), at: z.string(), oomKilled: z.boolean(), byUser: z.boolean() })
    .nullable(),
  /**
   * The host ids the container's user namespace maps its ids 0..size-1 to (uids and gids alike);
   * kept across restarts, freed with the record. null: no user namespace (containers made
   * before user namespaces, or the benchmark's baseline).
   */
  idRange: z.object({ start: z.number().int().positive(), size: z.number().int().positive() }).nullable().default(null),
  /** Size of the writable layer's own file system (disk.ext4); null: no limit (upper/ in the dir). */
  diskGiB: z.number().int().positive().nullable().default(null),
  /** Named volumes mounted at each start (volumes.ts), as the storage service last set them. */
  volumes: z.array(VolumeRecord).optional(),
  /** Host directories bound in at each start, each under an allow-listed root (volumes.ts). */
  binds: z.array(BindRecord).optional(),
});
export type ContainerRecord = z.infer<typeof ContainerRecord>;

export function readRecord(file: string): ContainerRecord {
  return ContainerRecord.parse(JSON.parse(readFileSync(file, "utf8")));
}

export function writeRecord(file: string, rec: ContainerRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2));
  renameSync(tmp, file);
}
