import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { buildDomainXml, buildNetworkXml, xmlText, TANDEM_NS, type DomainDef } from "./xml-build";
import { parseDomainXml, parseSnapshotXml } from "./xml-parse";

const base: DomainDef = {
  type: "qemu",
  name: "vm1",
  uuid: "6f1c2a43-1d1e-4b55-9a0b-1c2d3e4f5a6b",
  memoryMiB: 256,
  vcpus: 2,
  boot: { kind: "kernel", kernel: "/img/vmlinuz", initrd: "/img/initramfs.img", cmdline: "console=ttyS0 quiet" },
  disks: [{ path: "/data/vms/x/disk.qcow2", format: "qcow2", device: "disk", bus: "virtio", target: "vda" }],
  nics: [{ kind: "user" }],
  serialLog: "/data/vms/x/serial.log",
  vnc: true,
  meta: { image: "demo-vm", createdAt: "2026-01-02T03:04:05.000Z", diskBytes: 1073741824, network: "user" },
};

const structure = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_", preserveOrder: true });
/** Element and attribute names only, in order: what a hostile value must never change. */
function shape(xml: string): unknown {
  const walk = (nodes: unknown): unknown =>
    (nodes as Record<string, unknown>[]).map((n) =>
      Object.entries(n)
        .filter(([k]) => k !== "#text")
        .map(([k, v]) => (k === ":@" ? Object.keys(v as object).sort() : [k, walk(v)])),
    );
  return walk(structure.parse(xml));
}

