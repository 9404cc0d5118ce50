// The create planner, pure: a create body checked against the host's size, the other containers
// (names, published ports) and the driver's settings, and turned into the container's first
// record. Nothing here touches the host, so every refusal is unit-tested (create-plan.test.ts).
import type { GuestSpec } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import type { ImageLayers } from "./image-layout";
import type { ContainerRecord } from "./record";

export interface HostLimits {
  cpuCount: number;
  memTotalBytes: number;
}

export interface CreateRules {
  host: HostLimits;
  /** Host ports containers may publish (TANDEM_PUBLISH_PORT_RANGE). */
  publishPortRange: { first: number; last: number };
  /** Tandem's own port: never published. */
  tandemPort?: number;
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Throws VALIDATION, INSUFFICIENT_RESOURCES or CONFLICT for a body this host cannot create. */
export function validateCreate(
  spec: GuestSpec<"container">,
  rules: CreateRules,
  others: readonly ContainerRecord[],
): void {
  if (spec.kind !== "container") throw new AppError("VALIDATION", "the container driver only creates containers");
  const img = spec.resolvedImage;
  if (!img || img.kind !== "container" || img.format !== "oci") {
    throw new AppError("VALIDATION", `image '${spec.image}' is not a container image`);
  }
  const { host } = rules;
  if (spec.vcpus > host.cpuCount) {
    throw new AppError(
      "INSUFFICIENT_RESOURCES",
      `a CPU limit of ${spec.vcpus} cores exceeds this host's ${host.cpuCount} CPUs`,
    );
  }
  const hostMiB = Math.floor(host.memTotalBytes / 1024 / 1024);
  if (spec.memoryMiB > hostMiB) {
    throw new AppError(
      "INSUFFICIENT_RESOURCES",
      `a memory limit of ${spec.memoryMiB} MiB exceeds this host's ${hostMiB} MiB`,
    );
  }
  for (const r of others) {
    if (r.name === spec.name) throw new AppError("CONFLICT", `a container named '${spec.name}' already exists`);
  }
  const seen = new Set<string>();
  const range = rules.publishPortRange;
  for (const p of spec.ports ?? []) {
    const key = `${p.protocol ?? "tcp"}/${p.hostPort}`;
    if (seen.has(key)) throw new AppError("VALIDATION", `host port ${key} is published twice`);
    if (p.hostPort < range.first || p.hostPort > range.last) {
      throw new AppError(
        "VALIDATION",
        `host port ${key} is outside the ports containers may publish (${range.first}-${range.last}, TANDEM_PUBLISH_PORT_RANGE)`,
      );
    }
    if (p.hostPort === rules.tandemPort) throw new AppError("CONFLICT", `host port ${key} is Tandem's own port`);
    seen.add(key);
    for (const r of others) {
      if (r.ports.some((q) => q.hostPort === p.hostPort && q.protocol === (p.protocol ?? "tcp"))) {
        throw new AppError("CONFLICT", `host port ${key} is already published by container '${r.name}'`);
      }
    }
  }
  if (spec.workingDir && !spec.workingDir.startsWith("/")) {
    throw new AppError("VALIDATION", "workingDir must be an absolute path");
  }
  if (spec.hostname && !HOSTNAME.test(spec.hostname)) {
    throw new AppError("VALIDATION", `'${spec.hostname}' is not a valid hostname`);
  }
}

/** Throws VALIDATION for CPU or memory limits this host cannot give (resize). */
export function validateLimits(size: { vcpus?: number; memoryMiB?: number }, host: HostLimits): void {
  if (size.vcpus !== undefined && (size.vcpus < 0.1 || size.vcpus > host.cpuCount)) {
    throw new AppError("VALIDATION", `a CPU limit must be between 0.1 and ${host.cpuCount} cores`);
  }
  if (size.memoryMiB !== undefined && size.memoryMiB * 1024 * 1024 > host.memTotalBytes) {
    throw new AppError("VALIDATION", "the memory limit exceeds this host's memory");
  }
}

/** The uuid the service chose (when it looks like one), else a new one from `fresh`. */
export function uuidFor(spec: GuestSpec<"container">, fresh: () => string): string {
  const given = (spec as GuestSpec<"container"> & { uuid?: unknown }).uuid;
  return typeof given === "string" && /^[a-zA-Z0-9-]{1,64}$/.test(given) ? given : fresh();
}

/** The body's hostname, else the name with what a hostname cannot hold replaced. */
export function hostnameFor(spec: GuestSpec<"container">): string {
  return spec.hostname || spec.name.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 63);
}

/** The image's StopSignal ("SIGQUIT", "QUIT", "3") as crun understands it; TERM otherwise. */
export function stopSignalOf(sig: string | null | undefined): string {
  if (!sig) return "TERM";
  const s = sig.trim().toUpperCase().replace(/^SIG/, "");
  return /^([A-Z]{2,8}[0-9]?|RTMIN\+\d+|\d{1,2})$/.test(s) ? s : "TERM";
}

export interface RecordPlan {
  uuid: string;
  id: string;
  layers: ImageLayers;
  /** null: no size-limited layer (benchmark baseline only). */
  diskGiB: number | null;
  idRange: { start: number; size: number } | null;
  now: string;
}

/** The record a create starts with (`creating`, no address yet). */
export function planRecord(spec: GuestSpec<"container">, plan: RecordPlan): ContainerRecord {
  const config = plan.layers.config.config;
  return {
    version: 1,
    uuid: plan.uuid,
    id: plan.id,
    name: spec.name,
    image: spec.resolvedImage.id ?? spec.image,
    lowerDirs: plan.layers.lowerDirs,
    createdAt: plan.now,
    vcpus: spec.vcpus,
    memoryMiB: spec.memoryMiB,
    pidsLimit: spec.pidsLimit ?? null,
    restartPolicy: spec.restartPolicy ?? "no",
    ports: (spec.ports ?? []).map((p) => ({
      hostPort: p.hostPort,
      guestPort: p.guestPort,
      protocol: p.protocol ?? "tcp",
    })),
    // With nics, no NIC on Tandem's own bridge: the NICs are the container's network (addresses
    // are given by create.ts).
    network: {
      mode: spec.network === "none" || spec.resolvedNics?.length ? "none" : "bridge",
      netns: null,
      hostVeth: null,
      ip: null,
    },
    nics: [],
    desired: spec.start === false ? "stopped" : "running",
    creating: true,
    restartCount: 0,
    oomKills: 0,
    lastExit: null,
    exposedPorts: Object.keys(config?.ExposedPorts ?? {}),
    stopSignal: stopSignalOf(config?.StopSignal),
    idRange: plan.idRange,
    diskGiB: plan.diskGiB,
  };
}
