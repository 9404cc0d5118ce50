// Writes the numeric codes the TS side shares with C++, taking every value from the C/C++
// compiler so they cannot drift: libvirt's error numbers and the libvirt constants the wrappers
// pass (from the installed libvirt headers, libvirt-dev) and Tandem's own op codes (from
// ../src/ops.h, the header the addon is built with).
//   node native/libvirt/scripts/gen-codes.mjs           rewrite the .gen.ts files
//   node native/libvirt/scripts/gen-codes.mjs --check   exit 1 if any of them is out of date
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const include = "/usr/include/libvirt";
const regen = "Regenerate with: node native/libvirt/scripts/gen-codes.mjs";

// libvirt constants exposed to TS: table → { doc, prefix, keys }. A key "TS=C_SUFFIX" names the
// C constant when its name differs from the TS key (the C name is prefix + suffix).
const libvirtTables = {
  DomainState: {
    doc: "virDomainState.",
    prefix: "VIR_DOMAIN_",
    keys: "NOSTATE RUNNING BLOCKED PAUSED SHUTDOWN SHUTOFF CRASHED PMSUSPENDED",
  },
  DomainEventType: {
    doc: "virDomainEventType: what a lifecycle event reports.",
    prefix: "VIR_DOMAIN_EVENT_",
    keys: "DEFINED UNDEFINED STARTED SUSPENDED RESUMED STOPPED SHUTDOWN PMSUSPENDED CRASHED",
  },
  DomainEventId: {
    doc: "virDomainEventID: the event kinds registerDomainEvent accepts.",
    prefix: "VIR_DOMAIN_EVENT_ID_",
    keys: "LIFECYCLE REBOOT",
  },
  ListFlag: {
    doc: "virConnectListAllDomainsFlags.",
    prefix: "VIR_CONNECT_LIST_DOMAINS_",
    keys: "ACTIVE INACTIVE PERSISTENT TRANSIENT RUNNING PAUSED SHUTOFF OTHER",
  },
  StatsFlag: {
    doc: "virConnectGetAllDomainStatsFlags (the list filters plus the stats-only flags).",
    prefix: "VIR_CONNECT_GET_ALL_DOMAINS_STATS_",
    keys: "ACTIVE INACTIVE PERSISTENT TRANSIENT RUNNING PAUSED SHUTOFF OTHER NOWAIT BACKING ENFORCE_STATS",
  },
  StatsGroup: {
    doc: "virDomainStatsTypes: the groups getAllDomainStats can ask for.",
    prefix: "VIR_DOMAIN_STATS_",
    keys: "state=STATE cpu=CPU_TOTAL balloon=BALLOON vcpu=VCPU interface=INTERFACE block=BLOCK perf=PERF iothread=IOTHREAD memory=MEMORY dirtyrate=DIRTYRATE vm=VM",
  },
  UndefineFlag: {
    doc: "virDomainUndefineFlagsValues.",
    prefix: "VIR_DOMAIN_UNDEFINE_",
    keys: "MANAGED_SAVE SNAPSHOTS_METADATA NVRAM KEEP_NVRAM CHECKPOINTS_METADATA TPM KEEP_TPM",
  },
  ShutdownFlag: {
    doc: "virDomainShutdownFlagValues.",
    prefix: "VIR_DOMAIN_SHUTDOWN_",
    keys: "DEFAULT ACPI=ACPI_POWER_BTN AGENT=GUEST_AGENT INITCTL SIGNAL PARAVIRT",
  },
  DestroyFlag: { doc: "virDomainDestroyFlagsValues.", prefix: "VIR_DOMAIN_DESTROY_", keys: "DEFAULT GRACEFUL" },
  XMLFlag: { doc: "virDomainXMLFlags.", prefix: "VIR_DOMAIN_XML_", keys: "SECURE INACTIVE UPDATE_CPU MIGRATABLE" },
  DefineFlag: { doc: "virDomainDefineFlags.", prefix: "VIR_DOMAIN_DEFINE_", keys: "VALIDATE" },
  ConsoleFlag: { doc: "virDomainConsoleFlags.", prefix: "VIR_DOMAIN_CONSOLE_", keys: "FORCE SAFE" },
  CreateFlag: {
    doc: "virDomainCreateFlags (start flags).",
    prefix: "VIR_DOMAIN_START_",
    keys: "PAUSED AUTODESTROY BYPASS_CACHE FORCE_BOOT VALIDATE RESET_NVRAM",
  },
  SnapshotCreateFlag: {
    doc: "virDomainSnapshotCreateFlags.",
    prefix: "VIR_DOMAIN_SNAPSHOT_CREATE_",
    keys: "REDEFINE CURRENT NO_METADATA HALT DISK_ONLY REUSE_EXT QUIESCE ATOMIC LIVE VALIDATE",
  },
  SnapshotDeleteFlag: {
    doc: "virDomainSnapshotDeleteFlags.",
    prefix: "VIR_DOMAIN_SNAPSHOT_DELETE_",
    keys: "CHILDREN METADATA_ONLY CHILDREN_ONLY",
  },
  SnapshotRevertFlag: {
    doc: "virDomainSnapshotRevertFlags.",
    prefix: "VIR_DOMAIN_SNAPSHOT_REVERT_",
    keys: "RUNNING PAUSED FORCE RESET_NVRAM",
  },
  InterfaceAddressSource: {
    doc: "virDomainInterfaceAddressesSource: where libvirt learns a guest's addresses.",
    prefix: "VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_",
    keys: "LEASE AGENT ARP",
  },
  NetworkXMLFlag: { doc: "virNetworkXMLFlags.", prefix: "VIR_NETWORK_XML_", keys: "INACTIVE" },
  NetworkUpdateCommand: {
    doc: "virNetworkUpdateCommand: what networkUpdate does with the XML snippet.",
    prefix: "VIR_NETWORK_UPDATE_COMMAND_",
    keys: "MODIFY DELETE ADD_LAST ADD_FIRST",
  },
  NetworkUpdateSection: {
    doc: "virNetworkUpdateSection: which part of <network> networkUpdate changes.",
    prefix: "VIR_NETWORK_SECTION_",
    keys: "BRIDGE DOMAIN IP IP_DHCP_HOST IP_DHCP_RANGE FORWARD FORWARD_INTERFACE FORWARD_PF PORTGROUP DNS_HOST DNS_TXT DNS_SRV",
  },
  NetworkUpdateFlag: {
    doc: "virNetworkUpdateFlags: the running network, its persistent config, or both.",
    prefix: "VIR_NETWORK_UPDATE_AFFECT_",
    keys: "CURRENT LIVE CONFIG",
  },
  DeviceModifyFlag: {
    doc: "virDomainDeviceModifyFlags: attach/detach/update on the running domain, its config, or both.",
    prefix: "VIR_DOMAIN_",
    keys: "CURRENT=AFFECT_CURRENT LIVE=AFFECT_LIVE CONFIG=AFFECT_CONFIG FORCE=DEVICE_MODIFY_FORCE",
  },
  BlockResizeFlag: { doc: "virDomainBlockResizeFlags.", prefix: "VIR_DOMAIN_BLOCK_RESIZE_", keys: "BYTES" },
  StoragePoolState: {
    doc: "virStoragePoolState.",
    prefix: "VIR_STORAGE_POOL_",
    keys: "INACTIVE BUILDING RUNNING DEGRADED INACCESSIBLE",
  },
  StoragePoolBuildFlag: {
    doc: "virStoragePoolBuildFlags.",
    prefix: "VIR_STORAGE_POOL_BUILD_",
    keys: "NEW REPAIR RESIZE NO_OVERWRITE OVERWRITE",
  },
  StorageXMLFlag: { doc: "virStorageXMLFlags.", prefix: "VIR_STORAGE_XML_", keys: "INACTIVE" },
  StorageVolType: {
    doc: "virStorageVolType.",
    prefix: "VIR_STORAGE_VOL_",
    keys: "FILE BLOCK DIR NETWORK NETDIR PLOOP",
  },
  StorageVolCreateFlag: {
    doc: "virStorageVolCreateFlags.",
    prefix: "VIR_STORAGE_VOL_CREATE_",
    keys: "PREALLOC_METADATA REFLINK VALIDATE",
  },
  StorageVolDeleteFlag: {
    doc: "virStorageVolDeleteFlags.",
    prefix: "VIR_STORAGE_VOL_DELETE_",
    keys: "NORMAL ZEROED WITH_SNAPSHOTS",
  },
  StorageVolResizeFlag: {
    doc: "virStorageVolResizeFlags.",
    prefix: "VIR_STORAGE_VOL_RESIZE_",
    keys: "ALLOCATE DELTA SHRINK",
  },
  CloseReason: {
    doc: "virConnectCloseReason: why the connection closed.",
    prefix: "VIR_CONNECT_CLOSE_REASON_",
    keys: "ERROR EOF KEEPALIVE CLIENT",
  },
};

