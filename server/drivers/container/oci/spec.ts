// Builds the OCI runtime spec (config.json) from an image config plus the user's choices. Pure:
// no file system access, so every default (masked paths, limits) is unit-tested; what is read from
// the host (Podman's capabilities, seccomp filter, nofile limit) comes in as `confinement`.
import { z } from "zod";
import type { SeccompProfile } from "./seccomp";

/** The parts of an OCI/Docker image config that shape a container. */
export const ImageConfig = z
  .object({
    config: z
      .object({
        Entrypoint: z.array(z.string()).nullish(),
        Cmd: z.array(z.string()).nullish(),
        Env: z.array(z.string()).nullish(),
        WorkingDir: z.string().nullish(),
        User: z.string().nullish(),
        ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
        Labels: z.record(z.string(), z.string()).nullish(),
        StopSignal: z.string().nullish(),
      })
      .loose()
      .nullish(),
  })
  .loose();
export type ImageConfig = z.infer<typeof ImageConfig>;

/** Docker's default masked and read-only paths (moby/oci/defaults.go). */
export const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
] as const;
export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"] as const;

/**
 * crun loads this BPF program instead of compiling `linux.seccomp` with libseccomp on every
 * create (+30 ms per architecture for Podman's profile with crun 1.8.1). `linux.seccomp` stays in
 * the spec as the readable source of the program, and is what a crun without the annotation uses.
 */
export const SECCOMP_BPF_ANNOTATION = "run.oci.seccomp_bpf_data";

/** Podman's default pids limit (containers.conf `pids_limit`), used when the user sets none. */
export const DEFAULT_PIDS_LIMIT = 2048;

/** What every container is confined by beyond its namespaces (built by confinement.ts). */
export interface Confinement {
  /** Bounding = effective = permitted; none inheritable or ambient. */
  capabilities: string[];
  /** Required: Tandem does not run containers unconfined. */
  seccomp: SeccompProfile;
  /** `seccomp` compiled once (base64 BPF, byte-identical to crun's own compilation of it). */
  seccompBpf: string;
  nofile: { soft: number; hard: number };
  /** Namespaced sysctls every container gets (containers.conf `default_sysctls`). */
  sysctl: Record<string, string>;
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const CPU_PERIOD_US = 100_000;
/** tini goes on a tmpfs (/dev) so the image's own files are never shadowed or written. */
export const INIT_PATH = "/dev/init";

export interface SpecInput {
  image: ImageConfig;
  rootfs: string;
  hostname: string;
  command?: string[];
  env?: string[];
  workingDir?: string;
  vcpus: number;
  memoryMiB: number;
  /** null/absent: DEFAULT_PIDS_LIMIT. */
  pidsLimit?: number | null;
  tiniPath: string;
  /** Path of the network namespace to join; null makes a fresh one with only loopback. */
  netnsPath: string | null;
  cgroupsPath: string;
  /** Host files bind-mounted read-only at /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** uid:gid resolved from the image's User (done by the caller, which can read /etc/passwd). */
  user: { uid: number; gid: number; additionalGids?: number[] };
  /** Host supports memory+swap limits (v1 memsw or v2 swap.max). */
  swapAccounting: boolean;
  annotations?: Record<string, string>;
  /**
   * A user namespace mapping the container's ids 0..size-1 to host ids start..start+size-1
   * (uids and gids alike); absent: no user namespace (container root is host root).
   */
  userns?: { start: number; size: number } | null;
  confinement: Confinement;
  terminalSize?: { rows: number; cols: number };
}

export interface OciProcess {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Record<"bounding" | "effective" | "permitted" | "inheritable" | "ambient", string[]>;
  rlimits: { type: string; hard: number; soft: number }[];
  noNewPrivileges: boolean;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  annotations: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: {
      devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
      memory?: { limit: number; swap?: number };
      cpu?: { quota: number; period: number };
      pids?: { limit: number };
    };
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: SeccompProfile;
    sysctl?: Record<string, string>;
    devices?: unknown[];
    uidMappings?: { containerID: number; hostID: number; size: number }[];
    gidMappings?: { containerID: number; hostID: number; size: number }[];
  };
}

/** Entrypoint + Cmd the way Docker combines them; a user command replaces Cmd only. */
export function resolveArgs(image: ImageConfig, command?: string[]): string[] {
  const entry = image.config?.Entrypoint ?? [];
  const cmd = command && command.length > 0 ? command : (image.config?.Cmd ?? []);
  const args = [...entry, ...cmd];
  return args.length > 0 ? args : ["/bin/sh"];
}

/** Image env, then user env; later entries win by name. PATH and TERM get defaults. */
export function mergeEnv(imageEnv: string[], userEnv: string[], hostname: string): string[] {
  const map = new Map<string, string>();
  map.set("PATH", `PATH=${DEFAULT_PATH}`);
  for (const e of [...imageEnv, ...userEnv, `HOSTNAME=${hostname}`]) {
    const i = e.indexOf("=");
    if (i <= 0) continue;
    map.set(e.slice(0, i), e);
  }
  if (!map.has("TERM")) map.set("TERM", "TERM=xterm");
  return [...map.values()];
}

