// Integration test of networkUpdate and device hotplug against the real daemon: a scratch isolated
// network gets DNS and DHCP host entries live and in its config (seen in both XMLs and answered
// by its dnsmasq), and a running tiny domain on it gets a NIC and a disk hot-added, its NIC's
// link updated, its disk grown and its config-side devices detached. Everything is named with
// RUN and swept in afterAll even when a step failed. Live detach is not tested: it needs the
// guest's cooperation (ACPI eject), which the tiny domain's root-less kernel cannot give.
import { execFileSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { chmodSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  isLibvirtError,
  isNoNetwork,
  DeviceModifyFlag,
  NetworkUpdateFlag,
  NetworkXMLFlag,
  XMLFlag,
  type Connection,
} from "../index";
import { RUN, URI, hostKernel, qcow2, sweep, tempDir, tinyDomainXml } from "./helpers";

let conn: Connection;

beforeAll(async () => {
  conn = await connect(URI);
  await sweep(conn);
});

afterAll(async () => {
  await sweep(conn);
  await conn?.close();
});

const octet = 100 + (process.pid % 100);
const subnet = `10.215.${octet}`;
const net = `${RUN}-upd`;
const BOTH = NetworkUpdateFlag.LIVE | NetworkUpdateFlag.CONFIG;

async function xmls(): Promise<{ live: string; config: string }> {
  return {
    live: await conn.networkGetXMLDesc(net),
    config: await conn.networkGetXMLDesc(net, NetworkXMLFlag.INACTIVE),
  };
}

describe("networkUpdate on a running network", () => {
  it("adds and deletes a DNS host and a DHCP static host, live and in the config", async () => {
    await conn.networkDefineXML(
      `<network><name>${net}</name><bridge name='tnu${process.pid % 100000}' stp='off'/>` +
        `<ip address='${subnet}.1' netmask='255.255.255.0'><dhcp>` +
        `<range start='${subnet}.100' end='${subnet}.200'/></dhcp></ip></network>`,
    );
    await conn.networkCreate(net);

    const dnsHost = `<host ip='${subnet}.5'><hostname>web-a</hostname></host>`;
    await conn.networkUpdate(net, "add_last", "dns_host", dnsHost, BOTH);
    let x = await xmls();
    expect(x.live).toMatch(new RegExp(`<host ip='${subnet}\\.5'>\\s*<hostname>web-a</hostname>`));
    expect(x.config).toMatch(new RegExp(`<host ip='${subnet}\\.5'>\\s*<hostname>web-a</hostname>`));
    // The running dnsmasq answers for it (the bridge address belongs to this test's network).
    const dns = new Resolver({ timeout: 2000, tries: 2 });
    dns.setServers([`${subnet}.1`]);
    expect(await dns.resolve4("web-a")).toEqual([`${subnet}.5`]);

    const dhcpHost = `<host mac='52:54:00:aa:bb:05' name='vm-a' ip='${subnet}.50'/>`;
    await conn.networkUpdate(net, "add_last", "ip_dhcp_host", dhcpHost, BOTH, 0);
    x = await xmls();
    for (const doc of [x.live, x.config]) expect(doc).toContain(dhcpHost);
    const hostsFile = readFileSync(`/var/lib/libvirt/dnsmasq/${net}.hostsfile`, "utf8");
    expect(hostsFile).toContain(`52:54:00:aa:bb:05,${subnet}.50,vm-a`);

    // Config only: the running network does not see it.
    const later = `<host ip='${subnet}.6'><hostname>web-b</hostname></host>`;
    await conn.networkUpdate(net, "add_last", "dns_host", later, NetworkUpdateFlag.CONFIG);
    x = await xmls();
    expect(x.config).toContain("web-b");
    expect(x.live).not.toContain("web-b");

    await conn.networkUpdate(net, "delete", "dns_host", dnsHost, BOTH);
    await conn.networkUpdate(net, "delete", "dns_host", later, NetworkUpdateFlag.CONFIG);
    await conn.networkUpdate(net, "delete", "ip_dhcp_host", dhcpHost, BOTH);
    x = await xmls();
    for (const doc of [x.live, x.config]) {
      expect(doc).not.toContain("web-a");
      expect(doc).not.toContain("aa:bb:05");
    }
    expect(x.config).not.toContain("web-b");
    await expect(dns.resolve4("web-a")).rejects.toThrow();

    // Deleting what is not there, or updating a network that is not there: LibvirtError.
    const gone = await conn.networkUpdate(net, "delete", "dns_host", dnsHost, BOTH).catch((e: unknown) => e);
    expect(isLibvirtError(gone)).toBe(true);
    const noNet = await conn.networkUpdate(`${RUN}-nonet`, "add_last", "dns_host", dnsHost).catch((e: unknown) => e);
    expect(isNoNetwork(noNet)).toBe(true);

    await conn.networkDestroy(net);
    await conn.networkUndefine(net);
    expect((await conn.listNetworks()).some((n) => n.name === net)).toBe(false);
  });

  it("checks networkUpdate's arguments before any call", () => {
    expect(() => conn.networkUpdate(net, "bogus" as "delete", "dns_host", "<host/>")).toThrow(
      /unknown network update command/,
    );
    expect(() => conn.networkUpdate(net, "add_last", "DNS_HOST" as "dns_host", "<host/>")).toThrow(
      /unknown network update section/,
    );
    expect(() => conn.networkUpdate(net, "add_last", "dns_host", "<host/>", 0, -2)).toThrow(TypeError);
    expect(() => conn.networkUpdate(net, "add_last", "dns_host", "<host/>", 0, 0.5)).toThrow(/parentIndex/);
    expect(() => conn.networkUpdate(net, "add_last", "dns_host", 7 as unknown as string)).toThrow(
      /xml must be a string/,
    );
  });
});

describe("device hotplug on a running domain", () => {
  it("attaches a NIC and a disk live and in the config, updates, grows and detaches", async () => {
    const kernel = hostKernel();
    expect(kernel, "a host kernel in /boot to boot the tiny domain").not.toBeNull();
    const dir = tempDir();
    chmodSync(dir, 0o755); // QEMU runs as libvirt-qemu and must reach the image
    const disk = path.join(dir, "extra.qcow2");
    qcow2(disk, "16M");
    // PCI hotplug on the i440fx machine goes through ACPI: without <acpi/> QEMU refuses device_add.
    const xml = tinyDomainXml(`${RUN}-hot`, { kernel }).replace("</os>", "</os><features><acpi/></features>");
    const dom = await conn.defineDomain(xml);
    await dom.create();
    const both = DeviceModifyFlag.LIVE | DeviceModifyFlag.CONFIG;
    const live = () => dom.getXMLDesc();
    const config = () => dom.getXMLDesc(XMLFlag.INACTIVE);

    const hotnet = `${RUN}-hotnet`;
    await conn.networkCreateXML(
      `<network><name>${hotnet}</name><bridge name='tnh${process.pid % 100000}' stp='off'/></network>`,
    );
    const nic =
      `<interface type='network'><source network='${hotnet}'/><mac address='52:54:00:aa:bb:07'/>` +
      `<model type='virtio'/><alias name='ua-nic7'/></interface>`;
    await dom.attachDevice(nic, both);
    expect(await live()).toContain("52:54:00:aa:bb:07");
    expect(await config()).toContain("52:54:00:aa:bb:07");
    await dom.updateDevice(
      `<interface type='network'><source network='${hotnet}'/><mac address='52:54:00:aa:bb:07'/>` +
        `<model type='virtio'/><link state='down'/></interface>`,
      DeviceModifyFlag.LIVE,
    );
    expect(await live()).toMatch(/<mac address='52:54:00:aa:bb:07'\/>[\s\S]*?<link state='down'\/>/);

    const diskXml =
      `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>` +
      `<source file='${disk}'/><target dev='vdb' bus='virtio'/></disk>`;
    await dom.attachDevice(diskXml, both);
    expect(await live()).toContain(`<source file='${disk}'`);
    expect(await config()).toContain("<target dev='vdb' bus='virtio'/>");
    // Grow the disk under the running guest: QEMU resizes the image itself.
    await dom.blockResize("vdb", 32 * 1024 * 1024);
    const info = JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", disk], { encoding: "utf8" })) as {
      "virtual-size": number;
    };
    expect(info["virtual-size"]).toBe(32 * 1024 * 1024);

    // Config-side detach is immediate (a live one needs the guest's cooperation, which this
    // kernel without a root filesystem cannot give).
    await dom.detachDevice(diskXml, DeviceModifyFlag.CONFIG);
    await dom.detachDeviceAlias("ua-nic7", DeviceModifyFlag.CONFIG);
    const cfg = await config();
    expect(cfg).not.toContain("vdb");
    expect(cfg).not.toContain("52:54:00:aa:bb:07");
    expect(await live()).toContain("vdb");

    const bad = await dom.attachDevice("<disk><oops", DeviceModifyFlag.LIVE).catch((e: unknown) => e);
    expect(isLibvirtError(bad)).toBe(true);
    expect(() => dom.attachDevice(5 as unknown as string)).toThrow(/xml must be a string/);
    expect(() => dom.blockResize("vdb", -1)).toThrow(TypeError);
    expect(() => dom.detachDeviceAlias(null as unknown as string)).toThrow(/alias must be a string/);
    await dom.destroy();
    await dom.undefine();
    await conn.networkDestroy(hotnet);
  });
});
