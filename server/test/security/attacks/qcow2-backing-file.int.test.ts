// Attack (issue #10 item 2): a qcow2 upload reads any host file or disk. A qcow2 image names
// other files itself — a backing file, an external data file, a `json:` pseudo-file — and
// QEMU and qemu-img open them with their own rights when they open the image. An operator who
// uploads `qemu-img create -f qcow2 -b /dev/sda -F raw x.qcow2` and makes a VM or a full clone
// of it gets the host's disk inside the guest.
// The fix (server/drivers/vm/libvirt/disk-inspect.ts): every VM disk upload is inspected with
// `qemu-img info --output=json` under CPU, memory and time limits and refused with VALIDATION
// when it names any other file or is not the declared format; formats are always passed
// explicitly afterwards, so nothing is probed.
//
// Through the public API with the real libvirt driver: the test writes a root-only 0600 file
// with a marker, uploads a qcow2 whose backing file (and one whose external data file) is that
// file, then tries to make a VM and a full clone from it and looks for the marker in their disks.
//
// before the fix: both uploads were stored (201); the marker was in the new VM's disk (read with
// qemu-img convert) and in the bytes of the full clone's own qcow2 file; a qcow2 declared as raw
// was stored too, seen at 6465caf.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../contract/guest";
import { LOCAL_HOST_ID } from "../../../domain/ids";
import { LibvirtDriver } from "../../../drivers/vm";
import { haveBackend } from "../../../drivers/vm/libvirt/test/support";
import { Client, startTestServer, type TestServer } from "../../harness";

const run = haveBackend();
const tag = Math.random().toString(36).slice(2, 7);
const MARKER = `TANDEM-HOST-SECRET-${tag}`;
let server: TestServer;
let admin: Client;
let work: string;
let secret: string;
const created: string[] = [];

async function upload(name: string, file: string, format = "qcow2") {
  const res = await fetch(`${server.url}/api/v1/images?name=${name}&kind=vm&format=${format}`, {
    method: "POST",
    body: readFileSync(file),
    headers: { "content-type": "application/octet-stream", cookie: admin.cookie!, "x-csrf-token": admin.csrf! },
  });
  return {
    status: res.status,
    body: (await res.json()) as { image?: { id: string }; error?: { code: string; message: string } },
  };
}

/** Asks for a stopped VM from the image; returns its id and the finished task. */
async function createVm(image: string, name: string) {
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "vm",
    name,
    image,
    vcpus: 1,
    memoryMiB: 64,
    network: "none",
    start: false,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  return { id: res.body.guest.id, task: await server.services.tasks.waitFor(res.body.taskId, 60_000) };
}

/** Makes a stopped VM from the image and returns its id and the guest-visible bytes of its disk. */
async function vmFrom(image: string, name: string): Promise<{ id: string; visible: string }> {
  const { id, task } = await createVm(image, name);
  expect(task.state, JSON.stringify(task)).toBe("succeeded");
  return { id, visible: guestView(diskOf(id)) };
}

const diskOf = (id: string) => path.join(server.dataDir, "vms", id.split(".")[2]!, "disk.qcow2");

/** What the guest would read from its disk: the image with its whole chain, as raw bytes. */
function guestView(disk: string): string {
  const out = path.join(work, `view-${Math.random().toString(36).slice(2)}.raw`);
  execFileSync("qemu-img", ["convert", "-U", "-f", "qcow2", "-O", "raw", disk, out]);
  return readFileSync(out, "latin1");
}

