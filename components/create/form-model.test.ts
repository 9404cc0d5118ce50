import { describe, expect, it } from "vitest";
import type { HostInfo } from "@/server/contract";
import { defaultDraft, splitCommand, stepOf, toBody, validate } from "./form-model";

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
