// Guest shapes shared by server and browser: what a VM or a container looks like on the wire.
import { z } from "zod";
import { NetworkId } from "./network";
import { BindMount, VolumeMount, NewDisk } from "./storage";

export const guestKinds = ["vm", "container"] as const;
export const GuestKind = z.enum(guestKinds);
export type GuestKind = z.infer<typeof GuestKind>;

export const guestStates = ["creating", "running", "paused", "stopped", "shutting-down", "crashed", "unknown"] as const;
export const GuestState = z.enum(guestStates);
export type GuestState = z.infer<typeof GuestState>;

export const guestActions = ["start", "shutdown", "stop", "reboot", "pause", "resume"] as const;
export const GuestAction = z.enum(guestActions);
export type GuestAction = z.infer<typeof GuestAction>;

/**
 * How each kind counts CPUs: a VM has whole virtual CPUs; a container has a CPU limit in cores,
 * fractions allowed (0.5 = half a core). The API refuses a fractional VM count; forms step by it.
 */
export const cpuUnits = {
  vm: { min: 1, step: 1, whole: true },
  container: { min: 0.1, step: 0.1, whole: false },
} as const satisfies Record<GuestKind, { min: number; step: number; whole: boolean }>;

/** A guest id as clients send it: `${hostId}.${kind}.${uuid}` (bounded, never parsed here). */
export const GuestId = z.string().min(1).max(200);
/** The `:id` of every /api/v1/guests/:id route. */
export const GuestIdParam = z.object({ id: GuestId });

/** Names become libvirt domain names, directory names and hostnames: keep them boring. */
export const GuestName = z
  .string()
  .min(1, "name is required")
  .max(63, "name must be at most 63 characters")
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    "name may contain letters, digits, '-', '_' and '.', and must start with a letter or digit",
  );

/** What this guest's backend offers beyond the basics; the UI shows only what is there. */
export const GuestCapabilities = z.object({
  vnc: z.boolean(),
  exec: z.boolean(),
  snapshots: z.boolean(),
  logs: z.boolean(),
  clone: z.boolean(),
  /** Rename the guest (its backend's own name, not just a label). */
  rename: z.boolean(),
  /** Change vCPUs / CPU limit and memory. */
  resize: z.boolean(),
  /** Rename and resize also while the guest runs (containers); false: only once it is stopped (VMs). */
  liveResize: z.boolean(),
});
export type GuestCapabilities = z.infer<typeof GuestCapabilities>;

export const Guest = z.object({
  id: z.string(),
  hostId: z.string(),
  kind: GuestKind,
  name: z.string(),
  state: GuestState,
  /** VMs: virtual CPUs. Containers: the CPU limit in cores (may be fractional, e.g. 0.5). */
  vcpus: z.number(),
  memoryMiB: z.number().int(),
  diskGiB: z.number().nullable(),
  image: z.string().nullable(),
  createdAt: z.string(),
  /** True when Tandem found the guest on the host rather than creating it. */
  adopted: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string(),
  ipAddresses: z.array(z.string()),
  capabilities: GuestCapabilities,
});
export type Guest = z.infer<typeof Guest>;

/** A name is taken within one host's guests of one kind: a VM and a container may share it. */
export const sameNameScope = (a: Pick<Guest, "hostId" | "kind">, b: Pick<Guest, "hostId" | "kind">) =>
  a.hostId === b.hostId && a.kind === b.kind;

export const PublishedPort = z.object({
  hostPort: z.number().int().min(1).max(65535),
  guestPort: z.number().int().min(1).max(65535),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
});

const EnvVar = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*=/, "env entries look like NAME=value");

export const CloudInit = z.object({
  hostname: z.string().max(63).optional(),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "not a valid user name")
    .optional(),
  password: z.string().min(1).max(256).optional(),
  sshKeys: z.array(z.string().max(16384)).max(32).optional(),
});

/** One NIC of a new guest: a Tandem network by id or name, and a fixed address (or DHCP). */
export const GuestNic = z.strictObject({ network: NetworkId, address: z.ipv4().optional() });
export type GuestNic = z.infer<typeof GuestNic>;

