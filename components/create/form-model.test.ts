import { describe, expect, it } from "vitest";
import type { HostInfo } from "@/server/contract";
import { defaultDraft, newVolumes, splitCommand, stepOf, toBody, validate } from "./form-model";

const host: HostInfo = {
  id: "local",
  hostname: "h",
  cpus: 4,
  memoryBytes: 8 * 1024 ** 3,
  memoryAvailableBytes: 4 * 1024 ** 3,
  diskBytes: 100 * 1024 ** 3,
  diskFreeBytes: 20 * 1024 ** 3,
  loadAverage: [0, 0, 0],
  uptimeSeconds: 1,
  accel: "qemu",
  guests: { total: 0, running: 0, vms: 0, containers: 0 },
  backends: [],
  degraded: false,
};

describe("splitCommand", () => {
  it("splits words and honours quotes and backslashes", () => {
    expect(splitCommand(`sh -c "echo 'hi there'; sleep 5"`)).toEqual(["sh", "-c", "echo 'hi there'; sleep 5"]);
    expect(splitCommand(`a\\ b 'c d' "" e`)).toEqual(["a b", "c d", "", "e"]);
    expect(splitCommand("   ")).toEqual([]);
  });
});

describe("the create form", () => {
  it("turns a container draft into the server's body", () => {
    const d = {
      ...defaultDraft("container"),
      name: "web",
      image: "demo-busybox",
      vcpus: "0.5",
      command: "httpd -f",
      env: "A=1\n\nB=2",
      ports: [{ hostPort: "8080", guestPort: "80", protocol: "tcp" as const }],
    };
    expect(toBody(d)).toMatchObject({
      kind: "container",
      vcpus: 0.5,
      command: ["httpd", "-f"],
      env: ["A=1", "B=2"],
      ports: [{ hostPort: 8080, guestPort: 80, protocol: "tcp" }],
    });
    expect(validate(d, host).errors).toEqual({});
  });

  it("sends cloud-init only when a field is set", () => {
    const d = { ...defaultDraft("vm"), name: "vm1", image: "demo-vm" };
    expect(toBody(d).cloudInit).toBeUndefined();
    expect(toBody({ ...d, ciUser: "ops", ciSshKeys: "ssh-ed25519 AAA a\n\n" }).cloudInit).toEqual({
      user: "ops",
      sshKeys: ["ssh-ed25519 AAA a"],
    });
  });

  it("reports errors per field, from the contract and from the host's capacity", () => {
    const d = { ...defaultDraft("vm"), name: "bad name", image: "", vcpus: "1.5", memoryMiB: "999999", diskGiB: "500" };
    const { body, errors } = validate({ ...d, env: "NOPE" }, host);
    expect(body).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(["diskGiB", "image", "memoryMiB", "name", "vcpus"]);
    expect(stepOf("name")).toBe("Source");
    expect(stepOf("memoryMiB")).toBe("Resources");
    expect(stepOf("cloudInit.user")).toBe("Configure");
  });

  it("points env errors at the line", () => {
    const d = { ...defaultDraft("container"), name: "c", image: "i", env: "OK=1\nbroken" };
    expect(validate(d, null).errors.env).toMatch(/^line 2: /);
  });
});