/** Every `VIR_<kind>_*` enumerator of virterror.h, as the old shell generator picked them. */
function errorNames(kind) {
  const hdr = readFileSync(path.join(include, "virterror.h"), "utf8");
  const names = new Set([...hdr.matchAll(new RegExp(`^\\s+(VIR_${kind}_[A-Z0-9_]+)`, "gm"))].map((m) => m[1]));
  return [...names].filter((n) => !n.endsWith("_LAST") && !/^VIR_ERR_(NONE|WARNING|ERROR)$/.test(n)).sort();
}

/** The enums of ops.h: [{ name, doc, members: [{ cName, key }] }]. */
function opsEnums() {
  const src = readFileSync(path.join(here, "src/ops.h"), "utf8");
  const out = [];
  for (const m of src.matchAll(/((?:^\/\/.*\n)*)enum class (\w+) : int \{\n([\s\S]*?)\n\};/gm)) {
    const doc = m[1]
      .replace(/^\/\/ ?/gm, "")
      .replace(/\n/g, " ")
      .trim();
    const members = [...m[3].matchAll(/^\s+(k\w+) = /gm)].map((x) => ({
      cName: `tlv::${m[2]}::${x[1]}`,
      key: x[1]
        .slice(1)
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .toUpperCase(),
    }));
    out.push({ name: m[2], doc, members });
  }
  if (out.length === 0) throw new Error("no `enum class X : int {` found in src/ops.h");
  return out;
}

