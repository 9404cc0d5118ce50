// Reads what the driver needs out of libvirt's domain XML with fast-xml-parser's XMLParser:
// identity, size, disks, boot files, serial log, VNC listeners, NICs and Tandem's <metadata> (found by namespace
// URI, whatever prefix the document uses).
import { XMLParser } from "fast-xml-parser";
import { TANDEM_NS, type TandemMeta } from "./xml-build";

export interface ParsedDisk {
  /** disk, cdrom, floppy, lun */
  device: string;
  /** Source type: file, block, network, volume, dir, nvme, vhostuser. */
  type: string;
  path: string | null;
  format: string | null;
  target: string | null;
  readonly: boolean;
  shareable: boolean;
  /** <alias name>: libvirt's own (virtio-disk1) on a live domain, a user alias (ua-…) in both. */
  alias: string | null;
}

export interface ParsedNic {
  type: string;
  mac: string | null;
  network: string | null;
}

export interface ParsedDomain {
  type: string;
  name: string;
  uuid: string;
  title: string | null;
  memoryKiB: number;
  currentMemoryKiB: number;
  vcpus: number;
  disks: ParsedDisk[];
  nics: ParsedNic[];
  serialLog: string | null;
  /** <os><nvram>: the per-VM UEFI variable store, when the domain has one. */
  nvram: string | null;
  /** Direct kernel boot: <os><kernel> and <os><initrd>. */
  kernel: string | null;
  initrd: string | null;
  /**
   * Live XML: QEMU's VNC TCP port and websocket port (domains made outside Tandem), or the unix
   * socket libvirt generated (Tandem's VMs: `<listen type='socket'/>`).
   */
  vnc: { port: number | null; websocket: number | null; listen: string | null; socket: string | null } | null;
  /** Null when the domain was not made by Tandem (adopted). */
  tandem: TandemMeta | null;
}

const ARRAYS = new Set([
  "domain.devices.disk",
  "domain.devices.interface",
  "domain.devices.serial",
  "domain.devices.graphics",
  "domain.devices.graphics.listen",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, jpath, _leaf, isAttribute) => !isAttribute && ARRAYS.has(String(jpath)),
});

type Node = Record<string, unknown>;
const obj = (v: unknown): Node | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : null);
const str = (v: unknown): string | null => {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  const o = obj(v);
  if (o && typeof o["#text"] === "string") return o["#text"];
  return null;
};
const attr = (n: Node | null, a: string): string | null => {
  const v = n?.[`@_${a}`];
  return typeof v === "string" ? v : null;
};
const int = (v: string | null): number | null => {
  if (v === null || !/^-?\d+$/.test(v.trim())) return null;
  return Number(v);
};

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** A libvirt scaled integer (<memory unit='MiB'>256</memory>) in KiB; libvirt's default unit is KiB. */
function memoryKiB(v: unknown): number {
  const text = str(v);
  const n = int(text);
  if (n === null) return 0;
  const unit = (attr(obj(v), "unit") ?? "KiB").toLowerCase();
  const factor = UNIT_BYTES[unit] ?? 1024;
  return Math.round((n * factor) / 1024);
}

function parseTandem(metadata: Node | null): TandemMeta | null {
  if (!metadata) return null;
  for (const [key, value] of Object.entries(metadata)) {
    const node = obj(value);
    if (!node) continue;
    const colon = key.indexOf(":");
    const prefix = colon >= 0 ? key.slice(0, colon) : null;
    const local = colon >= 0 ? key.slice(colon + 1) : key;
    if (local !== "guest") continue;
    const ns = prefix ? attr(node, `xmlns:${prefix}`) : attr(node, "xmlns");
    if (ns !== TANDEM_NS) continue;
    const field = (name: string) => str(node[prefix ? `${prefix}:${name}` : name]);
    if (field("created-by") !== "tandem") return null;
    const disk = int(field("disk-bytes"));
    const network = field("network");
    const mode = field("clone-mode");
    const rawBacking = node[prefix ? `${prefix}:backing` : "backing"];
    const backing = (Array.isArray(rawBacking) ? rawBacking : rawBacking === undefined ? [] : [rawBacking])
      .map(str)
      .filter((b): b is string => !!b);
    return {
      image: field("image"),
      createdAt: field("created-at") ?? "",
      diskBytes: disk,
      network: network === "isolated" || network === "none" || network === "networks" ? network : "user",
      clonedFrom: field("cloned-from"),
      cloneMode: mode === "linked" || mode === "full" ? mode : null,
      backing,
    };
  }
  return null;
}

