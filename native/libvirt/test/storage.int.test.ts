// Integration test of storage pools and volumes against the real daemon: a `dir` pool in a temp
// directory taken through its whole life (define, build, start, volumes raw and qcow2, upload,
// copy, download, resize, delete, stop, delete storage, undefine). Everything is named with RUN
// and swept in afterAll even when a step failed.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  isLibvirtError,
  isNoStoragePool,
  isNoStorageVol,
  ErrorCode,
  StorageVolResizeFlag,
  type Connection,
} from "../index";
import { RUN, URI, sweep, tempDir } from "./helpers";

let conn: Connection;

beforeAll(async () => {
  conn = await connect(URI);
  await sweep(conn);
});

afterAll(async () => {
  await sweep(conn);
  await conn?.close();
});

const MiB = 1024 * 1024;
const volXml = (name: string, format: "raw" | "qcow2", bytes: number) =>
  `<volume><name>${name}</name><capacity unit='bytes'>${bytes}</capacity>` +
  `<target><format type='${format}'/></target></volume>`;

describe("storage pools and volumes", () => {
  it("runs a dir pool through define, build, start, volumes, resize, delete and undefine", async () => {
    const dir = path.join(tempDir(), "pool");
    const pool = `${RUN}-pool`;
    const def = await conn.storagePoolDefineXML(
      `<pool type='dir'><name>${pool}</name><target><path>${dir}</path></target></pool>`,
    );
    expect(def.name).toBe(pool);
    expect(def.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await conn.listStoragePools()).find((p) => p.name === pool)).toMatchObject({
      active: false,
      persistent: true,
      autostart: false,
      state: "inactive",
      type: "dir",
      targetPath: dir,
    });

    // build makes the directory; create starts the pool, which then reports the filesystem's sizes.
    expect(existsSync(dir)).toBe(false);
    await conn.storagePoolBuild(pool);
    expect(statSync(dir).isDirectory()).toBe(true);
    await conn.storagePoolCreate(pool);
    const running = await conn.storagePoolGetInfo(pool);
    expect(running).toMatchObject({ name: pool, uuid: def.uuid, active: true, state: "running" });
    expect(running.capacity).toBeGreaterThan(0);
    expect(running.available).toBeGreaterThan(0);
    expect(running.available).toBeLessThanOrEqual(running.capacity);
    await conn.storagePoolSetAutostart(pool, true);
    expect((await conn.storagePoolGetInfo(pool)).autostart).toBe(true);
    await conn.storagePoolSetAutostart(pool, false);
    expect((await conn.storagePoolGetInfo(pool)).autostart).toBe(false);
    expect(await conn.storagePoolGetXMLDesc(pool)).toContain(`<path>${dir}</path>`);

    // A raw volume is a file of its full size; a qcow2 one a small file with qcow2's magic.
    const raw = await conn.storageVolCreateXML(pool, volXml("a.raw", "raw", 2 * MiB));
    expect(raw).toMatchObject({ name: "a.raw", pool, path: path.join(dir, "a.raw"), type: "file", capacity: 2 * MiB });
    expect(statSync(raw.path).size).toBe(2 * MiB);
    const q = await conn.storageVolCreateXML(pool, volXml("b.qcow2", "qcow2", 64 * MiB));
    expect(q).toMatchObject({ name: "b.qcow2", path: path.join(dir, "b.qcow2"), capacity: 64 * MiB });
    expect(q.allocation).toBeLessThan(2 * MiB);
    expect(readFileSync(q.path).subarray(0, 4)).toEqual(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
    expect(await conn.storageVolGetXMLDesc(pool, "b.qcow2")).toContain("<format type='qcow2'/>");
    expect((await conn.listStorageVolumes(pool)).map((v) => v.name).sort()).toEqual(["a.raw", "b.qcow2"]);
    expect(await conn.storageVolLookupByPath(q.path)).toMatchObject({ name: "b.qcow2", pool, key: q.key });

    const dup = await conn.storageVolCreateXML(pool, volXml("a.raw", "raw", MiB)).catch((e: unknown) => e);
    expect(isLibvirtError(dup) && dup.code).toBe(ErrorCode.STORAGE_VOL_EXIST);

    // Upload into the raw volume, then copy it into a new volume: the bytes travel with it.
    const src = path.join(path.dirname(dir), "src.bin");
    writeFileSync(src, Buffer.alloc(65536, 0x5a));
    expect(await conn.storageVolUpload(pool, "a.raw", src)).toBe(65536);
    const copy = await conn.storageVolCreateXMLFrom(pool, volXml("c.raw", "raw", 2 * MiB), pool, "a.raw");
    expect(copy).toMatchObject({ name: "c.raw", capacity: 2 * MiB });
    const head = readFileSync(copy.path).subarray(0, 65537);
    expect(head.subarray(0, 65536).equals(Buffer.alloc(65536, 0x5a))).toBe(true);
    expect(head[65536]).toBe(0);
    const back = path.join(path.dirname(dir), "back.bin");
    expect(await conn.storageVolDownload(pool, "c.raw", back)).toBe(2 * MiB);
    expect(readFileSync(back).equals(readFileSync(copy.path))).toBe(true);
    expect((statSync(back).mode & 0o777).toString(8)).toBe("600");
    const noFile = await conn.storageVolUpload(pool, "a.raw", path.join(dir, "missing")).catch((e: unknown) => e);
    expect(isLibvirtError(noFile) && noFile.message).toMatch(/cannot open/);

    // Grow the qcow2 volume; shrinking is refused without the SHRINK flag.
    const grown = await conn.storageVolResize(pool, "b.qcow2", 128 * MiB);
    expect(grown.capacity).toBe(128 * MiB);
    const shrink = await conn.storageVolResize(pool, "b.qcow2", 32 * MiB).catch((e: unknown) => e);
    expect(isLibvirtError(shrink)).toBe(true);
    expect((await conn.storageVolGetInfo(pool, "b.qcow2")).capacity).toBe(128 * MiB);
    const rawGrown = await conn.storageVolResize(pool, "a.raw", 4 * MiB);
    expect(rawGrown.capacity).toBe(4 * MiB);
    expect(statSync(raw.path).size).toBe(4 * MiB);
    await conn.storageVolResize(pool, "a.raw", 3 * MiB, StorageVolResizeFlag.SHRINK);
    expect(statSync(raw.path).size).toBe(3 * MiB);

    // Typed errors for what is not there.
    expect(isNoStorageVol(await conn.storageVolGetInfo(pool, "nope").catch((e: unknown) => e))).toBe(true);
    expect(isNoStorageVol(await conn.storageVolDelete(pool, "nope").catch((e: unknown) => e))).toBe(true);
    expect(isNoStoragePool(await conn.listStorageVolumes(`${RUN}-nopool`).catch((e: unknown) => e))).toBe(true);
    expect(isNoStoragePool(await conn.storagePoolCreate(`${RUN}-nopool`).catch((e: unknown) => e))).toBe(true);

    for (const v of ["a.raw", "b.qcow2", "c.raw"]) await conn.storageVolDelete(pool, v);
    expect(await conn.listStorageVolumes(pool)).toEqual([]);
    expect(existsSync(q.path)).toBe(false);

    // A file dropped in behind libvirt's back shows up after a refresh.
    writeFileSync(path.join(dir, "outside.img"), Buffer.alloc(4096));
    await conn.storagePoolRefresh(pool);
    expect((await conn.listStorageVolumes(pool)).map((v) => v.name)).toEqual(["outside.img"]);
    await conn.storageVolDelete(pool, "outside.img");

    await conn.storagePoolDestroy(pool);
    expect((await conn.storagePoolGetInfo(pool)).state).toBe("inactive");
    await conn.storagePoolDelete(pool);
    expect(existsSync(dir)).toBe(false);
    await conn.storagePoolUndefine(pool);
    expect((await conn.listStoragePools()).some((p) => p.name === pool)).toBe(false);
    expect(isNoStoragePool(await conn.storagePoolGetInfo(pool).catch((e: unknown) => e))).toBe(true);
  });

  it("checks arguments before any call", () => {
    expect(() => conn.storageVolResize("p", "v", -1)).toThrow(TypeError);
    expect(() => conn.storageVolResize("p", "v", 1.5)).toThrow(TypeError);
    expect(() => conn.storageVolResize("p", "v", 2 ** 60)).toThrow(TypeError);
    expect(() => conn.storageVolCreateXML(5 as unknown as string, "<volume/>")).toThrow(/pool must be a string/);
    expect(() => conn.storagePoolDefineXML("a\0b")).toThrow(/NUL/);
    expect(() => conn.storageVolCreateXMLFrom("p", "<volume/>", "p", null as unknown as string)).toThrow(
      /srcName must be a string/,
    );
  });
});