describe("NICs, disks and volumes in the create form", () => {
  it("sends nics instead of the older network field, a fixed address only when given", () => {
    const d = {
      ...defaultDraft("vm"),
      name: "vm1",
      image: "demo-vm",
      network: "user" as const,
      nics: [
        { network: "lan", address: "" },
        { network: "back", address: " 10.90.0.5 " },
      ],
    };
    const body = toBody(d);
    expect(body.network).toBeUndefined();
    expect(body.nics).toEqual([
      { network: "lan", address: undefined },
      { network: "back", address: "10.90.0.5" },
    ]);
    expect(validate(d, host).errors).toEqual({});
    expect(stepOf("nics.1.address")).toBe("Resources");
  });

  it("points a bad NIC address at its row", () => {
    const d = { ...defaultDraft("vm"), name: "vm1", image: "demo-vm", nics: [{ network: "lan", address: "10.1" }] };
    expect(Object.keys(validate(d, host).errors)).toEqual(["nics.0.address"]);
  });

  it("sends a VM's extra disks, each checked on its own row", () => {
    const d = {
      ...defaultDraft("vm"),
      name: "vm1",
      image: "demo-vm",
      disks: [
        { source: "new" as const, sizeGiB: "2", pool: "", volume: "" },
        { source: "new" as const, sizeGiB: "4", pool: "fast", volume: "" },
        { source: "existing" as const, sizeGiB: "", pool: "", volume: "scratch" },
      ],
    };
    const { body, errors } = validate(d, host);
    expect(errors).toEqual({});
    expect((body as { disks?: unknown }).disks).toEqual([
      { sizeGiB: 2 },
      { sizeGiB: 4, pool: "fast" },
      { volume: "scratch" },
    ]);
    const bad = validate({ ...d, disks: [{ source: "new" as const, sizeGiB: "0", pool: "", volume: "" }] }, host);
    expect(bad.body).toBeNull();
    expect(Object.keys(bad.errors)).toEqual(["disks.0.sizeGiB"]);
    expect(stepOf("disks.0.sizeGiB")).toBe("Resources");
  });

  it("sends a container's volumes and lists the new ones to make first", () => {
    const d = {
      ...defaultDraft("container"),
      name: "c",
      image: "demo-busybox",
      volumes: [
        { source: "new" as const, volume: "data", sizeGiB: "2", path: "/data", readOnly: false },
        { source: "existing" as const, volume: "shared", sizeGiB: "", path: "/srv", readOnly: true },
      ],
    };
    const { body, errors } = validate(d, host);
    expect(errors).toEqual({});
    expect((body as { volumes?: unknown }).volumes).toEqual([
      { volume: "data", path: "/data" },
      { volume: "shared", path: "/srv", readOnly: true },
    ]);
    expect(newVolumes(d)).toEqual([{ name: "data", sizeGiB: 2 }]);
    expect(newVolumes({ ...d, kind: "vm" })).toEqual([]);
  });

  it("refuses a volume path the contract refuses, and a new volume without a size", () => {
    const d = {
      ...defaultDraft("container"),
      name: "c",
      image: "demo-busybox",
      volumes: [{ source: "new" as const, volume: "data", sizeGiB: "", path: "/proc/x", readOnly: false }],
    };
    expect(Object.keys(validate(d, host).errors).sort()).toEqual(["volumes.0.path", "volumes.0.sizeGiB"]);
  });
});

describe("ports with NICs", () => {
  const port = { hostPort: "8080", guestPort: "80", protocol: "tcp" as const };
  it("sends a VM's ports as forwards when it has NICs, and refuses them without", () => {
    const d = { ...defaultDraft("vm"), name: "vm1", image: "demo-vm", ports: [port] };
    expect(Object.keys(validate(d, host).errors)).toEqual(["ports"]);
    expect(stepOf("ports")).toBe("Configure");
    const withNic = { ...d, nics: [{ network: "lan", address: "" }] };
    expect(validate(withNic, host).errors).toEqual({});
    expect(toBody(withNic).ports).toEqual([{ hostPort: 8080, guestPort: 80, protocol: "tcp" }]);
  });
  it("lets a container on a network have them too", () => {
    const d = {
      ...defaultDraft("container"),
      name: "c",
      image: "demo-busybox",
      ports: [port],
      nics: [{ network: "lan", address: "" }],
    };
    expect(validate(d, host).errors).toEqual({});
  });
});

describe("bind mounts", () => {
  it("sends a container's binds, each row checked", () => {
    const d = {
      ...defaultDraft("container"),
      name: "c",
      image: "demo-busybox",
      binds: [{ hostPath: "/srv/shared", path: "/shared", readOnly: true }],
    };
    const { body, errors } = validate(d, host);
    expect(errors).toEqual({});
    expect((body as { binds?: unknown }).binds).toEqual([{ hostPath: "/srv/shared", path: "/shared", readOnly: true }]);
    const bad = validate({ ...d, binds: [{ hostPath: "srv", path: "/dev/x", readOnly: false }] }, host);
    expect(Object.keys(bad.errors).sort()).toEqual(["binds.0.hostPath", "binds.0.path"]);
    expect(stepOf("binds.0.path")).toBe("Resources");
  });
});
