import { describe, expect, it } from "vitest";
import { cloneDomainXml, CloneXmlError, pinBackingXml, vncSocketXml, type CloneXmlPlan } from "./clone-xml";
import { TANDEM_NS } from "./xml-build";
import { parseDomainXml } from "./xml-parse";

// What libvirt 9 gives for an inactive Tandem VM with a cloud-init seed, plus an extra disk,
// a shared ISO, an agent channel, NVRAM and another application's metadata.
const SRC_UUID = "6f1c2a43-1d1e-4b55-9a0b-1c2d3e4f5a6b";
const source = `<domain type='qemu'>
  <name>web1</name>
  <uuid>${SRC_UUID}</uuid>
  <genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>
  <title>Web &amp; "API" &lt;1&gt;</title>
  <description>notes &#10; with &amp; and 'quotes'</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
    <tandem:guest xmlns:tandem="${TANDEM_NS}">
      <tandem:created-by>tandem</tandem:created-by>
      <tandem:image>debian-12</tandem:image>
      <tandem:created-at>2026-01-01T00:00:00.000Z</tandem:created-at>
      <tandem:disk-bytes>2147483648</tandem:disk-bytes>
      <tandem:network>isolated</tandem:network>
    </tandem:guest>
  </metadata>
  <memory unit='KiB'>262144</memory>
  <currentMemory unit='KiB'>262144</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/data/vms/${SRC_UUID}/disk.qcow2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/data/extra.img'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/data/vms/${SRC_UUID}/seed.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/tools.iso'/>
      <target dev='sdb' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='tandem-isolated'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='/data/vms/${SRC_UUID}/serial.log' append='off'/>
      <target type='isa-serial' port='0'/>
    </serial>
    <console type='pty'>
      <log file='/data/vms/${SRC_UUID}/serial.log' append='off'/>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-3-web1/org.qemu.guest_agent.0'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc' port='-1' autoport='yes' websocket='-1' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
  </devices>
</domain>`;

const NEW_UUID = "0b7f4a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b";
const plan = (o: Partial<CloneXmlPlan> = {}): CloneXmlPlan => ({
  name: "web1-copy",
  uuid: NEW_UUID,
  files: new Map([
    [`/data/vms/${SRC_UUID}/disk.qcow2`, { path: `/data/vms/${NEW_UUID}/disk.qcow2`, format: "qcow2" }],
    ["/srv/data/extra.img", { path: `/data/vms/${NEW_UUID}/disk-vdb.qcow2`, format: "qcow2" }],
    [`/data/vms/${SRC_UUID}/seed.iso`, { path: `/data/vms/${NEW_UUID}/seed.iso`, format: "raw" }],
  ]),
  serialLog: `/data/vms/${NEW_UUID}/serial.log`,
  nvram: `/data/vms/${NEW_UUID}/nvram.fd`,
  meta: {
    image: "debian-12",
    createdAt: "2026-02-02T00:00:00.000Z",
    diskBytes: 2147483648,
    network: "isolated",
    clonedFrom: `local.vm.${SRC_UUID}`,
    cloneMode: "linked",
    backing: [`/data/vms/${SRC_UUID}/disk.qcow2`, "/srv/data/extra.img"],
  },
  ...o,
});

