// Where a container's things live, by Tandem's naming: its directory under
// `${dataDir}/containers/<uuid>/` (paths below), conmon's exit file and socket link under
// `${dataDir}/run/`, crun's id `tandem-<uuid>`, its cgroup `/<cgroupParent>/<uuid>`, and the
// directory a delete without purge keeps the writable layer in. Names only: nothing is read here
// but directory listings.
import { readdirSync } from "node:fs";
import path from "node:path";

/** crun ids (and so conmon's exit file names) are `tandem-<uuid>`. */
export const RUNTIME_PREFIX = "tandem-";

/** A container directory's name: the uuid (what the re-adoption scan and the sweep accept). */
export const UUID_NAME = /^[a-zA-Z0-9-]{1,64}$/;

export interface ContainerPaths {
  dir: string;
  record: string;
  bundle: string;
  config: string;
  rootfs: string;
  /** overlay's upper dir when the container has no disk image (else it is on the image). */
  upper: string;
  log: string;
  pidFile: string;
  conmonPidFile: string;
  attach: string;
  ctl: string;
  etc: string;
  /** The writable layer's preallocated ext4 image and its mount point (upper/, work/ inside). */
  diskImage: string;
  layer: string;
  /** Short-lived mount points of the idmapped lower layers while the overlay is mounted. */
  lowerBinds: string;
}

export function containerPaths(containersDir: string, uuid: string): ContainerPaths {
  const dir = path.join(containersDir, uuid);
  const bundle = path.join(dir, "bundle");
  return {
    dir,
    record: path.join(dir, "state.json"),
    bundle,
    config: path.join(bundle, "config.json"),
    rootfs: path.join(dir, "rootfs"),
    upper: path.join(dir, "upper"),
    log: path.join(dir, "ctr.log"),
    pidFile: path.join(dir, "pid"),
    conmonPidFile: path.join(dir, "conmon.pid"),
    // conmon puts the attach socket and the ctl fifo in the bundle directory.
    attach: path.join(bundle, "attach"),
    ctl: path.join(bundle, "ctl"),
    etc: path.join(dir, "etc"),
    diskImage: path.join(dir, "disk.ext4"),
    layer: path.join(dir, "layer"),
    lowerBinds: path.join(dir, "lower"),
  };
}

/** Container uuids with a directory under containersDir (the re-adoption scan). */
export function listContainerDirs(containersDir: string): string[] {
  try {
    return readdirSync(containersDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && UUID_NAME.test(d.name))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** One driver's naming: its data directory's parts and its cgroup parent. */
export class ContainerLayout {
  readonly containersDir: string;
  readonly exitDir: string;
  readonly socketDir: string;
  /** What a delete without purge keeps (writable layer, log, record), one directory per uuid. */
  readonly keptDir: string;

  constructor(
    dataDir: string,
    readonly cgroupParent: string,
  ) {
    this.containersDir = path.join(dataDir, "containers");
    this.exitDir = path.join(dataDir, "run", "exits");
    this.socketDir = path.join(dataDir, "run", "sockets");
    this.keptDir = path.join(dataDir, "kept-containers");
  }

  paths(uuid: string): ContainerPaths {
    return containerPaths(this.containersDir, uuid);
  }

  runtimeId(uuid: string): string {
    return `${RUNTIME_PREFIX}${uuid}`;
  }

  /** The uuid of a crun id or exit file name of ours; null for anything else. */
  uuidOfRuntimeId(name: string): string | null {
    if (!name.startsWith(RUNTIME_PREFIX)) return null;
    const uuid = name.slice(RUNTIME_PREFIX.length);
    return UUID_NAME.test(uuid) ? uuid : null;
  }

  exitFile(uuid: string): string {
    return path.join(this.exitDir, this.runtimeId(uuid));
  }

  /** conmon's link to the bundle under --socket-dir-path. */
  socketLink(uuid: string): string {
    return path.join(this.socketDir, this.runtimeId(uuid));
  }

  cgroupRel(uuid: string): string {
    return `/${this.cgroupParent}/${uuid}`;
  }

  keptPath(uuid: string): string {
    return path.join(this.keptDir, uuid);
  }
}