describe("domain XML builder", () => {
  it("builds the devices Tandem relies on", () => {
    const xml = buildDomainXml(base);
    expect(xml).toContain('<domain type="qemu">');
    expect(xml).toContain('<memory unit="MiB">256</memory>');
    expect(xml).toContain('<log file="/data/vms/x/serial.log" append="off"/>');
    // VNC on a unix socket libvirt generates per domain: no TCP port at all.
    expect(xml).toMatch(/<graphics type="vnc">\s*<listen type="socket"\/>\s*<\/graphics>/);
    expect(xml).not.toMatch(/autoport|websocket|127\.0\.0\.1/);
    expect(xml).toMatch(/<memballoon model="virtio">\s*<stats period="1"\/>/);
    expect(xml).toContain(`<tandem:guest xmlns:tandem="${TANDEM_NS}">`);
    expect(xml).toContain("<acpi/>");
    expect(xml).toContain('<interface type="user">');
    expect(xml).not.toContain("<cpu");
    expect(buildDomainXml({ ...base, type: "kvm" })).toContain('<cpu mode="host-passthrough"');
  });

  it("pins a disk's backing chain with relabelling off for every shared layer", () => {
    const xml = buildDomainXml({
      ...base,
      disks: [
        {
          path: "/data/vms/x/disk.qcow2",
          format: "qcow2",
          device: "disk",
          bus: "virtio",
          target: "vda",
          backing: [
            { path: "/data/vms/src/disk.qcow2", format: "qcow2" },
            { path: "/data/images/uploads/i.raw", format: "raw" },
          ],
        },
      ],
    });
    const flat = xml.replace(/\s+/g, " ");
    expect(flat).toContain(
      '<source file="/data/vms/x/disk.qcow2"/> <backingStore type="file"> <format type="qcow2"/> ' +
        '<source file="/data/vms/src/disk.qcow2"> <seclabel model="dac" relabel="no"/> </source> ' +
        '<backingStore type="file"> <format type="raw"/> <source file="/data/images/uploads/i.raw"> ' +
        '<seclabel model="dac" relabel="no"/> </source> <backingStore/> </backingStore> </backingStore>',
    );
  });

  it("round-trips through the parser", () => {
    const p = parseDomainXml(buildDomainXml(base));
    expect(p).toMatchObject({
      type: "qemu",
      name: "vm1",
      uuid: base.uuid,
      memoryKiB: 256 * 1024,
      vcpus: 2,
      serialLog: "/data/vms/x/serial.log",
      tandem: base.meta,
    });
    expect(p.disks).toEqual([
      {
        device: "disk",
        type: "file",
        path: "/data/vms/x/disk.qcow2",
        format: "qcow2",
        target: "vda",
        readonly: false,
        shareable: false,
        alias: null,
      },
    ]);
    expect(p.nvram).toBeNull();
    expect(p.nics).toEqual([{ type: "user", mac: null, network: null }]);
  });

  it("builds firmware boot with a cdrom and an isolated network", () => {
    const xml = buildDomainXml({
      ...base,
      boot: { kind: "firmware", order: ["cdrom", "hd"] },
      disks: [
        ...base.disks,
        { path: "/iso/debian.iso", format: "raw", device: "cdrom", bus: "sata", target: "sda", readonly: true },
      ],
      nics: [{ kind: "network", network: "tandem-isolated" }],
    });
    expect(xml).toMatch(/<boot dev="cdrom"\/>\s*<boot dev="hd"\/>/);
    expect(xml).toMatch(/<disk type="file" device="cdrom">[\s\S]*<readonly\/>/);
    const p = parseDomainXml(xml);
    expect(p.nics).toEqual([{ type: "network", mac: null, network: "tandem-isolated" }]);
    expect(p.disks[1]).toMatchObject({ device: "cdrom", path: "/iso/debian.iso" });
  });

  it("builds one interface per NIC on Tandem networks, in order, each with its MAC and virtio", () => {
    const xml = buildDomainXml({
      ...base,
      nics: [
        { kind: "network", network: "tandem-net-b", mac: "52:54:00:0a:0b:0c" },
        { kind: "network", network: "tandem-net-a", mac: "52:54:00:01:02:03" },
      ],
      meta: { ...base.meta, network: "networks" },
    });
    expect(xml).toMatch(
      /<interface type="network">\s*<mac address="52:54:00:0a:0b:0c"\/>\s*<source network="tandem-net-b"\/>\s*<model type="virtio"\/>/,
    );
    const p = parseDomainXml(xml);
    expect(p.nics).toEqual([
      { type: "network", mac: "52:54:00:0a:0b:0c", network: "tandem-net-b" },
      { type: "network", mac: "52:54:00:01:02:03", network: "tandem-net-a" },
    ]);
    expect(p.tandem?.network).toBe("networks");
    // A MAC is an attribute libvirt parses: anything but six lowercase hex pairs is refused here.
    for (const mac of ["52:54:00:0A:0B:0C", "52:54:00:01:02", '52:54:00:01:02:03"/><x']) {
      expect(() => buildDomainXml({ ...base, nics: [{ kind: "network", network: "n", mac }] })).toThrow(RangeError);
    }
  });

  it("keeps hostile strings as text: quotes, <, &, ../ and 300 characters never change the structure", () => {
    const hostile = `x'"<&>]]><!--../../etc/passwd` + "é".repeat(300) + "</name><evil/>";
    const reference = shape(buildDomainXml(base));
    const xml = buildDomainXml({
      ...base,
      name: hostile,
      title: hostile,
      serialLog: `/data/${hostile}/serial.log`,
      disks: [{ ...base.disks[0]!, path: `/data/"${hostile}'.qcow2` }],
      boot: { kind: "kernel", kernel: "/img/vmlinuz", initrd: "/img/initramfs.img", cmdline: hostile },
      meta: { ...base.meta, image: hostile },
    });
    expect(xml).not.toContain("<evil/>");
    expect(shape(xml)).toEqual(shape(buildDomainXml({ ...base, title: "t" })));
    expect(reference).not.toEqual(shape(xml)); // only because of <title>
    const p = parseDomainXml(xml);
    expect(p.name).toBe(hostile);
    expect(p.title).toBe(hostile);
    expect(p.tandem?.image).toBe(hostile);
    expect(p.disks[0]?.path).toBe(`/data/"${hostile}'.qcow2`);
  });

  it("refuses characters XML cannot carry and nonsense sizes", () => {
    expect(() => buildDomainXml({ ...base, name: "a\u0000b" })).toThrow(RangeError);
    expect(() => buildDomainXml({ ...base, name: "a\u001bb" })).toThrow(RangeError);
    expect(() => buildDomainXml({ ...base, memoryMiB: 0 })).toThrow(RangeError);
    expect(() => buildDomainXml({ ...base, vcpus: 1.5 })).toThrow(RangeError);
    expect(xmlText("tab\tnew\nline 😀", "x")).toBe("tab\tnew\nline 😀");
  });

  it("builds an isolated network without <forward>", () => {
    const xml = buildNetworkXml({
      name: "tandem-isolated",
      bridge: "tandem-vm0",
      address: "10.77.0.1",
      netmask: "255.255.255.0",
      dhcpStart: "10.77.0.100",
      dhcpEnd: "10.77.0.254",
    });
    expect(xml).not.toContain("forward");
    expect(xml).toContain('<bridge name="tandem-vm0"');
    expect(xml).toContain('<range start="10.77.0.100" end="10.77.0.254"/>');
  });
});

