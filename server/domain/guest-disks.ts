// The VM-disk capability a driver offers the disk service (services/guest-disks.ts): list a
// guest's disks, attach a pool volume as the next free virtio target, detach it, grow it under
// the running guest and point a stopped guest's disk at another volume (a move's switch). The
// volumes themselves (create, resize while stopped, copy, delete) are the storage backend's
// (domain/storage.ts); the service keeps the Volume/VolumeAttachment rows and runs each change.
/** A volume as a domain refers to it: its file (or device) and image format. */
export interface VolumeRef {
  path: string;
  format: "raw" | "qcow2";
}

/** One disk of a VM, from its live XML when it runs, else its config. */
export interface DriverDisk {
  /** vda, vdb, … */
  target: string;
  path: string;
  format: string | null;
  /** The size the guest sees. */
  capacityBytes: number;
  readOnly: boolean;
}

export interface DiskCapable {
  listDisks(id: string): Promise<DriverDisk[]>;
  /** Plugs the volume in as the next free vdX (live and config when running); returns the target. */
  attachDisk(id: string, volume: VolumeRef): Promise<{ target: string }>;
  /** Unplugs the disk (live and config when running); the volume itself is left alone. */
  detachDisk(id: string, target: string): Promise<void>;
  /**
   * Grows a running VM's disk to `bytes` under the guest (it sees the new size at once); never
   * shrinks (VALIDATION); INVALID_STATE when the VM is not running (grow its volume instead).
   */
  growDiskLive(id: string, target: string, bytes: number): Promise<void>;
  /**
   * The guests whose disks rest on this file (linked clones of this VM): while there is any,
   * the file may not be moved, grown or deleted.
   */
  diskClones(id: string, path: string): Promise<{ id: string; name: string }[]>;
  /** Points a stopped VM's disk `target` at another volume (same target and alias); INVALID_STATE while it runs. */
  switchDisk(id: string, target: string, to: VolumeRef): Promise<void>;
}

/** Generic over the driver type: driver.ts imports VolumeRef from here, so no import back. */
export const canDisks = <D extends object>(d: D): d is D & DiskCapable =>
  typeof (d as Partial<DiskCapable>).attachDisk === "function";