export function capabilitySet(capabilities: readonly string[]): OciProcess["capabilities"] {
  const caps = [...capabilities];
  return { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
}

// The devices every container gets (runc's default allow list, same as Docker's).
const DEVICE_RULES: OciSpec["linux"]["resources"]["devices"] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 136, access: "rwm" }, // pts
];

export function buildSpec(input: SpecInput): OciSpec {
  const image = input.image;
  const args = resolveArgs(image, input.command);
  const memoryBytes = input.memoryMiB * 1024 * 1024;
  const resources: OciSpec["linux"]["resources"] = {
    devices: DEVICE_RULES.map((d) => ({ ...d })),
    memory: input.swapAccounting ? { limit: memoryBytes, swap: memoryBytes } : { limit: memoryBytes },
    cpu: { quota: Math.round(input.vcpus * CPU_PERIOD_US), period: CPU_PERIOD_US },
  };
  resources.pids = { limit: input.pidsLimit ?? DEFAULT_PIDS_LIMIT };
  const namespaces: OciSpec["linux"]["namespaces"] = [
    { type: "pid" },
    { type: "mount" },
    { type: "uts" },
    { type: "ipc" },
    input.netnsPath ? { type: "network", path: input.netnsPath } : { type: "network" },
    // The container sees its own cgroup as the root of every hierarchy, not the host's paths.
    { type: "cgroup" },
  ];
  // User namespace: container root is an unprivileged host uid. Its network namespace must be
  // created by crun inside it (a netns owned by the host's user namespace makes the sysfs mount
  // fail and crun falls back to binding the host's /sys), so the caller passes no netnsPath.
  const userns = input.userns
    ? {
        uidMappings: [{ containerID: 0, hostID: input.userns.start, size: input.userns.size }],
        gidMappings: [{ containerID: 0, hostID: input.userns.start, size: input.userns.size }],
      }
    : {};
  if (input.userns) namespaces.push({ type: "user" });
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: true,
      ...(input.terminalSize
        ? { consoleSize: { height: input.terminalSize.rows, width: input.terminalSize.cols } }
        : {}),
      user: input.user,
      // tini reaps zombies and forwards signals; `-s` would be needed only without PID 1.
      args: [INIT_PATH, "--", ...args],
      env: mergeEnv(image.config?.Env ?? [], input.env ?? [], input.hostname),
      cwd: input.workingDir || image.config?.WorkingDir || "/",
      capabilities: capabilitySet(input.confinement.capabilities),
      rlimits: [{ type: "RLIMIT_NOFILE", ...input.confinement.nofile }],
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      {
        destination: "/sys/fs/cgroup",
        type: "cgroup",
        source: "cgroup",
        options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
      },
      { destination: INIT_PATH, type: "bind", source: input.tiniPath, options: ["bind", "ro", "nosuid", "nodev"] },
      { destination: "/etc/hostname", type: "bind", source: input.etcFiles.hostname, options: ["bind", "ro"] },
      { destination: "/etc/hosts", type: "bind", source: input.etcFiles.hosts, options: ["bind", "ro"] },
      { destination: "/etc/resolv.conf", type: "bind", source: input.etcFiles.resolvConf, options: ["bind", "ro"] },
    ],
    // Set last: no caller-supplied annotation may replace the filter.
    annotations: { ...(input.annotations ?? {}), [SECCOMP_BPF_ANNOTATION]: input.confinement.seccompBpf },
    linux: {
      namespaces,
      ...userns,
      cgroupsPath: input.cgroupsPath,
      resources,
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      ...(Object.keys(input.confinement.sysctl).length ? { sysctl: { ...input.confinement.sysctl } } : {}),
      seccomp: input.confinement.seccomp,
    },
  };
}

/** The process spec for `crun exec`: same user, env and capabilities as the container. */
export function buildExecProcess(base: OciProcess, cmd: string[], size: { rows: number; cols: number }): OciProcess {
  return {
    ...base,
    terminal: true,
    consoleSize: { height: size.rows, width: size.cols },
    args: cmd,
  };
}

/** Resolves an image's User ("", "name", "uid", "uid:gid", "name:group") against passwd/group. */
export function resolveUser(
  user: string | null | undefined,
  passwd: string,
  group: string,
): { uid: number; gid: number } {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(":", 2) as [string, string | undefined];
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const line = passwd.split("\n").find((l) => l.split(":")[2] === u);
    if (line) gid = Number(line.split(":")[3] ?? 0);
  } else {
    const line = passwd.split("\n").find((l) => l.split(":")[0] === u);
    if (!line) throw new Error(`user '${u}' is not in the image's /etc/passwd`);
    const f = line.split(":");
    uid = Number(f[2]);
    gid = Number(f[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const line = group.split("\n").find((l) => l.split(":")[0] === g);
      if (!line) throw new Error(`group '${g}' is not in the image's /etc/group`);
      gid = Number(line.split(":")[2]);
    }
  }
  return { uid, gid };
}