describe("domain XML parser", () => {
  const live = `<domain type='qemu' id='7'>
  <name>adopted</name>
  <uuid>0d6f7a1e-1111-4222-8333-944455556666</uuid>
  <memory unit='KiB'>524288</memory>
  <currentMemory unit='KiB'>262144</currentMemory>
  <vcpu placement='static' current='1'>4</vcpu>
  <metadata>
    <other:thing xmlns:other="https://example.org/x"><other:guest>no</other:guest></other:thing>
  </metadata>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><model type='virtio'/></interface>
    <serial type='pty'><source path='/dev/pts/3'/><log file='/tmp/s.log' append='off'/><target type='isa-serial' port='0'/></serial>
    <graphics type='vnc' port='5900' autoport='yes' websocket='5700' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
  </devices>
</domain>`;

  it("reads live XML written by libvirt (single-quoted attributes, KiB, current vcpus)", () => {
    const p = parseDomainXml(live);
    expect(p).toMatchObject({
      name: "adopted",
      memoryKiB: 524288,
      currentMemoryKiB: 262144,
      vcpus: 1,
      serialLog: "/tmp/s.log",
      vnc: { port: 5900, websocket: 5700, listen: "127.0.0.1", socket: null },
      tandem: null,
    });
    expect(p.nics).toEqual([{ type: "network", mac: "52:54:00:aa:bb:cc", network: "default" }]);
  });

  it("reads the unix socket of a VNC display libvirt generated", () => {
    const sock = "/var/lib/libvirt/qemu/domain-7-adopted/vnc.sock";
    const xml = live.replace(
      /<graphics[\s\S]*<\/graphics>/,
      `<graphics type='vnc' socket='${sock}'><listen type='socket' socket='${sock}'/></graphics>`,
    );
    expect(parseDomainXml(xml).vnc).toEqual({ port: null, websocket: null, listen: null, socket: sock });
    // Inactive XML: the socket is not generated yet.
    const inactive = live.replace(
      /<graphics[\s\S]*<\/graphics>/,
      "<graphics type='vnc'><listen type='socket'/></graphics>",
    );
    expect(parseDomainXml(inactive).vnc).toEqual({ port: null, websocket: null, listen: null, socket: null });
  });

  it("finds Tandem's metadata by namespace URI, whatever the prefix", () => {
    const xml = live.replace(
      "<metadata>",
      `<metadata><t2:guest xmlns:t2="${TANDEM_NS}"><t2:created-by>tandem</t2:created-by><t2:image>img</t2:image><t2:created-at>2026-01-01T00:00:00Z</t2:created-at><t2:network>isolated</t2:network></t2:guest>`,
    );
    expect(parseDomainXml(xml).tandem).toEqual({
      image: "img",
      createdAt: "2026-01-01T00:00:00Z",
      diskBytes: null,
      network: "isolated",
      clonedFrom: null,
      cloneMode: null,
      backing: [],
    });
    // Same local name in a foreign namespace is not ours.
    const foreign = live.replace(
      "<metadata>",
      `<metadata><tandem:guest xmlns:tandem="https://evil.example/"><tandem:created-by>tandem</tandem:created-by></tandem:guest>`,
    );
    expect(parseDomainXml(foreign).tandem).toBeNull();
  });

  it("handles memory units and rejects non-domain documents", () => {
    const mib = live.replace("<memory unit='KiB'>524288</memory>", "<memory unit='GiB'>2</memory>");
    expect(parseDomainXml(mib).memoryKiB).toBe(2 * 1024 * 1024);
    const bare = live.replace("<memory unit='KiB'>524288</memory>", "<memory>1024</memory>");
    expect(parseDomainXml(bare).memoryKiB).toBe(1024);
    expect(() => parseDomainXml("<network><name>x</name></network>")).toThrow(/not a domain/);
    expect(() => parseDomainXml("<domain><uuid>u</uuid></domain>")).toThrow(/name or uuid/);
  });
});

describe("clone metadata and snapshot XML", () => {
  it("round-trips clone fields, one or many backing files", () => {
    const meta = {
      ...base.meta,
      clonedFrom: "local.vm.6f1c2a43-1d1e-4b55-9a0b-1c2d3e4f5a6b",
      cloneMode: "linked" as const,
      backing: ["/data/vms/a/disk.qcow2"],
    };
    expect(parseDomainXml(buildDomainXml({ ...base, meta })).tandem).toEqual(meta);
    const two = { ...meta, backing: ["/a/disk.qcow2", "/a/disk-vdb.qcow2"] };
    expect(parseDomainXml(buildDomainXml({ ...base, meta: two })).tandem).toEqual(two);
    const full = { ...meta, cloneMode: "full" as const, backing: [] };
    expect(parseDomainXml(buildDomainXml({ ...base, meta: full })).tandem).toEqual(full);
  });

  it("reads a snapshot's name, description, creation time, state and parent (not the embedded domain's)", () => {
    const xml = `<domainsnapshot>
  <name>before-upgrade</name>
  <description>notes with &lt;xml&gt; &amp; "quotes"</description>
  <state>shutoff</state>
  <parent><name>base</name></parent>
  <creationTime>1767225600</creationTime>
  <memory snapshot='no'/>
  <disks><disk name='vda' snapshot='internal'/></disks>
  <domain type='qemu'><name>vm1</name><description>the VM's own</description><uuid>u</uuid></domain>
</domainsnapshot>`;
    expect(parseSnapshotXml(xml)).toEqual({
      name: "before-upgrade",
      description: `notes with <xml> & "quotes"`,
      createdAt: "2026-01-01T00:00:00.000Z",
      state: "shutoff",
      parent: "base",
    });
    expect(parseSnapshotXml("<domainsnapshot><name>s</name></domainsnapshot>")).toEqual({
      name: "s",
      description: "",
      createdAt: "",
      state: "",
      parent: null,
    });
    expect(() => parseSnapshotXml("<domain><name>x</name></domain>")).toThrow(/domainsnapshot/);
  });
});
