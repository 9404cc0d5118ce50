// The clone planner without libvirt: which of the source's disks are overlaid or copied under
// which names, which seed is rebuilt, what stays shared, the clone's metadata, and every source
// or option it refuses with VALIDATION.
import { describe, expect, it } from "vitest";
import { cloneHostname, planClone, type CloneEnv, type CloneOptions } from "./clone-plan";
import { VmLayout } from "./layout";
import { refusal } from "./test/refusal";
import type { ParsedDisk, ParsedDomain } from "./xml-parse";

const SRC = "00000000-0000-4000-8000-00000000000a";
const NEW = "00000000-0000-4000-8000-00000000000b";
const SRC_DIR = `/data/vms/${SRC}`;
const NEW_DIR = `/data/vms/${NEW}`;
const env: CloneEnv = {
  layout: new VmLayout("/data"),
  sourceUuid: SRC,
  sourceId: `local.vm.${SRC}`,
  isolatedNetwork: "tandem-isolated",
  now: "2026-02-02T00:00:00.000Z",
};
const linked: CloneOptions = { name: "copy-1", mode: "linked", uuid: NEW };
const full: CloneOptions = { ...linked, mode: "full" };

const disk = (o: Partial<ParsedDisk>): ParsedDisk => ({
  device: "disk",
  type: "file",
  path: `${SRC_DIR}/disk.qcow2`,
  format: "qcow2",
  target: "vda",
  readonly: false,
  shareable: false,
  alias: null,
  ...o,
});
const source = (o: Partial<ParsedDomain> = {}): ParsedDomain => ({
  type: "qemu",
  name: "src",
  uuid: SRC,
  title: null,
  memoryKiB: 262144,
  currentMemoryKiB: 262144,
  vcpus: 1,
  disks: [disk({})],
  nics: [{ type: "network", mac: "52:54:00:00:00:01", network: "tandem-isolated" }],
  serialLog: `${SRC_DIR}/serial.log`,
  nvram: null,
  kernel: null,
  initrd: null,
  vnc: null,
  tandem: { image: "debian", createdAt: "2026-01-01T00:00:00.000Z", diskBytes: 2 * 1024 ** 3, network: "isolated" },
  ...o,
});

