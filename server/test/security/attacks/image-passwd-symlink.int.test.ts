// Attack (issue #10 item 8): an operator uploads an image whose etc/passwd is a symlink, then
// creates a container from it. Tandem resolves the image's User on the host by reading the new
// rootfs's etc/passwd and etc/group, and it read them with readFileSync, following the link:
//  - to a host file: the host file was read with root's rights and decided the container's user
//    (a secret in passwd format named `leaked` gave the container uid 4321);
//  - to /dev/zero: the read never ends; Tandem's memory grows until it is killed.
// Before the fix (seen at 2febe26, real conmon + crun): the `leaked` image created a container
// running as uid 4321 taken from the root-only host file; the /dev/zero image made the test
// process read without end (run inside a 3 GiB memory cgroup, the kernel's OOM killer ended the
// vitest worker; unconfined it would take the host's memory). After: the files are opened
// beneath the rootfs with no symlink followed and only as a regular file under 1 MiB
// (rootfs-files.ts): the `leaked` image fails with a clean VALIDATION error (the user is not in
// the image's passwd), the /dev/zero image runs as the default user, and Tandem stays healthy.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../contract/guest";
import type { Task } from "../../../contract/task";
import type { ContainerDriver } from "../../../drivers/container";
import type { TarSpecEntry } from "../../../drivers/container/test/tar-writer";
import {
  Client,
  removeCgroupParent,
  startTestServer,
  testContainerDriver,
  until,
  type TestServer,
} from "../../harness";
import { dockerSave, postImage } from "../image-uploads";

const demoDir = path.resolve(import.meta.dirname, "../../../../data/images/demo");
let server: TestServer;
let driver: ContainerDriver | null = null;
let admin: Client;
let hostDir: string;
let baseDiffId: string;
const created: string[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
  hostDir = mkdtempSync(path.join(os.tmpdir(), "tandem-host-"));
  server = await startTestServer({
    // Own names: other test files and a developer's Tandem on this host are never touched.
    driverFactory: (dataDir) => [(driver = testContainerDriver(dataDir, "atk8", "10.231.88.0/24"))],
    containers: true,
    demoImageDir: demoDir,
  });
  admin = new Client(server.url);
  await admin.login();
  const demo = await server.db.image.findUniqueOrThrow({ where: { id: "demo-busybox" } });
  baseDiffId = (JSON.parse(readFileSync(path.join(demo.path, "image.json"), "utf8")) as { layers: string[] })
    .layers[0]!;
});

afterAll(async () => {
  for (const id of created) await admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
  for (const id of created)
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 20_000).catch(() => {});
  await server?.stop();
  await driver?.network.destroy();
  removeCgroupParent("tandem-atk8");
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

/**
 * A docker-save archive: the demo busybox layer (already in the store, so its tar is a
 * placeholder the store never reads) under one layer of our own, with the given User.
 */
function imageOnBusybox(top: TarSpecEntry[], user: string, tag: string): Buffer {
  // HOME given: crun would otherwise look it up in the container's own /etc/passwd (inside the
  // container, under its memory limit: the image's problem, not the host's).
  const config = { Cmd: ["sleep", "3600"], User: user, Env: ["PATH=/bin:/usr/bin", "HOME=/root"] };
  return dockerSave([{ reuse: baseDiffId }, top], config, tag);
}

async function uploadImage(name: string, archive: Buffer): Promise<string> {
  const res = await postImage(
    server.url,
    admin,
    `name=${name}&kind=container&format=docker-archive`,
    new Uint8Array(archive),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { image: { id: string } }).image.id;
}

async function createContainer(image: string, name: string): Promise<{ guestId: string; task: Task }> {
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    name,
    image,
    vcpus: 1,
    memoryMiB: 64,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  const task = await until(async () => {
    const t = (await admin.json<{ task: Task }>("GET", `/api/v1/tasks/${res.body.taskId}`)).body.task;
    return t.state === "succeeded" || t.state === "failed" ? t : null;
  }, 60_000);
  return { guestId: res.body.guest.id, task };
}

/** The OCI process user Tandem wrote for this guest's container, if it got that far. */
function containerUser(guestId: string): { uid: number; gid: number } | null {
  const dir = path.join(server.dataDir, "containers");
  for (const uuid of existsSync(dir) ? readdirSync(dir) : []) {
    const file = path.join(dir, uuid, "bundle", "config.json");
    if (!existsSync(file)) continue;
    const spec = JSON.parse(readFileSync(file, "utf8")) as {
      annotations?: Record<string, string>;
      process: { user: { uid: number; gid: number } };
    };
    if (spec.annotations?.["io.tandem.id"] === guestId) return spec.process.user;
  }
  return null;
}

describe("an image whose etc/passwd is a symlink", () => {
  it("never reads a host file through it", async () => {
    const secret = path.join(hostDir, "shadow-like");
    writeFileSync(secret, "leaked:x:4321:4321::/:/bin/sh\n", { mode: 0o600 });
    const image = await uploadImage(
      "passwd-to-host-file",
      imageOnBusybox(
        [
          { name: "etc/", type: "dir" },
          { name: "etc/passwd", type: "symlink", linkname: secret },
        ],
        "leaked",
        "evil/passwd:host",
      ),
    );
    const { guestId, task } = await createContainer(image, "passwd-host-file");
    expect(containerUser(guestId)?.uid).not.toBe(4321);
    expect(task.state).toBe("failed");
    expect(task.error).toMatch(/user 'leaked' is not in the image's \/etc\/passwd/);
    expect(task.error).not.toContain(secret);
  });

  it("never reads /dev/zero through it: the container runs as the default user, Tandem stays up", async () => {
    const image = await uploadImage(
      "passwd-to-dev-zero",
      imageOnBusybox(
        [
          { name: "etc/", type: "dir" },
          { name: "etc/passwd", type: "symlink", linkname: "/dev/zero" },
          { name: "etc/group", type: "symlink", linkname: "/dev/zero" },
        ],
        "",
        "evil/passwd:zero",
      ),
    );
    const { guestId, task } = await createContainer(image, "passwd-dev-zero");
    expect(task.error).toBeNull();
    expect(task.state).toBe("succeeded");
    expect(containerUser(guestId)).toEqual({ uid: 0, gid: 0 });
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
  });

  it("refuses a named user it cannot look up with a clean VALIDATION error", async () => {
    const image = await uploadImage(
      "passwd-to-dev-zero-named",
      imageOnBusybox(
        [
          { name: "etc/", type: "dir" },
          { name: "etc/passwd", type: "symlink", linkname: "/dev/zero" },
        ],
        "daemon",
        "evil/passwd:zero-named",
      ),
    );
    const { task } = await createContainer(image, "passwd-dev-zero-named");
    expect(task.state).toBe("failed");
    expect(task.error).toMatch(/user 'daemon' is not in the image's \/etc\/passwd/);
  });
});