describe.skipIf(!run)("attack: a qcow2 upload reads a host file", () => {
  beforeAll(async () => {
    server = await startTestServer({
      driverFactory: (dataDir) => [
        new LibvirtDriver({
          uri: "qemu:///system",
          hostId: LOCAL_HOST_ID,
          dataDir,
          logger: pino({ level: "silent" }),
          isolatedNetwork: { name: `tvt-q${tag}-net`, bridge: `tdq${tag}`, prefix: "10.231.19" },
        }),
      ],
    });
    admin = new Client(server.url);
    await admin.login();
    work = path.join(server.dataDir, "attack-work");
    execFileSync("mkdir", ["-m", "0700", work]);
    // The host file the attacker wants: root-only, with a marker at its start.
    secret = path.join(work, "host-secret.raw");
    const bytes = Buffer.alloc(1024 * 1024);
    bytes.write(MARKER, 0, "latin1");
    writeFileSync(secret, bytes, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    for (const id of created) {
      await admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => undefined);
    }
    for (const id of created) {
      for (let i = 0; i < 100 && (await admin.raw("GET", `/api/v1/guests/${id}`)).status !== 404; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await server?.stop();
  }, 120_000);

  it("refuses a qcow2 whose backing file is a host file; no VM or full clone carries its bytes", async () => {
    const evil = path.join(work, "backing.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil]);
    const up = await upload(`evil-backing-${tag}`, evil);
    let inVm = false;
    let inClone = false;
    if (up.status === 201) {
      // What the old code let happen: a VM, then a full clone of it.
      const vm = await vmFrom(up.body.image!.id, `q-${tag}-vm`);
      inVm = vm.visible.includes(MARKER);
      const clone = await admin.json<{ guest: Guest; taskId: string }>("POST", `/api/v1/guests/${vm.id}/clone`, {
        name: `q-${tag}-full`,
        mode: "full",
      });
      expect(clone.status, JSON.stringify(clone.body)).toBe(202);
      created.push(clone.body.guest.id);
      expect((await server.services.tasks.waitFor(clone.body.taskId, 60_000)).state).toBe("succeeded");
      inClone = readFileSync(diskOf(clone.body.guest.id), "latin1").includes(MARKER);
    }
    expect({ status: up.status, code: up.body.error?.code, inVm, inClone }).toEqual({
      status: 400,
      code: "VALIDATION",
      inVm: false,
      inClone: false,
    });
    expect(up.body.error!.message).toMatch(/backing file/);
  });

  it("refuses a qcow2 whose external data file is a host file", async () => {
    const evil = path.join(work, "datafile.qcow2");
    const decoy = path.join(work, "decoy.raw");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-o", `data_file=${decoy},data_file_raw=on`, evil, "1M"]);
    // Point the image's data file at the secret after the fact (qemu-img create would truncate it).
    execFileSync("qemu-img", ["amend", "-q", "-f", "qcow2", "-o", `data_file=${secret}`, evil]);
    const up = await upload(`evil-datafile-${tag}`, evil);
    const inVm =
      up.status === 201 ? (await vmFrom(up.body.image!.id, `q-${tag}-data`)).visible.includes(MARKER) : false;
    expect({ status: up.status, code: up.body.error?.code, inVm }).toEqual({
      status: 400,
      code: "VALIDATION",
      inVm: false,
    });
    expect(up.body.error!.message).toMatch(/data file/);
  });

  it("an image stored before uploads were inspected cannot make a VM either", async () => {
    const evil = path.join(work, "stored-before.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil]);
    // As an upload accepted by the old code left it: a row pointing at the file.
    const id = `stored-before-${tag}`;
    await server.db.image.create({
      data: { id, name: id, kind: "vm", format: "qcow2", path: evil, sizeBytes: 0n, source: "upload", meta: "{}" },
    });
    const vm = await createVm(id, `q-${tag}-old`);
    expect(vm.task.state).toBe("failed");
    expect(JSON.stringify(vm.task)).toMatch(/backing file/);
    expect(existsSync(diskOf(vm.id)), "no disk was made").toBe(false);
  });

  it("refuses a qcow2 declared as raw (a later probe would read its backing file)", async () => {
    const evil = path.join(work, "disguised.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil]);
    const up = await upload(`evil-disguised-${tag}`, evil, "raw");
    expect({ status: up.status, code: up.body.error?.code }).toEqual({ status: 400, code: "VALIDATION" });
    expect(up.body.error!.message).toMatch(/qcow2/);
  });
});