export class DomainXmlError extends Error {
  override readonly name = "DomainXmlError";
}

export function parseDomainXml(xml: string): ParsedDomain {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (e) {
    throw new DomainXmlError(`unreadable domain XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = obj(doc.domain);
  if (!d) throw new DomainXmlError("not a domain XML document");
  const name = str(d.name);
  const uuid = str(d.uuid);
  if (!name || !uuid) throw new DomainXmlError("domain XML lacks a name or uuid");
  const devices = obj(d.devices) ?? {};
  const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Node => x !== null) : []);

  const disks = list(devices.disk).map((disk) => {
    const source = obj(disk.source);
    return {
      device: attr(disk, "device") ?? "disk",
      type: attr(disk, "type") ?? "file",
      path: attr(source, "file") ?? attr(source, "dev") ?? attr(source, "volume"),
      format: attr(obj(disk.driver), "type"),
      target: attr(obj(disk.target), "dev"),
      readonly: "readonly" in disk,
      shareable: "shareable" in disk,
      alias: attr(obj(disk.alias), "name"),
    };
  });
  const nics = list(devices.interface).map((n) => ({
    type: attr(n, "type") ?? "unknown",
    mac: attr(obj(n.mac), "address"),
    network: attr(obj(n.source), "network"),
  }));
  const serial = list(devices.serial)[0] ?? null;
  const serialLog = attr(obj(serial?.log), "file");
  const vncNode = list(devices.graphics).find((g) => attr(g, "type") === "vnc") ?? null;
  const vcpuNode = d.vcpu;
  const vcpus = int(attr(obj(vcpuNode), "current")) ?? int(str(vcpuNode)) ?? 1;

  return {
    type: attr(d, "type") ?? "unknown",
    name,
    uuid,
    title: str(d.title),
    memoryKiB: memoryKiB(d.memory),
    currentMemoryKiB: memoryKiB(d.currentMemory ?? d.memory),
    vcpus,
    disks,
    nics,
    serialLog,
    nvram: str(obj(d.os)?.nvram) || null,
    kernel: str(obj(d.os)?.kernel) || null,
    initrd: str(obj(d.os)?.initrd) || null,
    vnc: vncNode
      ? {
          port: int(attr(vncNode, "port")),
          websocket: int(attr(vncNode, "websocket")),
          listen: attr(vncNode, "listen"),
          socket:
            attr(vncNode, "socket") ??
            list(vncNode.listen)
              .filter((l) => attr(l, "type") === "socket")
              .map((l) => attr(l, "socket"))
              .find((p) => p !== null) ??
            null,
        }
      : null,
    tandem: parseTandem(obj(d.metadata)),
  };
}

export interface ParsedSnapshot {
  name: string;
  description: string;
  /** ISO time from <creationTime> (seconds since the epoch); "" when absent. */
  createdAt: string;
  /** The domain's state when the snapshot was taken: running, shutoff, disk-snapshot, ... */
  state: string;
  parent: string | null;
}

const snapshotParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // Only the snapshot's own fields matter; the embedded <domain> is skipped.
  stopNodes: ["domainsnapshot.domain", "domainsnapshot.inactiveDomain", "domainsnapshot.cookie"],
});

/** The fields of a virDomainSnapshotGetXMLDesc document that Tandem shows. */
export function parseSnapshotXml(xml: string): ParsedSnapshot {
  let doc: Node;
  try {
    doc = snapshotParser.parse(xml) as Node;
  } catch (e) {
    throw new DomainXmlError(`unreadable snapshot XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const s = obj(doc.domainsnapshot);
  if (!s) throw new DomainXmlError("not a domainsnapshot XML document");
  const name = str(s.name);
  if (!name) throw new DomainXmlError("snapshot XML lacks a name");
  const t = int(str(s.creationTime));
  return {
    name,
    description: str(s.description) ?? "",
    createdAt: t !== null ? new Date(t * 1000).toISOString() : "",
    state: str(s.state) ?? "",
    parent: str(obj(s.parent)?.name) ?? null,
  };
}
