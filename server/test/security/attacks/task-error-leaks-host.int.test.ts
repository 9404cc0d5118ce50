// Attack (issue #10 item 14): a viewer (read-only) learns the host's layout and backend details
// from the activity log. A task's error was recorded as the failing code's message, whatever it
// carried: crun's stderr, absolute paths of the data directory and the image store. Every
// signed-in user reads tasks (GET /api/v1/tasks, and task:update over socket.io).
// Real backend failures, through the public API, against real conmon + crun:
//  - an image whose layer directory has gone from the store: the create fails with
//    "image layer <host path of the store> is missing from the store";
//  - an image whose WorkingDir is a file: crun refuses to start it and its stderr is the error.
// Before the fix (seen at 8db6d32): the viewer read both as they were: the store's absolute path
// under the test's data directory, and "the container did not start: <crun's words>". After:
// the viewer reads a clean summary with a reference ("… (ref 1a2b3c4d; the server log has the
// details)"), no host path and no stderr; the server log has the full detail under that ref.
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../contract/guest";
import type { Task } from "../../../contract/task";
import type { ContainerDriver } from "../../../drivers/container";
import { makeTar, type TarSpecEntry } from "../../../drivers/container/test/tar-writer";
import { removeCgroupParent, testContainerDriver, until } from "../../harness";
import { dockerSave, postImage } from "../image-uploads";
import { makePrincipals, startCustomServer, type CustomServer, type Principals } from "../support";

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});
let server: CustomServer;
let driver: ContainerDriver | null = null;
let who: Principals;
const created: string[] = [];

beforeAll(async () => {
  server = await startCustomServer({
    log: pino({ level: "info", base: { svc: "tandem" } }, sink),
    containers: true,
    // Own names: other test files and a developer's Tandem on this host are never touched.
    drivers: (dataDir) => [(driver = testContainerDriver(dataDir, "atk14", "10.231.89.0/24"))],
  });
  who = await makePrincipals(server, "taskerr");
});

afterAll(async () => {
  for (const id of created) await who.admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
  await server?.stop();
  await driver?.network.destroy();
  removeCgroupParent("tandem-atk14");
});

/** Uploads a one-layer docker-save image; returns the image id and its layer's diffID. */
async function upload(name: string, layerEntries: TarSpecEntry[], config: Record<string, unknown>) {
  const diffId = `sha256:${createHash("sha256").update(makeTar(layerEntries)).digest("hex")}`;
  const archive = dockerSave([layerEntries], config, `t/${name}:1`);
  const res = await postImage(
    server.url,
    who.operator,
    `name=${name}&kind=container&format=docker-archive`,
    new Uint8Array(archive),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return { image: ((await res.json()) as { image: { id: string } }).image.id, diffId };
}

/** An operator creates a container; returns the finished task as a viewer reads it. */
async function failedCreate(image: string, name: string): Promise<Task> {
  const res = await who.operator.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    name,
    image,
    vcpus: 1,
    memoryMiB: 64,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  await until(async () => {
    const t = (await who.viewer.json<{ task: Task }>("GET", `/api/v1/tasks/${res.body.taskId}`)).body.task;
    return t.state === "failed" || t.state === "succeeded" ? t : null;
  }, 60_000);
  const list = await who.viewer.json<{ tasks: Task[] }>("GET", "/api/v1/tasks?limit=500");
  expect(list.status).toBe(200);
  const task = list.body.tasks.find((t) => t.id === res.body.taskId)!;
  expect(task.state).toBe("failed");
  return task;
}

function expectClean(task: Task, dataDir: string): string {
  const error = task.error ?? "";
  expect(error).not.toContain(dataDir);
  expect(error).not.toMatch(/(^|[\s'"`(])\/(?!api\/)[\w.-]+\/[\w./-]+/);
  expect(error).not.toMatch(/\n/);
  const ref = /\(ref ([0-9a-f]{8}); the server log has the details\)$/.exec(error)?.[1];
  expect(ref, error).toBeDefined();
  return ref!;
}

/** The log lines that carry this reference. */
function logged(ref: string): string {
  return lines.filter((l) => l.includes(`"ref":"${ref}"`)).join("");
}

describe("task errors a viewer reads", () => {
  it("show no host path of a layer missing from the store; the log has it under the reference", async () => {
    const { image, diffId } = await upload("lost-layer", [{ name: "etc/", type: "dir" }], { Cmd: ["/x"] });
    const layerDir = path.join(server.dataDir, "images", "oci", "layers", diffId.replace("sha256:", ""));
    rmSync(layerDir, { recursive: true });
    const task = await failedCreate(image, "lost-layer");
    const ref = expectClean(task, server.dataDir);
    expect(task.error).toMatch(/^image layer … is missing from the store \(ref /);
    expect(logged(ref)).toContain(layerDir);
  });

  it("show no backend stderr of a container that would not start; the log has it", async () => {
    const { image } = await upload(
      "cwd-is-a-file",
      [
        { name: "etc/", type: "dir" },
        { name: "etc/passwd", body: "root:x:0:0::/:/bin/sh\n" },
      ],
      { Cmd: ["/x"], WorkingDir: "/etc/passwd" },
    );
    const task = await failedCreate(image, "cwd-is-a-file");
    const ref = expectClean(task, server.dataDir);
    expect(task.error).toMatch(/^the container did not start \(ref /);
    const detail = logged(ref);
    expect(detail).toMatch(/the container did not start: /);
    expect(detail.length).toBeGreaterThan(task.error!.length);
  });

  it("still show errors written for users as they are, with no reference", async () => {
    const { image } = await upload(
      "unknown-user",
      [
        { name: "etc/", type: "dir" },
        { name: "etc/passwd", body: "root:x:0:0::/:/bin/sh\n" },
      ],
      { Cmd: ["/x"], User: "ghost" },
    );
    const task = await failedCreate(image, "unknown-user");
    expect(task.error).toBe("user 'ghost' is not in the image's /etc/passwd");
  });
});
