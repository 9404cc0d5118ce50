// Turns the addon's raw pool and volume records into the public shapes: state and type numbers
// become names, and a pool's backend type and target path are read from the XML the addon
// returns with each pool (one worker round lists every pool with no call per pool).
import { XMLParser } from "fast-xml-parser";
import { storagePoolStateName, storageVolTypeName } from "./constants";
import type { NativePoolInfo, NativeVolInfo } from "./native";
import type { StoragePoolInfo, StorageVolInfo } from "./shapes";

// Attributes under "@_"; every value kept as the string libvirt wrote (a path of digits stays a
// string), entities decoded.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
});

interface PoolDoc {
  pool?: { "@_type"?: string; target?: { path?: unknown } };
}

/** <pool type=...> and <target><path> of a pool's XML; type "" and path null when absent. */
export function poolXmlFacts(xml: string): { type: string; targetPath: string | null } {
  const doc = parser.parse(xml) as PoolDoc;
  const path = doc.pool?.target?.path;
  return {
    type: doc.pool?.["@_type"] ?? "",
    targetPath: typeof path === "string" && path.length > 0 ? path : null,
  };
}

export function toPoolInfo(p: NativePoolInfo): StoragePoolInfo {
  return {
    name: p.name,
    uuid: p.uuid,
    active: p.active,
    persistent: p.persistent,
    autostart: p.autostart,
    state: storagePoolStateName(p.state),
    capacity: p.capacity,
    allocation: p.allocation,
    available: p.available,
    ...poolXmlFacts(p.xml),
  };
}

export function toVolInfo(v: NativeVolInfo): StorageVolInfo {
  return { ...v, type: storageVolTypeName(v.type) };
}
