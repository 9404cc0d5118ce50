// The create planner without libvirt: what a spec becomes (disk job, seed, boot, NIC, metadata)
// for each image format, and every input it refuses with VALIDATION before anything is made.
import { describe, expect, it } from "vitest";
import type { GuestSpec, ResolvedImage } from "../../../domain/driver";
import { DEFAULT_INSTALL_DISK_GIB, planCreate, type CreateEnv } from "./create-plan";
import { VmLayout } from "./layout";
import { refusal } from "./test/refusal";

const UUID = "00000000-0000-4000-8000-000000000001";
const DIR = `/data/vms/${UUID}`;
const GiB = 1024 ** 3;
const env: CreateEnv = {
  accel: "qemu",
  layout: new VmLayout("/data"),
  isolatedNetwork: "tandem-isolated",
  seedTool: true,
  now: "2026-01-01T00:00:00.000Z",
};
const demo: ResolvedImage = {
  id: "demo-vm",
  kind: "vm",
  format: "demo-kernel",
  path: "/img/demo/disk.qcow2",
  meta: { kernel: "/img/demo/vmlinuz", initrd: "/img/demo/initrd", disk: "/img/demo/disk.qcow2", cmdline: "quiet" },
};
const cloud: ResolvedImage = { id: "debian", kind: "vm", format: "qcow2", path: "/img/debian.qcow2", meta: {} };
const iso: ResolvedImage = { id: "installer", kind: "vm", format: "iso", path: "/img/debian.iso", meta: {} };

const spec = (o: Partial<GuestSpec<"vm">> = {}): GuestSpec<"vm"> => ({
  kind: "vm",
  name: "vm-1",
  uuid: UUID,
  image: "demo-vm",
  vcpus: 2,
  memoryMiB: 256,
  resolvedImage: demo,
  ...o,
});

