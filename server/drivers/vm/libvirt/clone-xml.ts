// A clone's domain XML, made from the source's inactive XML with an order-preserving parse and
// build (fast-xml-parser, preserveOrder): everything the source has stays as it was — devices,
// their order, other applications' <metadata> — except what must differ between two domains:
// name, uuid, NIC MACs, disk and cdrom files Tandem copied, the serial log, the NVRAM file,
// auto-generated socket paths, the VNC display (always a generated unix socket, never TCP), and
// Tandem's own <metadata> (which records `clonedFrom`). Pure.
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import {
  buildBackingStoreXml,
  buildTandemMetadataXml,
  TANDEM_NS,
  xmlText,
  type BackingDef,
  type TandemMeta,
} from "./xml-build";

export interface CloneXmlPlan {
  name: string;
  uuid: string;
  /**
   * Source file path → the clone's file (disks and cdroms Tandem copied or rebuilt), with the
   * backing chain to pin below it (a linked clone's overlay rests on the source's disk).
   */
  files: ReadonlyMap<string, { path: string; format: string; backing?: readonly BackingDef[] }>;
  /** The clone's serial log (replaces every <log file>). */
  serialLog: string;
  /** The clone's NVRAM file; null drops the source's path so libvirt makes a fresh one. */
  nvram: string | null;
  meta: TandemMeta;
  /**
   * The source's NICs on Tandem networks by MAC → the clone's MAC and tap name (Tandem chose
   * them and recorded the clone's Nic rows); any other NIC gets libvirt's fresh MAC.
   */
  nics?: ReadonlyMap<string, { mac: string; target: string }>;
}

type Attrs = Record<string, string>;
/** One element in preserveOrder form: `{ tag: children, ":@": attributes }`, or a text node. */
type ONode = Record<string, unknown> & { ":@"?: Attrs };

const opts = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
} as const;
const parser = new XMLParser(opts);
const builder = new XMLBuilder({ ...opts, format: true, indentBy: "  ", suppressEmptyNode: true });

export class CloneXmlError extends Error {
  override readonly name = "CloneXmlError";
}

const tagOf = (n: ONode): string | null => Object.keys(n).find((k) => k !== ":@" && k !== "#text") ?? null;
const kids = (n: ONode): ONode[] => {
  const t = tagOf(n);
  const v = t ? n[t] : null;
  return Array.isArray(v) ? (v as ONode[]) : [];
};
const children = (n: ONode, tag: string): ONode[] => kids(n).filter((c) => tagOf(c) === tag);
const child = (n: ONode, tag: string): ONode | null => children(n, tag)[0] ?? null;
const attrs = (n: ONode): Attrs => (n[":@"] ??= {});
const setText = (n: ONode, text: string) => {
  const t = tagOf(n);
  if (t) n[t] = [{ "#text": text }];
};
const remove = (parent: ONode, pred: (c: ONode) => boolean) => {
  const t = tagOf(parent);
  if (t) parent[t] = kids(parent).filter((c) => !pred(c));
};

/** Is `n` a <prefix:guest> element in Tandem's namespace (whatever the prefix)? */
function isTandemGuest(n: ONode): boolean {
  const t = tagOf(n);
  if (!t) return false;
  const colon = t.indexOf(":");
  const local = colon >= 0 ? t.slice(colon + 1) : t;
  if (local !== "guest") return false;
  const a = n[":@"] ?? {};
  return (colon >= 0 ? a[`@_xmlns:${t.slice(0, colon)}`] : a["@_xmlns"]) === TANDEM_NS;
}

/** Replaces a disk's <backingStore> by the pinned chain (none for an empty chain). */
function setBacking(disk: ONode, chain: readonly BackingDef[]): void {
  remove(disk, (c) => tagOf(c) === "backingStore");
  if (!chain.length) return;
  const node = (parser.parse(buildBackingStoreXml(chain)) as ONode[])[0]!;
  const list = kids(disk);
  const at = list.findIndex((c) => tagOf(c) === "source");
  list.splice(at < 0 ? list.length : at + 1, 0, node);
}

