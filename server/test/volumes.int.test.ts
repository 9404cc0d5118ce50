// Container volumes through the whole server on real parts: libvirtd's storage pools (the test's
// own default pool, and a tiny pool on a tmpfs the test mounts), real conmon + crun with user
// namespaces, the busybox demo image. A file written in a volume survives its container's
// deletion and is read by the next container with the owner the first one saw (the two have
// different host id blocks); a read-only mount refuses writes; a volume in use cannot be deleted
// nor given to a second writer; a bind outside TANDEM_BIND_MOUNT_ROOTS, or through a symlink, is
// refused naming binds[0].hostPath while one inside is visible; a too-big volume in the tiny
// pool answers 507 naming it; purge deletes the volumes; nothing stays mounted. The default NAT
// network is kept from being made by a held row (as in container-nics.int.test.ts). afterAll
// removes guests, volumes, pools, the tmpfs and the data directory, also after a failure.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { LogLine } from "../contract/guest-extras";
import type { Pool, Volume } from "../contract/storage";
import { haveBackend } from "../drivers/vm/libvirt/test/support";
import { until } from "./harness";
import { networkServer, removePools } from "./network-server";

const suffix = Math.random().toString(36).slice(2, 7);
const octet = 100 + (process.pid % 100);
const POOL = `tandem-vt-${suffix}`;
const TINY = `tandem-vt-${suffix}-tiny`;