describe("clone domain XML", () => {
  it("changes identity, files, MACs, logs, NVRAM and Tandem metadata, and nothing else", () => {
    const xml = cloneDomainXml(source, plan());
    const p = parseDomainXml(xml);
    expect(p.name).toBe("web1-copy");
    expect(p.uuid).toBe(NEW_UUID);
    expect(p.vcpus).toBe(2);
    expect(p.memoryKiB).toBe(262144);
    expect(p.disks.map((d) => [d.device, d.path, d.format, d.target])).toEqual([
      ["disk", `/data/vms/${NEW_UUID}/disk.qcow2`, "qcow2", "vda"],
      ["disk", `/data/vms/${NEW_UUID}/disk-vdb.qcow2`, "qcow2", "vdb"],
      ["cdrom", `/data/vms/${NEW_UUID}/seed.iso`, "raw", "sda"],
      ["cdrom", "/srv/iso/tools.iso", "raw", "sdb"], // shared, untouched
    ]);
    expect(p.nics).toEqual([{ type: "network", mac: null, network: "tandem-isolated" }]);
    expect(p.serialLog).toBe(`/data/vms/${NEW_UUID}/serial.log`);
    expect(p.nvram).toBe(`/data/vms/${NEW_UUID}/nvram.fd`);
    expect(p.tandem).toEqual(plan().meta);
    expect(p.title).toBe(`Web & "API" <1>`);

    expect(xml).not.toContain(SRC_UUID.slice(0, 8) + "-1d1e-4b55-9a0b-1c2d3e4f5a6b</uuid>");
    expect(xml).not.toContain("52:54:00:12:34:56");
    expect(xml).not.toContain("<backingStore");
    expect(xml).not.toContain("domain-3-web1"); // the agent socket path is libvirt's to pick
    expect(xml).toMatch(/<genid\/>/); // a new VM generation id
    expect(xml).toContain("libosinfo.org"); // other applications' metadata stays
    expect(xml.match(/<tandem:guest /g)).toHaveLength(1);
    expect(xml).toContain('<loader readonly="yes" type="pflash">/usr/share/OVMF/OVMF_CODE_4M.fd</loader>');
    // VNC moves off TCP: a socket libvirt generates for the clone, no port, no listen address.
    expect(xml).toMatch(/<graphics type="vnc">\s*<listen type="socket"\/>\s*<\/graphics>/);
    expect(xml).not.toMatch(/websocket=|listen="127/);
    expect(xml).toMatch(/<address type="pci" domain="0x0000" bus="0x04" slot="0x00" function="0x0"\/>/);
    // Device order is the source's.
    const order = [...xml.matchAll(/<(disk|interface|serial|console|channel|graphics) /g)].map((m) => m[1]);
    expect(order).toEqual(["disk", "disk", "disk", "disk", "interface", "serial", "console", "channel", "graphics"]);
    // Text with entities survives as text.
    expect(xml).toContain("&amp;");
    expect(xml).not.toMatch(/&amp;(amp|#10);/);
  });

  it("moves a VM defined with TCP VNC to a generated unix socket, and leaves one already there alone", () => {
    const moved = vncSocketXml(source)!;
    expect(moved).toMatch(/<graphics type="vnc">\s*<listen type="socket"\/>\s*<\/graphics>/);
    expect(moved).not.toMatch(/websocket=|port="-1"/);
    // Nothing else changes.
    expect(parseDomainXml(moved)).toEqual({
      ...parseDomainXml(source),
      vnc: { port: null, websocket: null, listen: null, socket: null },
    });
    expect(vncSocketXml(moved)).toBeNull();
    // A fixed socket path (someone else's choice) becomes a generated one too: never shared.
    const fixed = source.replace(
      /<graphics[\s\S]*<\/graphics>/,
      "<graphics type='vnc' socket='/tmp/v.sock'><listen type='socket' socket='/tmp/v.sock'/></graphics>",
    );
    expect(vncSocketXml(fixed)).not.toContain("/tmp/v.sock");
    // Other displays (SPICE) are not Tandem's to change.
    const spice = source.replace(/<graphics[\s\S]*<\/graphics>/, "<graphics type='spice' autoport='yes'/>");
    expect(vncSocketXml(spice)).toBeNull();
  });

  it("pins a linked clone's chain below its overlay, and an old VM's chain once", () => {
    const chain = [
      { path: `/data/vms/${SRC_UUID}/disk.qcow2`, format: "qcow2" },
      { path: "/data/images/uploads/base.qcow2", format: "qcow2" },
    ];
    const files = new Map(plan().files);
    files.set(`/data/vms/${SRC_UUID}/disk.qcow2`, {
      path: `/data/vms/${NEW_UUID}/disk.qcow2`,
      format: "qcow2",
      backing: chain,
    });
    const linked = cloneDomainXml(source, plan({ files })).replace(/\s+/g, " ");
    expect(linked).toContain(
      `<source file="/data/vms/${NEW_UUID}/disk.qcow2"/> <backingStore type="file"> <format type="qcow2"/> ` +
        `<source file="/data/vms/${SRC_UUID}/disk.qcow2"> <seclabel model="dac" relabel="no"/> </source>`,
    );
    expect(linked.match(/relabel="no"/g)).toHaveLength(2);

    // A VM defined before chains were pinned gets its chain; then nothing changes any more.
    const disk = `/data/vms/${SRC_UUID}/disk.qcow2`;
    const base = [{ path: "/data/images/uploads/base.qcow2", format: "qcow2" }];
    const pinned = pinBackingXml(source, new Map([[disk, base]]))!;
    expect(pinned.replace(/\s+/g, " ")).toContain(
      `<source file="${disk}"/> <backingStore type="file"> <format type="qcow2"/> <source file="/data/images/uploads/base.qcow2"> <seclabel model="dac" relabel="no"/>`,
    );
    expect(pinBackingXml(pinned, new Map([[disk, base]]))).toBeNull();
    // A chain libvirt may relabel is replaced.
    const relabelled = pinned.replace('relabel="no"', 'relabel="yes"');
    expect(pinBackingXml(relabelled, new Map([[disk, base]]))).not.toContain('relabel="yes"');
    // Disks not named are left alone.
    expect(pinBackingXml(source, new Map())).toBeNull();
  });

  it("gives a Tandem network NIC the MAC and tap the service chose, other NICs libvirt's", () => {
    const two = source.replace(
      "</interface>",
      "<target dev='tn6f1c2a431d1e0'/></interface><interface type='network'><mac address='52:54:00:AB:CD:EF'/>" +
        "<source network='tandem-net-x'/><target dev='tn6f1c2a431d1e1'/><model type='virtio'/></interface>",
    );
    const nics = new Map([["52:54:00:ab:cd:ef", { mac: "52:54:00:01:02:03", target: "tn0b7f4a1e2c3d1" }]]);
    const xml = cloneDomainXml(two, plan({ nics }));
    expect(parseDomainXml(xml).nics).toEqual([
      { type: "network", mac: null, network: "tandem-isolated" },
      { type: "network", mac: "52:54:00:01:02:03", network: "tandem-net-x" },
    ]);
    expect(xml).toContain('<target dev="tn0b7f4a1e2c3d1"/>');
    expect(xml).not.toContain("tn6f1c2a431d1e");
  });

  it("drops the NVRAM path when the clone gets none, and adds metadata to a domain without any", () => {
    const adopted = source.replace(/<metadata>[\s\S]*<\/metadata>/, "");
    const xml = cloneDomainXml(adopted, plan({ nvram: null }));
    const p = parseDomainXml(xml);
    expect(p.nvram).toBeNull();
    expect(xml).toContain('<nvram template="/usr/share/OVMF/OVMF_VARS_4M.fd"/>');
    expect(p.tandem?.clonedFrom).toBe(`local.vm.${SRC_UUID}`);
    expect(xml.indexOf("<metadata>")).toBeGreaterThan(xml.indexOf("<uuid>"));
    expect(xml.indexOf("<metadata>")).toBeLessThan(xml.indexOf("<memory"));
  });

  it("keeps hostile values as text and refuses what is not a domain", () => {
    const xml = cloneDomainXml(
      source,
      plan({ serialLog: `/data/x'"<&>/serial.log`, meta: { ...plan().meta, clonedFrom: `a</tandem:cloned-from><x>` } }),
    );
    const p = parseDomainXml(xml);
    expect(p.serialLog).toBe(`/data/x'"<&>/serial.log`);
    expect(p.tandem?.clonedFrom).toBe(`a</tandem:cloned-from><x>`);
    expect(xml).not.toContain("<x>");
    expect(() => cloneDomainXml("<network><name>n</name></network>", plan())).toThrow(CloneXmlError);
    expect(() => cloneDomainXml("<domain><name>x</name></domain>", plan())).toThrow(CloneXmlError);
    expect(() => cloneDomainXml(source, plan({ name: "bad\u0001" }))).toThrow(RangeError);
  });
});
