// Every shape of domain XML a create defines, checked by libvirtd against its own RelaxNG
// schema (a define with DefineFlag.VALIDATE, then undefined): create.ts defines buildDomainXml's
// output without VALIDATE (libvirtd reloads the schema on each validated define, ~20 ms), so
// this is where an element libvirt would silently ignore is caught.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, DefineFlag, type Connection } from "../../../../native/libvirt/index";
import type { GuestSpec, ResolvedImage } from "../../../domain/driver";
import { planCreate } from "./create-plan";
import { VmLayout } from "./layout";
import { haveBackend, URI } from "./test/support";
import { buildDomainXml } from "./xml-build";

const UUID = "00000000-0000-4000-8000-00000000000a";
const NAME = `tvt-schema-${process.pid}`;
let c: Connection;

/** libvirtd's verdict on the XML: null when valid (the domain is undefined again), else its message. */
async function validate(xml: string): Promise<string | null> {
  try {
    const d = await c.defineDomain(xml, DefineFlag.VALIDATE);
    await d.undefine();
    d.free();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const images: Record<string, ResolvedImage> = {
  demo: {
    id: "demo-vm",
    kind: "vm",
    format: "demo-kernel",
    path: "/img/demo/disk.qcow2",
    meta: { kernel: "/img/demo/vmlinuz", initrd: "/img/demo/initrd", disk: "/img/demo/disk.qcow2", cmdline: "quiet" },
  },
  cloud: { id: "debian", kind: "vm", format: "qcow2", path: "/img/debian.qcow2", meta: {} },
  raw: { id: "raw", kind: "vm", format: "raw", path: "/img/disk.raw", meta: {} },
  iso: { id: "installer", kind: "vm", format: "iso", path: "/img/debian.iso", meta: {} },
};

const xmlFor = (image: ResolvedImage, o: Partial<GuestSpec<"vm">>, accel: "kvm" | "qemu") => {
  const spec: GuestSpec<"vm"> = {
    kind: "vm",
    name: NAME,
    uuid: UUID,
    image: image.id,
    vcpus: 2,
    memoryMiB: 256,
    resolvedImage: image,
    ...o,
  };
  const plan = planCreate(spec, {
    accel,
    layout: new VmLayout("/data"),
    isolatedNetwork: "tandem-isolated",
    seedTool: true,
    now: "2026-01-01T00:00:00.000Z",
  });
  return buildDomainXml({ ...plan.domain, meta: { ...plan.domain.meta, diskBytes: plan.domain.meta.diskBytes ?? 1 } });
};

describe.skipIf(!haveBackend())("create's domain XML against libvirt's schema", () => {
  beforeAll(async () => {
    c = await connect(URI);
  });
  afterAll(async () => {
    await c?.close();
  });

  for (const [name, image] of Object.entries(images)) {
    for (const network of ["user", "isolated", "none"] as const) {
      for (const accel of ["qemu", "kvm"] as const) {
        it(`${name} image, ${network} network, ${accel}: valid`, async () => {
          const cloudInit = name === "cloud" ? { user: "me", sshKeys: ["ssh-ed25519 AAAA me@x"] } : undefined;
          expect(await validate(xmlFor(image, { network, cloudInit }, accel))).toBeNull();
        });
      }
    }
  }

  it("extra disks (pool volumes as vdb, vdc with their user aliases): valid", async () => {
    const resolvedDisks = [
      { path: "/pool/a.qcow2", format: "qcow2" as const },
      { path: "/pool/b.raw", format: "raw" as const },
    ];
    for (const image of [images.demo!, images.cloud!]) {
      const xml = xmlFor(image, { network: "none", resolvedDisks }, "qemu");
      expect(xml).toContain('<alias name="ua-disk-vdc"/>');
      expect(await validate(xml)).toBeNull();
    }
  });

  it("the check fails for an element libvirt's schema does not know", async () => {
    const xml = xmlFor(images.demo!, {}, "qemu").replace("<devices>", "<devices><no-such-device/>");
    expect(await validate(xml)).toMatch(/schema|invalid|fail/i);
  });
});