describe.skipIf(!haveBackend())("container volumes, real libvirt pools + conmon + crun", () => {
  let bindRoot = "";
  let tiny = "";
  let tinyMounted = false;
  const fx = networkServer({
    tag: `vt${suffix}`,
    vmPrefix: `10.237.${octet}`,
    containerSubnet: `10.238.${octet}.0/24`,
    manageNetworks: false,
    storagePool: POOL,
    env: (dataDir) => ({ TANDEM_BIND_MOUNT_ROOTS: path.join(dataDir, "shared") }),
    prepare: async ({ dataDir, conn }) => {
      chmodSync(dataDir, 0o711);
      bindRoot = path.join(dataDir, "shared");
      mkdirSync(path.join(bindRoot, "docs"), { recursive: true });
      writeFileSync(path.join(bindRoot, "docs", "note.txt"), "from the host\n");
      chmodSync(bindRoot, 0o755);
      chmodSync(path.join(bindRoot, "docs"), 0o755);
      chmodSync(path.join(bindRoot, "docs", "note.txt"), 0o644);
      mkdirSync(path.join(dataDir, "outside"));
      symlinkSync(path.join(dataDir, "outside"), path.join(bindRoot, "escape"));
      tiny = path.join(dataDir, "tiny");
      mkdirSync(tiny);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m,mode=0711", `tandem-vt-${suffix}`, tiny]);
      tinyMounted = true;
      await conn.storagePoolCreateXML(
        `<pool type='dir'><name>${TINY}</name><target><path>${tiny}</path></target></pool>`,
      );
    },
    cleanup: async (conn) => {
      await removePools(conn, [POOL, TINY]);
      if (tinyMounted) execFileSync("umount", [tiny]);
    },
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const logs = async (id: string) =>
    (await fx.admin.json<{ lines: LogLine[] }>("GET", `/api/v1/guests/${id}/logs?tail=100`)).body.lines
      .map((l) => l.text)
      .join("\n");
  const mountsUnder = (dir: string) => readMounts().filter((m) => m === dir || m.startsWith(`${dir}/`));
  const readMounts = () =>
    execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" }).split("\n").filter(Boolean);

  async function container(
    name: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; id: string; body: unknown }> {
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "container",
      name: `${name}-${suffix}`,
      image: "demo-busybox",
      vcpus: 0.5,
      memoryMiB: 64,
      ...body,
    });
    if (res.status === 202) fx.guests.push(res.body.guest.id);
    return { status: res.status, id: res.body.guest?.id ?? "", body: res.body };
  }

  async function volume(name: string, extra: Record<string, unknown> = {}) {
    const res = await fx.admin.json<{ volume: Volume }>("POST", "/api/v1/volumes", {
      name: `${name}-${suffix}`,
      sizeGiB: 1,
      ...extra,
    });
    if (res.status === 201) fx.volumes.push(res.body.volume.id);
    return res;
  }

  /** Deletes and waits for the delete task to end (a purge deletes the volumes after the guest is gone). */
  async function deleteGuest(id: string, purge = false) {
    const res = await fx.admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}${purge ? "?purge=true" : ""}`);
    expect(res.status).toBe(202);
    const task = await until(async () => {
      const t = (
        await fx.admin.json<{ task: { state: string; error?: unknown } }>("GET", `/api/v1/tasks/${res.body.taskId}`)
      ).body.task;
      return t.state === "running" || t.state === "queued" ? null : t;
    }, 30_000);
    expect(task, JSON.stringify(task)).toMatchObject({ state: "succeeded" });
    expect((await fx.admin.raw("GET", `/api/v1/guests/${id}`)).status).toBe(404);
  }

  it("lists the default pool and an adopted one, and a full pool answers a clear error", async () => {
    const pools = (await fx.admin.json<{ pools: Pool[] }>("GET", "/api/v1/pools")).body.pools;
    expect(pools.find((p) => p.name === POOL)).toMatchObject({ type: "dir", state: "running", isDefault: true });
    expect(pools.find((p) => p.name === TINY)).toMatchObject({ isDefault: false, capacityBytes: 16 * 1024 * 1024 });
    const refused = await volume("big", { pool: TINY });
    expect(refused.status).toBe(507);
    expect(refused.body).toMatchObject({
      error: { code: "INSUFFICIENT_RESOURCES", message: expect.stringContaining(`pool: '${TINY}' has`) },
    });
    // No row and no libvirt volume were left behind.
    expect((await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes).toEqual([]);
    expect(await fx.conn.listStorageVolumes(TINY)).toEqual([]);
    expect((await volume("bad", { pool: "no-such-pool" })).body).toMatchObject({
      error: { code: "VALIDATION", message: "pool: no storage pool 'no-such-pool'" },
    });
  });

  it("keeps a volume's files and owners across containers; read-only refuses writes; binds stay in their root", async () => {
    const data = await volume("data");
    expect(data.status, JSON.stringify(data.body)).toBe(201);
    expect(data.body.volume).toMatchObject({ pool: POOL, use: "filesystem", format: "raw", attachedTo: [] });
    const dataId = data.body.volume.id;
    const ro = await volume("ro");
    expect(ro.status).toBe(201);

    // First writer: a file owned by 1234:2345 as the container sees it.
    const c1 = await container("vol-a", {
      volumes: [{ volume: `data-${suffix}`, path: "/data" }],
      command: ["sh", "-c", "echo kept > /data/f && chown 1234:2345 /data/f && echo WROTE && sleep 3600"],
    });
    expect(c1.status, JSON.stringify(c1.body)).toBe(202);
    await until(async () => (await guest(c1.id)).state === "running", 60_000);
    await until(async () => (await logs(c1.id)).includes("WROTE"), 30_000);

    // In use: not deleted, not given to a second writer (both naming the container).
    const del = await fx.admin.json("DELETE", `/api/v1/volumes/${dataId}`);
    expect(del.status).toBe(409);
    expect(JSON.stringify(del.body)).toContain(`vol-a-${suffix}`);
    const second = await container("vol-b", { volumes: [{ volume: dataId, path: "/data" }] });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      error: { message: expect.stringMatching(new RegExp(`^volumes\\[0\\]\\.volume: .*vol-a-${suffix}`)) },
    });

    // Deleted without purge: the volume stays, detached, and nothing of it is mounted.
    const c1Dir = path.join(fx.dataDir, "containers", c1.id.split(".")[2]!);
    expect(mountsUnder(path.join(c1Dir, "volumes")).length).toBeGreaterThan(0);
    const c1Start = (JSON.parse(readFileSync(path.join(c1Dir, "state.json"), "utf8")) as { idRange: { start: number } })
      .idRange.start;
    await deleteGuest(c1.id);
    expect(mountsUnder(c1Dir)).toEqual([]);
    const kept = (await fx.admin.json<{ volume: Volume }>("GET", `/api/v1/volumes/${dataId}`)).body.volume;
    expect(kept.attachedTo).toEqual([]);
    // A stopped container takes the block of host ids c1 had: the next reader gets another one.
    const filler = await container("vol-f", { start: false });
    expect(filler.status).toBe(202);
    await until(async () => (await guest(filler.id)).state === "stopped", 60_000);

    // Bind outside the allow-list, or out of it through a symlink: 400 naming the field.
    for (const hostPath of [path.join(fx.dataDir, "outside"), path.join(bindRoot, "escape")]) {
      const bad = await container("vol-x", { binds: [{ hostPath, path: "/mnt/x" }] });
      expect(bad.status, hostPath).toBe(400);
      expect(bad.body).toMatchObject({ error: { message: expect.stringMatching(/^binds\[0\]\.hostPath: /) } });
    }

    // The next container (another block of host ids) sees the file with the same owner; its
    // read-only volume refuses a write; the allowed bind shows the host's file.
    const c2 = await container("vol-c", {
      volumes: [
        { volume: `data-${suffix}`, path: "/data" },
        { volume: `ro-${suffix}`, path: "/ro", readOnly: true },
      ],
      binds: [{ hostPath: path.join(bindRoot, "docs"), path: "/docs", readOnly: true }],
      command: [
        "sh",
        "-c",
        "echo OWNER=$(stat -c %u:%g /data/f) CONTENT=$(cat /data/f); " +
          "touch /ro/x 2>/dev/null && echo RO=WRITABLE || echo RO=REFUSED; " +
          "echo BIND=$(cat /docs/note.txt); touch /docs/y 2>/dev/null && echo BINDRO=WRITABLE || echo BINDRO=REFUSED; " +
          "echo DONE; sleep 3600",
      ],
    });
    expect(c2.status, JSON.stringify(c2.body)).toBe(202);
    await until(async () => (await logs(c2.id)).includes("DONE"), 60_000);
    const out = await logs(c2.id);
    const idStart = (id: string, dir = path.join(fx.dataDir, "containers", id.split(".")[2]!)) =>
      (JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as { idRange: { start: number } }).idRange.start;
    expect(idStart(c2.id)).not.toBe(c1Start);
    expect(out).toContain("OWNER=1234:2345 CONTENT=kept");
    expect(out).toContain("RO=REFUSED");
    expect(out).toContain("BIND=from the host");
    expect(out).toContain("BINDRO=REFUSED");
    const listed = (await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes;
    expect(listed.find((v) => v.id === dataId)!.attachedTo).toEqual([
      { guestId: c2.id, guestName: `vol-c-${suffix}`, target: "/data", readOnly: false },
    ]);

    // Purge: both volumes go with the container (libvirt's files too), nothing stays mounted.
    const files = listed.map((v) => v.name);
    expect(files).toHaveLength(2);
    await deleteGuest(c2.id, true);
    expect((await fx.admin.raw("GET", `/api/v1/volumes/${dataId}`)).status).toBe(404);
    expect((await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes).toEqual([]);
    expect(await fx.conn.listStorageVolumes(POOL)).toEqual([]);
    expect(mountsUnder(path.join(fx.dataDir, "containers"))).toEqual([]);
    expect(existsSync(path.join(fx.dataDir, "outside"))).toBe(true);
  });

  it("attaches a volume to an existing container for its next start, and detaches it", async () => {
    const extra = await volume("extra");
    expect(extra.status).toBe(201);
    const c = await container("vol-d", { start: false, command: ["sh", "-c", "ls /extra && echo SEEN; sleep 3600"] });
    expect(c.status).toBe(202);
    await until(async () => (await guest(c.id)).state === "stopped", 60_000);
    const attached = await fx.admin.json<{ volume: Volume; message: string }>(
      "POST",
      `/api/v1/guests/${c.id}/volumes`,
      {
        volume: extra.body.volume.id,
        path: "/extra",
      },
    );
    expect(attached.status, JSON.stringify(attached.body)).toBe(200);
    expect(attached.body.message).toMatch(/next starts/);
    expect(attached.body.volume.attachedTo.map((a) => a.guestId)).toEqual([c.id]);
    const again = await fx.admin.json("POST", `/api/v1/guests/${c.id}/volumes`, {
      volume: extra.body.volume.id,
      path: "/extra",
    });
    expect(again.status).toBe(409);
    expect((await fx.admin.raw("POST", `/api/v1/guests/${c.id}/actions`, { action: "start" })).status).toBe(202);
    await until(async () => (await logs(c.id)).includes("SEEN"), 60_000);
    const detached = await fx.admin.json<{ volume: Volume }>(
      "DELETE",
      `/api/v1/guests/${c.id}/volumes/${extra.body.volume.id}`,
    );
    expect(detached.status).toBe(200);
    expect(detached.body.volume.attachedTo).toEqual([]);
    // Still mounted in the running container until it stops: no new writer meanwhile.
    const other = await container("vol-e", { volumes: [{ volume: extra.body.volume.id, path: "/x" }] });
    expect(other.status).toBe(409);
    await deleteGuest(c.id);
    expect((await fx.admin.raw("DELETE", `/api/v1/volumes/${extra.body.volume.id}`)).status).toBe(204);
  });
});
