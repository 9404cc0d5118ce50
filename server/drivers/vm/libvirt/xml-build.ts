// Builds libvirt domain and network XML from typed definitions with fast-xml-parser's XMLBuilder.
// Every user-influenced string goes in as a text node or attribute value, so the builder escapes
// it; nothing here concatenates XML. Characters XML cannot carry at all are refused.
import { XMLBuilder } from "fast-xml-parser";

export const TANDEM_NS = "https://tandem.dev/xmlns/guest/1";
export const TANDEM_PREFIX = "tandem";

/** Tandem's own fields, kept in the domain's <metadata>. */
export interface TandemMeta {
  image: string | null;
  createdAt: string;
  /** Virtual size of the main disk when Tandem made it. */
  diskBytes: number | null;
  /** Which Tandem network mode the guest was made with ("networks": NICs on Tandem networks). */
  network: "user" | "isolated" | "none" | "networks";
  /** Clones: the guest id this one was copied from. */
  clonedFrom?: string | null;
  cloneMode?: "linked" | "full" | null;
  /**
   * Linked clones: the source's disk files this guest's overlays are backed by. While any
   * domain lists a file here, the VM owning that file is not started, reverted or purged.
   */
  backing?: string[];
}

/** A layer below a disk (a shared base image): QEMU reads it, libvirt must not hand it over. */
export interface BackingDef {
  path: string;
  format: string;
}

export interface DiskDef {
  path: string;
  format: "qcow2" | "raw";
  /** The disk's backing chain, top first, pinned in the XML (see backingStoreNode). */
  backing?: BackingDef[];
  device: "disk" | "cdrom";
  bus: "virtio" | "sata";
  target: string;
  readonly?: boolean;
  /** A user alias (`ua-…`): the device can then be detached by alias, live or in the config. */
  alias?: string;
}

export type BootDef =
  | { kind: "kernel"; kernel: string; initrd?: string; cmdline?: string }
  | { kind: "firmware"; order: ("hd" | "cdrom" | "network")[] };

/** A NIC: QEMU's user-mode stack, or a port on a libvirt network (with a fixed MAC when given). */
export type NicDef =
  | { kind: "user" }
  /** `target`: the host-side tap's name (Tandem's `tn…`; libvirt names it vnetN otherwise). */
  | { kind: "network"; network: string; mac?: string; target?: string };

/** A unicast MAC as libvirt writes it: six lowercase hex pairs. */
export const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export interface DomainDef {
  type: "kvm" | "qemu";
  name: string;
  uuid: string;
  title?: string;
  memoryMiB: number;
  vcpus: number;
  boot: BootDef;
  disks: DiskDef[];
  /** In order: the first is the guest's first NIC (eth0 / ens3). */
  nics: NicDef[];
  /** Serial output is logged here from power-on. */
  serialLog: string;
  /** A VNC display on a unix socket (see devices.graphics below). */
  vnc: boolean;
  meta: TandemMeta;
}

// XML 1.0 Char production: anything else cannot be represented, escaped or not.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/u;

/** Throws for strings XML cannot carry (control characters, lone surrogates). */
export function xmlText(value: string, what: string): string {
  if (typeof value !== "string") throw new TypeError(`${what} must be a string`);
  if (INVALID_XML_CHARS.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""))) {
    throw new RangeError(`${what} contains characters that XML cannot represent`);
  }
  return value;
}