describe("planCreate", () => {
  it("demo image: an overlay on its disk, kernel boot, the user network by default", () => {
    const plan = planCreate(spec({ diskGiB: 4 }), env);
    expect(plan.disk).toEqual({
      kind: "overlay",
      path: `${DIR}/disk.qcow2`,
      backing: "/img/demo/disk.qcow2",
      format: "qcow2",
      sizeBytes: 4 * GiB,
      inspect: false,
    });
    expect(plan.mustExist.map((f) => f.path)).toEqual([
      "/img/demo/vmlinuz",
      "/img/demo/initrd",
      "/img/demo/disk.qcow2",
    ]);
    expect(plan.mustExist[1]!.message).toBe("image 'demo-vm' is missing initrd");
    expect(plan.seed).toBeNull();
    expect(plan.noSeedTool).toBe(false);
    expect(plan.start).toBe(true);
    expect(plan.network).toBe("user");
    expect(plan.domain).toMatchObject({
      type: "qemu",
      name: "vm-1",
      uuid: UUID,
      vcpus: 2,
      memoryMiB: 256,
      boot: { kind: "kernel", kernel: "/img/demo/vmlinuz", initrd: "/img/demo/initrd", cmdline: "quiet" },
      nics: [{ kind: "user" }],
      serialLog: `${DIR}/serial.log`,
      vnc: true,
      meta: { image: "demo-vm", createdAt: env.now, diskBytes: null, network: "user" },
    });
    expect(plan.domain.disks).toEqual([
      {
        path: `${DIR}/disk.qcow2`,
        format: "qcow2",
        device: "disk",
        bus: "virtio",
        target: "vda",
        backing: [{ path: "/img/demo/disk.qcow2", format: "qcow2" }],
      },
    ]);
  });

  it("disk image: inspected, overlaid, with a cloud-init seed on a cdrom", () => {
    const plan = planCreate(
      spec({ resolvedImage: cloud, network: "isolated", cloudInit: { user: "ana", sshKeys: ["ssh-ed25519 AAAA"] } }),
      env,
    );
    expect(plan.disk).toMatchObject({ kind: "overlay", backing: "/img/debian.qcow2", format: "qcow2", inspect: true });
    expect(plan.seed).toEqual({
      path: `${DIR}/seed.iso`,
      config: { instanceId: UUID, hostname: "vm-1", user: "ana", password: undefined, sshKeys: ["ssh-ed25519 AAAA"] },
    });
    expect(plan.domain.boot).toEqual({ kind: "firmware", order: ["hd"] });
    expect(plan.domain.disks[1]).toEqual({
      path: `${DIR}/seed.iso`,
      format: "raw",
      device: "cdrom",
      bus: "sata",
      target: "sda",
      readonly: true,
    });
    expect(plan.domain.nics).toEqual([{ kind: "network", network: "tandem-isolated" }]);
    expect(plan.domain.meta.network).toBe("isolated");
  });

  it("nics on Tandem networks: one libvirt network NIC each, in order, with its MAC", () => {
    const resolvedNics = [
      { networkId: "n-b", mac: "52:54:00:0a:0b:0c", address: null },
      { networkId: "n-a", mac: "52:54:00:01:02:03", address: null },
    ];
    const plan = planCreate(spec({ resolvedNics }), env);
    expect(plan.network).toBe("networks");
    expect(plan.domain.meta.network).toBe("networks");
    expect(plan.domain.nics).toEqual([
      { kind: "network", network: "tandem-net-n-b", mac: "52:54:00:0a:0b:0c" },
      { kind: "network", network: "tandem-net-n-a", mac: "52:54:00:01:02:03" },
    ]);
    // An empty list is no NIC choice at all: the older `network` default applies.
    expect(planCreate(spec({ resolvedNics: [] }), env).domain.nics).toEqual([{ kind: "user" }]);
  });

  it("nics: refused together with network, or with a MAC libvirt would not take", () => {
    const nic = { networkId: "n-a", mac: "52:54:00:01:02:03", address: null };
    expect(refusal(() => planCreate(spec({ resolvedNics: [nic], network: "isolated" }), env))).toBe(
      "VALIDATION: nics: give either nics or network, not both",
    );
    expect(refusal(() => planCreate(spec({ resolvedNics: [{ ...nic, mac: "52:54:00:01:02" }] }), env))).toBe(
      "VALIDATION: nics[0]: MAC '52:54:00:01:02' is not a lowercase unicast MAC",
    );
  });

  it("disk image: the hostname comes from cloud-init, then the spec, then the name", () => {
    const h = (o: Partial<GuestSpec<"vm">>) =>
      planCreate(spec({ resolvedImage: cloud, ...o }), env).seed?.config.hostname;
    expect(h({ hostname: "web", cloudInit: { hostname: "db" } })).toBe("db");
    expect(h({ hostname: "web" })).toBe("web");
    expect(h({})).toBe("vm-1");
    expect(refusal(() => h({ name: "vm_1" }))).toBe("VALIDATION: 'vm_1' is not a valid hostname");
  });

  it("disk image without a seed tool: no seed unless cloud-init was asked for", () => {
    const none = planCreate(spec({ resolvedImage: cloud }), { ...env, seedTool: false });
    expect(none.seed).toBeNull();
    expect(none.noSeedTool).toBe(true);
    expect(none.domain.disks).toHaveLength(1);
    // Asked for: the seed is planned, and writing it fails loudly later (no silent skip).
    const asked = planCreate(spec({ resolvedImage: cloud, cloudInit: { user: "ana" } }), { ...env, seedTool: false });
    expect(asked.seed?.path).toBe(`${DIR}/seed.iso`);
  });

  it("installer ISO: a blank disk (20 GiB unless asked), cdrom first, no network", () => {
    const plan = planCreate(spec({ resolvedImage: iso, network: "none", start: false }), env);
    expect(plan.disk).toEqual({ kind: "blank", path: `${DIR}/disk.qcow2`, sizeBytes: DEFAULT_INSTALL_DISK_GIB * GiB });
    expect(plan.domain.meta.diskBytes).toBe(DEFAULT_INSTALL_DISK_GIB * GiB);
    expect(plan.domain.boot).toEqual({ kind: "firmware", order: ["cdrom", "hd"] });
    expect(plan.domain.disks.map((d) => [d.device, d.path])).toEqual([
      ["disk", `${DIR}/disk.qcow2`],
      ["cdrom", "/img/debian.iso"],
    ]);
    expect(plan.domain.nics).toEqual([]);
    expect(plan.start).toBe(false);
    expect(planCreate(spec({ resolvedImage: iso, diskGiB: 8 }), env).disk).toMatchObject({ sizeBytes: 8 * GiB });
  });

  it("uses the accelerator it is given", () => {
    expect(planCreate(spec(), { ...env, accel: "kvm" }).domain.type).toBe("kvm");
  });

  it("refuses bad input with VALIDATION before anything is made", () => {
    expect(refusal(() => planCreate(spec({ name: "bad name" }), env))).toMatch(/^VALIDATION: invalid VM name/);
    expect(refusal(() => planCreate(spec({ uuid: "ABC" }), env))).toMatch(/^VALIDATION: the VM's uuid/);
    expect(refusal(() => planCreate(spec({ vcpus: 0 }), env))).toBe("VALIDATION: vcpus must be at least 1");
    expect(refusal(() => planCreate(spec({ vcpus: 1.5 }), env))).toBe("VALIDATION: vcpus must be at least 1");
    expect(refusal(() => planCreate(spec({ memoryMiB: 8 }), env))).toBe("VALIDATION: memoryMiB must be at least 16");
    const ct: ResolvedImage = { ...demo, kind: "container" };
    expect(refusal(() => planCreate(spec({ resolvedImage: ct }), env))).toBe(
      "VALIDATION: image 'demo-vm' is not a VM image",
    );
    const noMeta: ResolvedImage = { ...demo, meta: { kernel: "relative/vmlinuz" } };
    expect(refusal(() => planCreate(spec({ resolvedImage: noMeta }), env))).toBe(
      "VALIDATION: image 'demo-vm' lacks kernel/initrd/disk paths",
    );
    const relative: ResolvedImage = { ...cloud, path: "debian.qcow2" };
    expect(refusal(() => planCreate(spec({ resolvedImage: relative }), env))).toBe(
      "VALIDATION: image 'debian' has no file on this host",
    );
    const oci: ResolvedImage = { ...cloud, format: "oci" };
    expect(refusal(() => planCreate(spec({ resolvedImage: oci }), env))).toBe(
      "VALIDATION: image format 'oci' cannot make a VM",
    );
  });

  it("extra disks: the service's volumes as vdb, vdc, … in order, each with its alias, after the seed", () => {
    const vols = [
      { path: "/pool/a.qcow2", format: "qcow2" as const },
      { path: "/pool/b.raw", format: "raw" as const },
    ];
    const plan = planCreate(spec({ resolvedImage: cloud, resolvedDisks: vols }), env);
    expect(plan.domain.disks.map((d) => [d.target, d.path, d.format, d.alias ?? null])).toEqual([
      ["vda", `${DIR}/disk.qcow2`, "qcow2", null],
      ["sda", `${DIR}/seed.iso`, "raw", null],
      ["vdb", "/pool/a.qcow2", "qcow2", "ua-disk-vdb"],
      ["vdc", "/pool/b.raw", "raw", "ua-disk-vdc"],
    ]);
    expect(plan.domain.disks.slice(2).every((d) => d.device === "disk" && d.bus === "virtio" && !d.backing)).toBe(true);
    const many = Array.from({ length: 26 }, (_, i) => ({ path: `/pool/${i}`, format: "qcow2" as const }));
    expect(refusal(() => planCreate(spec({ resolvedDisks: many }), env))).toBe("VALIDATION: disks: at most 25 disks");
    expect(refusal(() => planCreate(spec({ resolvedDisks: [{ path: "rel", format: "qcow2" }] }), env))).toBe(
      "VALIDATION: disks[0]: no volume path",
    );
  });
});
