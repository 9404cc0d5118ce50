// The storage port: what a backend that owns storage pools (the VM driver's libvirt pools) offers
// the storage service and the disk/volume code above it. Volumes are addressed by their path
// (a dir pool's file, a logical pool's /dev node), which is also their key in Tandem's Volume
// rows, so a row never depends on how a backend names things inside a pool.

export type VolumeFormat = "raw" | "qcow2";

export interface StoragePool {
  name: string;
  /** libvirt's pool type: dir, logical, fs, netfs, … */
  type: string;
  state: "running" | "inactive" | "building" | "degraded" | "inaccessible";
  /** Where the pool's volumes appear on the host; null when it has no target path. */
  path: string | null;
  capacityBytes: number;
  allocationBytes: number;
  availableBytes: number;
  /** Tandem's own default pool. */
  isDefault: boolean;
  volumeCount: number;
}

export interface StorageVolume {
  /** The backend's name for it inside its pool. */
  name: string;
  pool: string;
  path: string;
  capacityBytes: number;
  allocationBytes: number;
}

export interface NewVolume {
  pool: string;
  /** The backend's name inside the pool (unique there). */
  name: string;
  capacityBytes: number;
  format: VolumeFormat;
  /**
   * full: every byte allocated now (a container volume's size limit then never needs host
   * space later); sparse: only what is written takes space (VM disks, qcow2).
   */
  allocation: "full" | "sparse";
}

export interface StorageBackend {
  /** The pool new volumes go to when none is named. */
  readonly defaultPool: string;
  /** Makes Tandem's default pool exist, persistent, autostarted and running (idempotent). */
  ensureDefaultPool(): Promise<void>;
  /** Every pool the backend has (Tandem's and adopted ones), refreshed. */
  listPools(): Promise<StoragePool[]>;
  /** Refuses (INSUFFICIENT_RESOURCES naming the pool) when the pool cannot hold `capacityBytes`. */
  createVolume(v: NewVolume): Promise<StorageVolume>;
  /** Deletes the volume at `path`; a volume already gone is no error. */
  deleteVolume(path: string): Promise<void>;
  /** The volume at `path`, or null when the backend has none there. */
  volumeAt(path: string): Promise<StorageVolume | null>;
  /** Grows the volume to `capacityBytes` (never shrinks: VALIDATION). */
  resizeVolume(path: string, capacityBytes: number): Promise<StorageVolume>;
  /** A copy of the volume at `path` as a new volume `name` in `pool` (format converted if asked). */
  copyVolume(path: string, pool: string, name: string, format?: VolumeFormat): Promise<StorageVolume>;
}

/** A named volume mounted into a container, as the storage service resolves it for the driver. */
export interface ResolvedVolume {
  volumeId: string;
  name: string;
  /** The volume's file (raw, ext4 inside) on this host. */
  path: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

/** A host directory bound into a container, checked against TANDEM_BIND_MOUNT_ROOTS. */
export interface ResolvedBind {
  /** The allow-listed root it lies under; the driver opens hostPath beneath it again at each start. */
  root: string;
  /** hostPath relative to root (no symlink on the way, checked). */
  relative: string;
  target: string;
  readOnly: boolean;
}

/**
 * A driver that mounts file-system volumes into its guests (containers): it makes the file
 * system of a new `filesystem` volume, keeps each guest's mounts for its next start, and says
 * which volume files are mounted right now (a volume detached from a running container stays
 * mounted until it stops, and must not be given to a writer meanwhile).
 */
export interface VolumeMountCapable {
  makeFilesystem(volumePath: string): Promise<void>;
  setMounts(id: string, mounts: { volumes: ResolvedVolume[]; binds?: ResolvedBind[] }): Promise<void>;
  mountedVolumes(): Promise<{ path: string; guestId: string }[]>;
  /** Each bind opened beneath its root with no symlink followed; VALIDATION naming binds[i].hostPath. */
  checkBinds(binds: ResolvedBind[]): void;
}