const positiveInt = (n: number, what: string) => {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${what} must be a positive integer`);
  return n;
};

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

type Node = Record<string, unknown>;

/**
 * A pinned backing chain: libvirt uses it instead of probing the image, and `relabel='no'` keeps
 * each shared layer owned by root — QEMU (which opens it read-only) cannot write a base image
 * that other VMs' overlays rest on. The layers must be readable by QEMU's group (qemu-access.ts).
 */
export function backingStoreNode(chain: readonly BackingDef[]): Node {
  let node: Node = {};
  for (const layer of [...chain].reverse()) {
    node = {
      "@_type": "file",
      format: { "@_type": xmlText(layer.format, "backing format") },
      source: { "@_file": xmlText(layer.path, "backing file"), seclabel: { "@_model": "dac", "@_relabel": "no" } },
      backingStore: node,
    };
  }
  return node;
}

function diskNode(d: DiskDef): Node {
  return {
    "@_type": "file",
    "@_device": d.device,
    driver: { "@_name": "qemu", "@_type": d.format, ...(d.device === "disk" ? { "@_discard": "unmap" } : {}) },
    source: { "@_file": xmlText(d.path, "disk path") },
    ...(d.backing?.length ? { backingStore: backingStoreNode(d.backing) } : {}),
    target: { "@_dev": xmlText(d.target, "disk target"), "@_bus": d.bus },
    ...(d.readonly || d.device === "cdrom" ? { readonly: "" } : {}),
    ...(d.alias ? { alias: { "@_name": xmlText(d.alias, "disk alias") } } : {}),
  };
}

/** One `<disk>` element on its own (hotplug: virDomainAttachDeviceFlags). */
export function buildDiskXml(d: DiskDef): string {
  return builder.build({ disk: diskNode(d) }) as string;
}

function nicNode(n: NicDef): Node {
  if (n.kind === "user") return { "@_type": "user", model: { "@_type": "virtio" } };
  if (n.mac !== undefined && !MAC_RE.test(n.mac)) throw new RangeError(`MAC '${n.mac}' is not a lowercase unicast MAC`);
  return {
    "@_type": "network",
    ...(n.mac !== undefined ? { mac: { "@_address": n.mac } } : {}),
    source: { "@_network": xmlText(n.network, "network name") },
    ...(n.target !== undefined ? { target: { "@_dev": xmlText(n.target, "interface target") } } : {}),
    model: { "@_type": "virtio" },
  };
}

/** One `<interface>` element on its own (hotplug: virDomainAttachDeviceFlags). */
export function buildNicXml(n: NicDef): string {
  return builder.build({ interface: nicNode(n) }) as string;
}

/** The <tandem:guest> element (a child of <metadata>) in the builder's object form. */
export function metadataNode(meta: TandemMeta): Node {
  const p = (k: string) => `${TANDEM_PREFIX}:${k}`;
  return {
    [p("guest")]: {
      [`@_xmlns:${TANDEM_PREFIX}`]: TANDEM_NS,
      [p("created-by")]: "tandem",
      ...(meta.image !== null ? { [p("image")]: xmlText(meta.image, "image id") } : {}),
      [p("created-at")]: xmlText(meta.createdAt, "createdAt"),
      ...(meta.diskBytes !== null ? { [p("disk-bytes")]: meta.diskBytes } : {}),
      [p("network")]: meta.network,
      ...(meta.clonedFrom ? { [p("cloned-from")]: xmlText(meta.clonedFrom, "clonedFrom") } : {}),
      ...(meta.cloneMode ? { [p("clone-mode")]: meta.cloneMode } : {}),
      ...(meta.backing?.length ? { [p("backing")]: meta.backing.map((b) => xmlText(b, "backing file")) } : {}),
    },
  };
}

/** `<backingStore>…</backingStore>` on its own (spliced into copied XML). */
export function buildBackingStoreXml(chain: readonly BackingDef[]): string {
  return builder.build({ backingStore: backingStoreNode(chain) }) as string;
}

/** `<tandem:guest xmlns:tandem=...>...</tandem:guest>` on its own (spliced into copied XML). */
export function buildTandemMetadataXml(meta: TandemMeta): string {
  return builder.build(metadataNode(meta)) as string;
}

export function buildDomainXml(def: DomainDef): string {
  positiveInt(def.memoryMiB, "memoryMiB");
  positiveInt(def.vcpus, "vcpus");
  const os: Node = { type: { "@_arch": "x86_64", "@_machine": "pc", "#text": "hvm" } };
  if (def.boot.kind === "kernel") {
    os.kernel = xmlText(def.boot.kernel, "kernel path");
    if (def.boot.initrd) os.initrd = xmlText(def.boot.initrd, "initrd path");
    if (def.boot.cmdline) os.cmdline = xmlText(def.boot.cmdline, "kernel command line");
  } else {
    os.boot = def.boot.order.map((dev) => ({ "@_dev": dev }));
  }
  const devices: Node = {
    disk: def.disks.map(diskNode),
  };
  if (def.nics.length) devices.interface = def.nics.map(nicNode);
  devices.serial = {
    "@_type": "pty",
    log: { "@_file": xmlText(def.serialLog, "serial log path"), "@_append": "off" },
    target: { "@_port": 0 },
  };
  devices.console = { "@_type": "pty", target: { "@_type": "serial", "@_port": 0 } };
  if (def.vnc) {
    // A unix socket libvirt generates in the domain's private directory (0750, QEMU's user;
    // removed when the domain stops): no TCP port any local user or guest could reach.
    devices.graphics = { "@_type": "vnc", listen: { "@_type": "socket" } };
    devices.video = { model: { "@_type": "vga" } };
  }
  devices.memballoon = { "@_model": "virtio", stats: { "@_period": 1 } };
  devices.rng = { "@_model": "virtio", backend: { "@_model": "random", "#text": "/dev/urandom" } };

  const domain: Node = {
    "@_type": def.type,
    name: xmlText(def.name, "name"),
    uuid: xmlText(def.uuid, "uuid"),
    ...(def.title ? { title: xmlText(def.title, "title") } : {}),
    metadata: metadataNode(def.meta),
    memory: { "@_unit": "MiB", "#text": def.memoryMiB },
    currentMemory: { "@_unit": "MiB", "#text": def.memoryMiB },
    vcpu: { "@_placement": "static", "#text": def.vcpus },
    os,
    features: { acpi: "", apic: "" },
    ...(def.type === "kvm" ? { cpu: { "@_mode": "host-passthrough", "@_check": "none" } } : {}),
    clock: { "@_offset": "utc" },
    on_poweroff: "destroy",
    on_reboot: "restart",
    on_crash: "destroy",
    devices,
  };
  return builder.build({ domain }) as string;
}

export interface NetworkDef {
  name: string;
  bridge: string;
  /** IPv4 address of the host side, e.g. 10.77.0.1 */
  address: string;
  netmask: string;
  dhcpStart: string;
  dhcpEnd: string;
}

/** An isolated network: a bridge with DHCP and no <forward>, so guests reach only the host. */
export function buildNetworkXml(def: NetworkDef): string {
  const network: Node = {
    name: xmlText(def.name, "network name"),
    bridge: { "@_name": xmlText(def.bridge, "bridge name"), "@_stp": "on", "@_delay": 0 },
    ip: {
      "@_address": xmlText(def.address, "address"),
      "@_netmask": xmlText(def.netmask, "netmask"),
      dhcp: { range: { "@_start": xmlText(def.dhcpStart, "dhcp start"), "@_end": xmlText(def.dhcpEnd, "dhcp end") } },
    },
  };
  return builder.build({ network }) as string;
}