/** The chain a disk's XML pins: each layer's file, format and whether libvirt may relabel it. */
function pinnedChain(disk: ONode): { path: string; format: string; relabel: boolean }[] {
  const out: { path: string; format: string; relabel: boolean }[] = [];
  for (let b = child(disk, "backingStore"); b && kids(b).length; b = child(b, "backingStore")) {
    const src = child(b, "source");
    const label = src ? child(src, "seclabel") : null;
    out.push({
      path: src?.[":@"]?.["@_file"] ?? "",
      format: child(b, "format")?.[":@"]?.["@_type"] ?? "",
      relabel: label?.[":@"]?.["@_relabel"] !== "no",
    });
  }
  return out;
}

/**
 * A domain's XML with the given backing chains pinned below its disks (file → chain, top
 * first; see xml-build backingStoreNode), or null when they already are. For Tandem VMs defined
 * before chains were pinned, whose base images libvirt would otherwise hand to QEMU.
 */
export function pinBackingXml(xml: string, chains: ReadonlyMap<string, readonly BackingDef[]>): string | null {
  const { doc, domain } = parseDomain(xml);
  const devices = child(domain, "devices");
  let changed = false;
  for (const disk of devices ? children(devices, "disk") : []) {
    const file = child(disk, "source")?.[":@"]?.["@_file"];
    const chain = file !== undefined ? chains.get(file) : undefined;
    if (!chain) continue;
    const want = chain.map((l) => ({ path: l.path, format: l.format, relabel: false }));
    if (JSON.stringify(pinnedChain(disk)) === JSON.stringify(want)) continue;
    setBacking(disk, chain);
    changed = true;
  }
  return changed ? (builder.build(doc) as string) : null;
}

