// Attack (issue #10 item 13): an operator fills the disk Tandem's database lives on through
// uploads and imports. The size cap applied to one upload's body only, nothing checked free
// space, and a container archive unpacks to whatever its gzip layers expand to.
//  - an upload declaring more than the disk can hold while keeping the reserve;
//  - a chunked upload (no Content-Length) that grows past the reserve;
//  - a docker-save archive of a few hundred KiB whose gzip layer expands to 400 MiB of zeros,
//    against a cap on unpacked bytes and against the reserve.
// The data directory is a 2 GiB tmpfs of the test's own, so the reserve is exact and no other
// test's writes can move it.
// Before the fix (seen at 2febe26): every one was accepted (201); the stream and the unpacked
// layer were written into the reserve and the layer of zeros was kept in the store. After:
// refused up front (Content-Length) or while streaming/unpacking with 507 INSUFFICIENT_RESOURCES
// (free space) or 413 PAYLOAD_TOO_LARGE (TANDEM_MAX_UNPACKED_BYTES), with no partial upload,
// staging directory or layer left behind, and the server still healthy.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { freeBytes } from "../../../domain/free-space";
import { makeTar } from "../../../drivers/container/test/tar-writer";
import { Client } from "../../harness";
import { chunkedBody, dockerSave, postImage } from "../image-uploads";
import { startCustomServer, type CustomServer } from "../support";

const MiB = 1024 * 1024;
/** The data directory is a tmpfs of this size: free space is the test's alone, whatever else runs. */
const DISK_MIB = 2048;
let server: CustomServer | null = null;
let mounted: string | null = null;

afterEach(async () => {
  await server?.stop();
  server = null;
  if (mounted) {
    // Lazy: the stopped server's database client keeps its files open until the worker exits.
    execFileSync("umount", ["-l", mounted]);
    rmSync(mounted, { recursive: true, force: true });
    mounted = null;
  }
});

/** A server on its own 2 GiB disk whose reserve leaves `headroomBytes` of it usable. */
async function serverWithHeadroom(headroomBytes: number | null, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${DISK_MIB}m,mode=0711`, "tandem-upload-test", dataDir]);
  mounted = dataDir;
  const reserveMiB = headroomBytes === null ? 0 : Math.floor((freeBytes(dataDir) - headroomBytes) / MiB);
  server = await startCustomServer({
    containers: true,
    dataDir,
    env: { TANDEM_DISK_RESERVE_MIB: String(reserveMiB), TANDEM_MAX_UPLOAD_BYTES: String(4096 * MiB), ...env },
  });
  const admin = new Client(server.url);
  await admin.login();
  return admin;
}

function post(admin: Client, query: string, body: BodyInit, headers: Record<string, string> = {}) {
  return postImage(server!.url, admin, query, body, headers);
}

/** `n` bytes sent chunked (no Content-Length), a MiB at a time. */
const chunked = (n: number) => chunkedBody(n, MiB);

/** Everything an upload or import could leave behind in the store. */
function leftovers(): string[] {
  const images = path.join(server!.dataDir, "images");
  const out: string[] = [];
  const uploads = path.join(images, "uploads");
  if (existsSync(uploads)) out.push(...readdirSync(uploads).map((f) => `uploads/${f}`));
  for (const d of ["tmp", "layers"]) {
    const dir = path.join(images, "oci", d);
    if (existsSync(dir)) out.push(...readdirSync(dir).map((f) => `oci/${d}/${f}`));
  }
  return out;
}

/**
 * A docker-save archive whose one gzip layer holds a file of `zeroBytes` zeros: well under a MiB
 * on the wire. Streamed through gzip so the test itself never holds the zeros.
 */
async function zeroBomb(zeroBytes: number): Promise<Buffer> {
  const header = Buffer.from(makeTar([{ name: "zeros", body: "" }]).subarray(0, 512));
  header.write(zeroBytes.toString(8).padStart(11, "0") + "\0", 124, "latin1");
  header.write("        ", 148, "latin1");
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  const diff = createHash("sha256");
  async function* tar() {
    const parts = [header];
    const zeros = Buffer.alloc(MiB);
    for (let left = zeroBytes; left > 0; left -= MiB) parts.push(zeros.subarray(0, Math.min(MiB, left)));
    parts.push(Buffer.alloc(((512 - (zeroBytes % 512)) % 512) + 1024));
    for (const p of parts) {
      diff.update(p);
      yield p;
    }
  }
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(tar()),
    zlib.createGzip({ level: 9 }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return dockerSave([{ blob: Buffer.concat(out), diffId: `sha256:${diff.digest("hex")}` }], {}, "bomb/zeros:1");
}

describe("uploads against the disk's reserve", () => {
  it("refuses an upload whose Content-Length does not fit with 507 and writes nothing", async () => {
    const admin = await serverWithHeadroom(256 * MiB);
    const res = await post(admin, "name=too-big-declared&kind=vm&format=raw", chunked(512 * MiB), {
      "content-length": String(512 * MiB),
    });
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INSUFFICIENT_RESOURCES");
    expect(leftovers()).toEqual([]);
  });

  it("stops a chunked upload that grows into the reserve with 507 and keeps no partial file", async () => {
    const admin = await serverWithHeadroom(256 * MiB);
    const res = await post(admin, "name=too-big-chunked&kind=vm&format=raw", chunked(1024 * MiB));
    expect(res.status).toBe(507);
    expect(leftovers()).toEqual([]);
    // Room left for small things: the server still takes an upload that fits.
    const small = await post(admin, "name=fits&kind=vm&format=raw", new Uint8Array(4096));
    expect(small.status, await small.clone().text()).toBe(201);
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
  });
});

describe("container archives that expand", () => {
  it("stops an import past the unpacked-bytes cap with 413 and keeps nothing of it", async () => {
    const bomb = await zeroBomb(400 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    const admin = await serverWithHeadroom(null, { TANDEM_MAX_UNPACKED_BYTES: String(64 * MiB) });
    const res = await post(admin, "name=zero-bomb-cap&kind=container&format=docker-archive", new Uint8Array(bomb));
    expect(res.status, await res.clone().text()).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(leftovers()).toEqual([]);
  });

  it("stops an import that unpacks into the reserve with 507 and keeps nothing of it", async () => {
    const bomb = await zeroBomb(400 * MiB);
    const admin = await serverWithHeadroom(256 * MiB);
    const res = await post(admin, "name=zero-bomb-disk&kind=container&format=docker-archive", new Uint8Array(bomb));
    expect(res.status, await res.clone().text()).toBe(507);
    expect(leftovers()).toEqual([]);
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
  });
});
