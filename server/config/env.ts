// Environment parsed once with zod at start-up; everything else receives a typed Config.
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

/** "a, b,,c" → ["a", "b", "c"] */
const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    );

const EnvSchema = z.object({
  TANDEM_HOST: z.string().min(1).default("127.0.0.1"),
  TANDEM_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  TANDEM_DATA_DIR: z.string().min(1).default("./data"),
  TANDEM_DRIVERS: commaList("libvirt,oci").pipe(z.array(z.enum(["libvirt", "oci", "fake"])).min(1)),
  TANDEM_LIBVIRT_URI: z.string().min(1).default("qemu:///system"),
  /** Containers get addresses from this IPv4 /16–/30 on a host bridge with no uplink. */
  TANDEM_CONTAINER_SUBNET: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2\d|30)$/, "an IPv4 CIDR such as 10.89.0.0/24")
    .default("10.89.0.0/24"),
  TANDEM_CONTAINER_BRIDGE: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,15}$/, "a network interface name (15 characters at most)")
    .default("tandem0"),
  TANDEM_VM_ACCEL: z.enum(["kvm", "qemu", "auto"]).default("auto"),
  TANDEM_ADMIN_PASSWORD: z.string().min(8).optional(),
  TANDEM_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  TANDEM_DEV: bool,
  /** Number of guests the fake driver starts with (UI and scale work). */
  TANDEM_FAKE_GUESTS: z.coerce.number().int().min(0).max(100_000).default(0),
  TANDEM_SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 7),
  TANDEM_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024 * 1024),
  /** What one image import may unpack in total (staging and every layer); default 4 × the upload cap. */
  TANDEM_MAX_UNPACKED_BYTES: z.coerce.number().int().positive().optional(),
  /** HTTPS on the same port: both paths set, or neither. */
  TANDEM_TLS_CERT: z.string().min(1).optional(),
  TANDEM_TLS_KEY: z.string().min(1).optional(),
  /** Reverse proxies (IPs or IPv4 CIDRs, comma-separated) whose X-Forwarded-For/-Proto are believed. */
  TANDEM_TRUSTED_PROXIES: commaList(""),
  /** API tokens expire after this many days unless created with another lifetime. */
  TANDEM_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Free space kept on the data directory's file system for the database and the host. */
  TANDEM_DISK_RESERVE_MIB: z.coerce.number().int().min(0).default(2048),
  /** Size of a container's writable layer when the create request names none. */
  TANDEM_CONTAINER_DISK_GIB: z.coerce.number().int().min(1).max(65536).default(4),
  /** Host ports that guests may publish ("first-last"); privileged ports stay the host's. */
  TANDEM_PUBLISH_PORT_RANGE: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, "a range such as 1024-65535")
    .default("1024-65535"),
  /**
   * Host directories (absolute, comma-separated) under which containers may get bind mounts;
   * none by default, so no host path reaches a container unless an admin names its root.
   */
  TANDEM_BIND_MOUNT_ROOTS: commaList("").refine((l) => l.every((p) => p.startsWith("/") && p !== "/"), {
    message: "absolute directories other than /",
  }),
  /** Build the Next app in-process? Off for API-only test servers. */
  TANDEM_UI: z.enum(["on", "off"]).default("on"),
  DATABASE_URL: z.string().optional(),
});

export type Config = {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  drivers: ("libvirt" | "oci" | "fake")[];
  libvirtUri: string;
  containerSubnet: string;
  containerBridge: string;
  vmAccel: "kvm" | "qemu" | "auto";
  adminPassword: string | undefined;
  logLevel: string;
  dev: boolean;
  fakeGuests: number;
  sessionTtlMs: number;
  maxUploadBytes: number;
  maxUnpackedBytes: number;
  ui: boolean;
  tls: { certPath: string; keyPath: string } | null;
  trustedProxies: string[];
  tokenTtlMs: number;
  diskReserveBytes: number;
  containerDiskGiB: number;
  publishPortRange: { first: number; last: number };
  /** Roots bind mounts must stay under (normalized, no trailing slash); empty: no binds. */
  bindMountRoots: string[];
};

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid environment:\n${lines}`);
  }
  const e = parsed.data;
  if (!!e.TANDEM_TLS_CERT !== !!e.TANDEM_TLS_KEY) {
    throw new Error("invalid environment:\n  TANDEM_TLS_CERT and TANDEM_TLS_KEY must be set together");
  }
  const [first, last] = e.TANDEM_PUBLISH_PORT_RANGE.split("-").map(Number) as [number, number];
  if (first < 1 || last > 65535 || first > last) {
    throw new Error("invalid environment:\n  TANDEM_PUBLISH_PORT_RANGE: ports 1-65535, first <= last");
  }
  const dataDir = path.resolve(e.TANDEM_DATA_DIR);
  return {
    host: e.TANDEM_HOST,
    port: e.TANDEM_PORT,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(dataDir, "tandem.db")}`,
    drivers: e.TANDEM_DRIVERS,
    libvirtUri: e.TANDEM_LIBVIRT_URI,
    containerSubnet: e.TANDEM_CONTAINER_SUBNET,
    containerBridge: e.TANDEM_CONTAINER_BRIDGE,
    vmAccel: e.TANDEM_VM_ACCEL,
    adminPassword: e.TANDEM_ADMIN_PASSWORD,
    logLevel: e.TANDEM_LOG_LEVEL,
    dev: e.TANDEM_DEV,
    fakeGuests: e.TANDEM_FAKE_GUESTS,
    sessionTtlMs: e.TANDEM_SESSION_TTL_HOURS * 3600_000,
    maxUploadBytes: e.TANDEM_MAX_UPLOAD_BYTES,
    maxUnpackedBytes: e.TANDEM_MAX_UNPACKED_BYTES ?? 4 * e.TANDEM_MAX_UPLOAD_BYTES,
    ui: e.TANDEM_UI === "on",
    tls: e.TANDEM_TLS_CERT && e.TANDEM_TLS_KEY ? { certPath: e.TANDEM_TLS_CERT, keyPath: e.TANDEM_TLS_KEY } : null,
    trustedProxies: e.TANDEM_TRUSTED_PROXIES,
    tokenTtlMs: e.TANDEM_TOKEN_TTL_DAYS * 86_400_000,
    diskReserveBytes: e.TANDEM_DISK_RESERVE_MIB * 1024 * 1024,
    containerDiskGiB: e.TANDEM_CONTAINER_DISK_GIB,
    publishPortRange: { first, last },
    bindMountRoots: e.TANDEM_BIND_MOUNT_ROOTS.map((p) => path.resolve(p)),
  };
}
