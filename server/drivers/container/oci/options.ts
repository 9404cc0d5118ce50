// What the container driver is configured with (server/main.ts from TANDEM_* settings; tests and
// benchmarks with names of their own so nothing of a real Tandem is touched).
import type { Logger } from "../../../domain/logger";

export interface ContainerDriverOptions {
  hostId: string;
  dataDir: string;
  logger?: Logger;
  /** IPv4 CIDR for container addresses (default 10.89.0.0/24). */
  subnet?: string;
  runtimePath?: string;
  /** Host bridge name (default tandem0). */
  bridge?: string;
  /** nftables tables (ip and bridge family) Tandem owns for its bridge (default tandem). */
  nftTable?: string;
  /** Host ports containers may publish (TANDEM_PUBLISH_PORT_RANGE, default 1024-65535). */
  publishPortRange?: { first: number; last: number };
  /** Tandem's own port (TANDEM_PORT): never published, whatever the range says. */
  tandemPort?: number;
  /** Cgroup parent under each hierarchy (default tandem). */
  cgroupParent?: string;
  /** Prefix of per-container netns names (default tandem-). */
  netnsPrefix?: string;
  /** Grace period of `shutdown` before SIGKILL (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Writable-layer size when the create body names none (TANDEM_CONTAINER_DISK_GIB, default 4). */
  containerDiskGiB?: number;
  /** Free space a container's disk must leave on the data dir's file system (default 2 GiB). */
  diskReserveBytes?: number;
  /**
   * Benchmark baseline only (never set from configuration or the API): `false` creates
   * containers without a user namespace (root is host root) / without a size-limited layer.
   */
  userNamespace?: boolean;
  diskQuota?: boolean;
}