/** The document in order-preserving form and its <domain> element. */
function parseDomain(xml: string): { doc: ONode[]; domain: ONode } {
  let doc: ONode[];
  try {
    doc = parser.parse(xml) as ONode[];
  } catch (e) {
    throw new CloneXmlError(`unreadable domain XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const domain = doc.find((n) => tagOf(n) === "domain");
  if (!domain) throw new CloneXmlError("not a domain XML document");
  return { doc, domain };
}

export function cloneDomainXml(sourceXml: string, plan: CloneXmlPlan): string {
  const { doc, domain } = parseDomain(sourceXml);

  // Identity.
  const name = child(domain, "name");
  const uuid = child(domain, "uuid");
  if (!name || !uuid) throw new CloneXmlError("domain XML lacks a name or uuid");
  setText(name, xmlText(plan.name, "name"));
  setText(uuid, xmlText(plan.uuid, "uuid"));
  // <genid> identifies one VM instance to the guest (VM-generation ID): a copy needs a new one.
  for (const g of children(domain, "genid")) setText(g, "");

  // Tandem's metadata: replaced; other applications' entries stay.
  const tandem = (parser.parse(buildTandemMetadataXml(plan.meta)) as ONode[])[0]!;
  let metadata = child(domain, "metadata");
  if (!metadata) {
    metadata = { metadata: [] };
    const list = domain.domain as ONode[];
    list.splice(Math.max(0, list.indexOf(uuid) + 1), 0, metadata);
  }
  remove(metadata, isTandemGuest);
  (metadata.metadata as ONode[]).push(tandem);

  // NVRAM: the clone's own file, or none (libvirt copies the template on first start).
  const os = child(domain, "os");
  for (const nv of os ? children(os, "nvram") : []) {
    if (plan.nvram) setText(nv, xmlText(plan.nvram, "nvram path"));
    else nv.nvram = [];
  }

  const devices = child(domain, "devices");
  if (devices) {
    for (const disk of children(devices, "disk")) {
      const source = child(disk, "source");
      const file = source?.[":@"]?.["@_file"];
      const to = file !== undefined ? plan.files.get(file) : undefined;
      if (!source || !to) continue;
      attrs(source)["@_file"] = xmlText(to.path, "disk path");
      const driver = child(disk, "driver");
      if (driver) attrs(driver)["@_type"] = to.format;
      // The chain below the new file is the new file's own: pinned when known, else dropped.
      setBacking(disk, to.backing ?? []);
    }
    vncOnSocket(devices);
    for (const nic of children(devices, "interface")) {
      const mac = child(nic, "mac")?.[":@"]?.["@_address"]?.toLowerCase();
      const next = mac !== undefined ? plan.nics?.get(mac) : undefined;
      // libvirt gives each new NIC a fresh 52:54:00 MAC; host-side names are picked at start.
      remove(nic, (c) => tagOf(c) === "mac" || tagOf(c) === "target");
      if (next) {
        // Tandem's NICs: the MAC its DHCP reservation names and the tap its firewall rules name.
        const list = kids(nic);
        list.unshift({ mac: [], ":@": { "@_address": xmlText(next.mac, "mac") } });
        list.push({ target: [], ":@": { "@_dev": xmlText(next.target, "interface target") } });
      }
    }
    for (const tag of ["serial", "console", "channel", "parallel"]) {
      children(devices, tag).forEach((dev, i) => {
        // serial 0 and the console (its alias) log to the clone's serial log; any other
        // logged character device gets a file of its own beside it.
        const file =
          (tag === "serial" || tag === "console") && i === 0 ? plan.serialLog : `${plan.serialLog}.${tag}${i}`;
        for (const log of children(dev, "log")) attrs(log)["@_file"] = xmlText(file, "log path");
        const src = child(dev, "source");
        if (tag === "channel" && dev[":@"]?.["@_type"] === "unix" && src?.[":@"]?.["@_path"]) {
          delete src[":@"]["@_path"]; // auto-generated per domain
        }
      });
    }
  }
  return builder.build(doc) as string;
}

/**
 * Rewrites every VNC display under <devices> to `<graphics type='vnc'><listen type='socket'/>`:
 * a socket libvirt generates in the domain's private directory, so a Tandem VM never listens on
 * TCP and never shares a socket path with its source. True when anything changed.
 */
function vncOnSocket(devices: ONode): boolean {
  let changed = false;
  for (const g of children(devices, "graphics")) {
    const a = g[":@"] ?? {};
    if (a["@_type"] !== "vnc") continue;
    const listens = children(g, "listen");
    const generated =
      Object.keys(a).length === 1 &&
      kids(g).length === 1 &&
      listens.length === 1 &&
      JSON.stringify(listens[0]![":@"] ?? {}) === JSON.stringify({ "@_type": "socket" });
    if (generated) continue;
    g[":@"] = { "@_type": "vnc" };
    g.graphics = [{ listen: [], ":@": { "@_type": "socket" } }];
    changed = true;
  }
  return changed;
}

/**
 * A Tandem VM's inactive XML with its VNC display moved off TCP (see vncOnSocket), or null when
 * it is already there. For VMs defined before VNC moved to a unix socket; applied before start.
 */
export function vncSocketXml(xml: string): string | null {
  const { doc, domain } = parseDomain(xml);
  const devices = child(domain, "devices");
  if (!devices || !vncOnSocket(devices)) return null;
  return builder.build(doc) as string;
}

/**
 * The same domain with a new size: <vcpu> and <memory>/<currentMemory> (KiB) rewritten in
 * place, everything else kept as it was. Pure; for a stopped VM's inactive XML.
 */
export function resizeDomainXml(xml: string, size: { vcpus?: number; memoryMiB?: number }): string {
  const { doc, domain } = parseDomain(xml);
  if (size.vcpus !== undefined) {
    const vcpu = child(domain, "vcpu");
    if (!vcpu) throw new CloneXmlError("domain XML lacks <vcpu>");
    setText(vcpu, String(size.vcpus));
    delete attrs(vcpu)["@_current"];
  }
  if (size.memoryMiB !== undefined) {
    for (const tag of ["memory", "currentMemory"]) {
      for (const m of children(domain, tag)) {
        setText(m, String(size.memoryMiB * 1024));
        attrs(m)["@_unit"] = "KiB";
      }
    }
    // A <maxMemory> below the new size would make libvirt refuse the definition.
    remove(domain, (c) => tagOf(c) === "maxMemory");
  }
  return builder.build(doc) as string;
}