/** Compiles one C++ program that prints `group key value` for every wanted constant. */
function values(wanted) {
  const tmp = mkdtempSync(path.join(tmpdir(), "tandem-gen-codes-"));
  try {
    const lines = wanted.map(
      ([group, key, cName]) => `  std::printf("%s %s %lld\\n", "${group}", "${key}", (long long)(${cName}));`,
    );
    const prog = [
      "#include <cstdio>",
      "#include <libvirt/libvirt.h>",
      "#include <libvirt/virterror.h>",
      `#include "${path.join(here, "src/ops.h")}"`,
      "int main() {",
      ...lines,
      "  return 0;",
      "}",
    ].join("\n");
    writeFileSync(path.join(tmp, "g.cc"), prog);
    execFileSync("c++", ["-std=c++17", "-o", path.join(tmp, "g"), path.join(tmp, "g.cc")], { stdio: "inherit" });
    const got = new Map();
    for (const l of execFileSync(path.join(tmp, "g"), { encoding: "utf8" }).trim().split("\n")) {
      const [group, key, v] = l.split(" ");
      if (!got.has(group)) got.set(group, new Map());
      got.get(group).set(key, Number(v));
    }
    return got;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function table(name, entries, doc) {
  const body = entries.map(([k, v]) => `  ${k}: ${v},`).join("\n");
  return `${doc ? `/** ${doc} */\n` : ""}export const ${name} = {\n${body}\n} as const;\n`;
}

function generate() {
  const wanted = [];
  for (const kind of ["ERR", "FROM"])
    for (const n of errorNames(kind)) wanted.push([kind, n.slice(`VIR_${kind}_`.length), n]);
  for (const [t, spec] of Object.entries(libvirtTables))
    for (const k of spec.keys.split(" ")) {
      const [key, suffix = key] = k.split("=");
      wanted.push([t, key, spec.prefix + suffix]);
    }
  const ops = opsEnums();
  for (const e of ops) for (const m of e.members) wanted.push([e.name, m.key, m.cName]);
  const v = values(wanted);
  const byValue = (g) => [...v.get(g)].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const inOrder = (g, keys) => keys.map((k) => [k, v.get(g).get(k)]);
  const version = execFileSync("pkg-config", ["--modversion", "libvirt"], { encoding: "utf8" }).trim();

  const errors = [
    `// GENERATED — DO NOT EDIT. ${regen}`,
    `// libvirt's virErrorNumber and virErrorDomain values from ${version} headers.`,
    "",
    table("ErrorCode", byValue("ERR")).trimEnd(),
    "",
    table("ErrorDomain", byValue("FROM")),
  ].join("\n");
  const constants = [
    `// GENERATED — DO NOT EDIT. ${regen}`,
    `// libvirt constants the wrappers pass to the addon, from ${version} headers (the table of`,
    "// names is in the generator).",
    "",
    Object.entries(libvirtTables)
      .map(([t, spec]) =>
        table(
          t,
          inOrder(
            t,
            spec.keys.split(" ").map((k) => k.split("=")[0]),
          ),
          spec.doc,
        ),
      )
      .join("\n"),
  ].join("\n");
  const opsTs = [
    `// GENERATED — DO NOT EDIT. ${regen}`,
    "// Tandem's own codes between index.ts and the addon, from src/ops.h (the header the addon is",
    "// built with).",
    "",
    ops
      .map((e) =>
        table(
          e.name,
          inOrder(
            e.name,
            e.members.map((m) => m.key),
          ),
          e.doc,
        ),
      )
      .join("\n"),
  ].join("\n");
  return { "error-codes.gen.ts": errors, "constants.gen.ts": constants, "ops.gen.ts": opsTs };
}

const files = generate();
if (process.argv.includes("--check")) {
  const stale = Object.entries(files).filter(([f, text]) => {
    try {
      return readFileSync(path.join(here, f), "utf8") !== text;
    } catch {
      return true;
    }
  });
  for (const [f] of stale) console.error(`native/libvirt/${f} is out of date: ${regen}`);
  process.exit(stale.length ? 1 : 0);
}
for (const [f, text] of Object.entries(files)) {
  writeFileSync(path.join(here, f), text);
  process.stdout.write(`wrote native/libvirt/${f}\n`);
}