describe("planClone", () => {
  const withMedia = source({
    disks: [
      disk({}),
      disk({ path: "/images/data.raw", format: "raw", target: "vdb" }),
      disk({ device: "cdrom", path: `${SRC_DIR}/seed.iso`, format: "raw", target: "sda", readonly: true }),
      disk({ device: "cdrom", path: "/iso/debian.iso", format: "raw", target: "sdb", readonly: true }),
      disk({ path: "/shared/ro.qcow2", target: "vdc", readonly: true }),
    ],
  });

  it("linked: an overlay per writable disk, the seed rebuilt, shared media left shared", () => {
    const plan = planClone(withMedia, linked, env);
    expect(plan.disks).toEqual([
      { from: `${SRC_DIR}/disk.qcow2`, format: "qcow2", to: `${NEW_DIR}/disk.qcow2` },
      { from: "/images/data.raw", format: "raw", to: `${NEW_DIR}/disk-vdb.qcow2` },
    ]);
    expect(plan.seed).toEqual({ from: `${SRC_DIR}/seed.iso`, to: `${NEW_DIR}/seed.iso` });
    expect(plan.hostname).toBe("copy-1");
    expect(plan.meta).toEqual({
      image: "debian",
      createdAt: env.now,
      diskBytes: 2 * 1024 ** 3,
      network: "isolated",
      clonedFrom: `local.vm.${SRC}`,
      cloneMode: "linked",
      backing: [`${SRC_DIR}/disk.qcow2`, "/images/data.raw"],
    });
  });

  it("full: the same copies, and no backing recorded (the clone depends on nothing)", () => {
    const plan = planClone(withMedia, full, env);
    expect(plan.disks.map((d) => d.to)).toEqual([`${NEW_DIR}/disk.qcow2`, `${NEW_DIR}/disk-vdb.qcow2`]);
    expect(plan.meta).toMatchObject({ cloneMode: "full", backing: [] });
  });

  it("a read-only disk inside the source's own directory is copied, other media there too", () => {
    const plan = planClone(
      source({
        disks: [
          disk({}),
          disk({ path: `${SRC_DIR}/ro.qcow2`, target: "vdb", readonly: true }),
          disk({ device: "cdrom", path: `${SRC_DIR}/tools.img`, format: "raw", target: "sda" }),
        ],
      }),
      linked,
      env,
    );
    expect(plan.disks.map((d) => d.from)).toEqual([`${SRC_DIR}/disk.qcow2`, `${SRC_DIR}/ro.qcow2`]);
    expect(plan.seed).toEqual({ from: `${SRC_DIR}/tools.img`, to: `${NEW_DIR}/media.img` });
  });

  it("an adopted source: no directory of its own, so its media stay shared; network from its NICs", () => {
    const adopted = (nics: ParsedDomain["nics"]) =>
      source({
        tandem: null,
        nics,
        disks: [
          disk({ path: "/var/lib/libvirt/images/a.qcow2" }),
          disk({ device: "cdrom", path: `${SRC_DIR}/seed.iso`, format: "raw", target: "sda" }),
        ],
      });
    const plan = planClone(adopted([]), full, env);
    expect(plan.seed).toBeNull();
    expect(plan.meta).toMatchObject({ image: null, diskBytes: null, network: "none" });
    const net = (n: string | null) => planClone(adopted([{ type: "network", mac: null, network: n }]), full, env);
    expect(net("tandem-isolated").meta.network).toBe("isolated");
    expect(net("default").meta.network).toBe("user");
  });

  it("disks without a usable target name are numbered", () => {
    const plan = planClone(source({ disks: [disk({}), disk({ path: "/x/b.qcow2", target: "VD B" })] }), full, env);
    expect(plan.disks[1]!.to).toBe(`${NEW_DIR}/disk-1.qcow2`);
  });

  it("refuses what it cannot clone, and bad options, with VALIDATION", () => {
    const plan = (s: ParsedDomain, o: CloneOptions = linked) => refusal(() => planClone(s, o, env));
    expect(plan(source({ disks: [disk({ type: "block", path: "/dev/sdb" })] }))).toBe(
      "VALIDATION: cannot clone src: disk vda is a block disk; only file disks can be copied",
    );
    expect(plan(source({ disks: [disk({ type: "network", path: null })] }))).toMatch(/is a network disk/);
    expect(plan(source({ disks: [disk({ format: "luks" })] }))).toBe(
      "VALIDATION: cannot clone src: disk format 'luks' is not supported",
    );
    const seeds = [1, 2].map((n) => disk({ device: "cdrom", path: `${SRC_DIR}/m${n}.img`, target: `sd${n}` }));
    expect(plan(source({ disks: [disk({}), ...seeds] }))).toBe(
      "VALIDATION: cannot clone src: more than one seed image",
    );
    expect(
      plan(
        source({
          disks: [disk({}), disk({ path: "/x/b.qcow2", target: "0" }), disk({ path: "/x/c.qcow2", target: "0" })],
        }),
      ),
    ).toBe("VALIDATION: cannot clone src: two disks share a target name");
    expect(plan(source(), { ...linked, name: "no spaces" })).toMatch(/^VALIDATION: invalid VM name/);
    expect(plan(source(), { ...linked, uuid: "nope" })).toMatch(/^VALIDATION: the clone's uuid/);
    expect(plan(source(), { ...linked, mode: "deep" as "full" })).toBe("VALIDATION: mode must be linked or full");
  });
});

describe("cloneHostname", () => {
  it("keeps a valid hostname and dashes the rest", () => {
    expect(cloneHostname("web-1")).toBe("web-1");
    expect(cloneHostname("web_1.example")).toBe("web-1-example");
    expect(cloneHostname("a_")).toBe("a");
    expect(cloneHostname("x".repeat(70))).toBe("x".repeat(63));
  });
});