/** What every create body has, whatever the kind. */
const createCommon = {
  name: GuestName,
  image: z.string().min(1).max(200),
  /** VMs: whole virtual CPUs. Containers: a CPU limit in cores, fractions allowed (0.5 = half a core). */
  vcpus: z.number().min(0.1).max(256),
  memoryMiB: z
    .number()
    .int()
    .min(16)
    .max(4 * 1024 * 1024),
  diskGiB: z.number().int().min(1).max(65536).optional(),
  /** The older single-NIC choice; `nics` replaces it (never both). */
  network: z.enum(["isolated", "user", "none"]).optional(),
  /** NICs on Tandem networks, in order (the first is the guest's first NIC). */
  nics: z.array(GuestNic).min(1).max(8, "at most 8 NICs").optional(),
  start: z.boolean().optional(),
  tags: z.array(z.string().min(1).max(64)).max(32).optional(),
  /** The guest's host name (a VM's cloud-init hostname wins over it). */
  hostname: z.string().max(63).optional(),
  /**
   * VMs: more disks, vdb, vdc, … in order — a new volume ({sizeGiB, pool?}) or an unattached one
   * ({volume}). In both shapes (one type for both kinds) so a container's is refused by name below.
   */
  disks: z.array(NewDisk).max(25, "at most 25 disks").optional(),
  /**
   * Host ports for the guest. With `nics` (both kinds): port forwards to the first NIC
   * (contract/forwards.ts). A container without `nics`: published on Tandem's own bridge.
   */
  ports: z.array(PublishedPort).max(64).optional(),
};

/** A VM: a disk from the image (and `disks`), optionally a cloud-init seed. */
export const CreateVmBody = z.object({ kind: z.literal("vm"), ...createCommon, cloudInit: CloudInit.optional() });

/** A container: the image's process, or `command`, with its environment and published ports. */
export const CreateContainerBody = z.object({
  kind: z.literal("container"),
  ...createCommon,
  command: z.array(z.string().max(4096)).max(256).optional(),
  env: z.array(EnvVar).max(256).optional(),
  workingDir: z.string().max(4096).optional(),
  pidsLimit: z.number().int().min(8).max(1_000_000).optional(),
  restartPolicy: z.enum(["no", "on-failure", "always"]).optional(),
  /** Named volumes (contract/storage.ts) mounted at paths; kept when the container goes unless purged. */
  volumes: z.array(VolumeMount).max(32, "at most 32 volumes").optional(),
  /** Host directories bound in: only under the roots an admin allow-listed (TANDEM_BIND_MOUNT_ROOTS). */
  binds: z.array(BindMount).max(32, "at most 32 binds").optional(),
});

/**
 * Body of POST /api/v1/guests: one shape per kind, told apart by `kind`. A field of the other
 * kind is not part of the shape (dropped, as any unknown field), so code reads only its own.
 */
export const CreateGuestBody = z
  .discriminatedUnion("kind", [CreateVmBody, CreateContainerBody])
  .refine((b) => !cpuUnits[b.kind].whole || Number.isInteger(b.vcpus), {
    message: "a VM's vcpus must be a whole number",
    path: ["vcpus"],
  })
  .refine((b) => b.nics === undefined || b.network === undefined, {
    message: "give either nics or network, not both",
    path: ["nics"],
  })
  .refine((b) => b.kind !== "container" || b.disks === undefined, {
    message: "disks are VM disks; a container takes volumes",
    path: ["disks"],
  })
  // A VM's ports are forwards to its first NIC on a Tandem network: without nics there is none.
  .refine((b) => b.kind !== "vm" || !b.ports?.length || b.nics !== undefined, {
    message: "a VM's ports are forwarded to its first NIC on a Tandem network: give nics",
    path: ["ports"],
  });
export type CreateGuestBody = z.infer<typeof CreateGuestBody>;
export type CreateBodyOf<K extends GuestKind> = Extract<CreateGuestBody, { kind: K }>;

export const GuestActionBody = z.object({ action: GuestAction });

export const CloneGuestBody = z.object({
  name: GuestName,
  /** linked: a copy-on-write overlay on the source's disk (fast, small); full: an independent copy. */
  mode: z.enum(["linked", "full"]).default("linked"),
});

export const UpdateGuestBody = z.object({
  tags: z.array(z.string().min(1).max(64)).max(32).optional(),
  notes: z.string().max(16384).optional(),
  name: GuestName.optional(),
  vcpus: z.number().min(0.1).max(256).optional(),
  memoryMiB: z
    .number()
    .int()
    .min(16)
    .max(4 * 1024 * 1024)
    .optional(),
});
