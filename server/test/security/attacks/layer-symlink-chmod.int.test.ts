// Attack (issue #10 item 1): an operator uploads a `docker save` archive whose layer records a
// directory `x/` (mode 06777, uid 4242) and then replaces `x` with a symlink to a host file. The
// unpacker's last pass applied the recorded directory metadata by path, so chmod/utimes followed
// the link (and lchown too, when the link was a parent of the recorded path).
// Before the fix (seen at 646dd21, through POST /api/v1/images as an operator): the upload
// answered 201 and the host's 0600 root file became 06777 with the layer's mtime; a host 0700
// directory reached through a swapped parent became 06777 owned by 4242:4242; a file that
// replaced a recorded directory inside the image got the directory's 06777 and owner.
// After: the recorded metadata is forgotten when its path is replaced, and every owner, mode and
// time is applied through a descriptor opened beneath the layer root (openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS): the host files keep their mode and owner, the image is
// stored with `x` a symlink carrying its own header's owner.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TarSpecEntry } from "../../../drivers/container/test/tar-writer";
import { dockerSave, postImage } from "../image-uploads";
import { makePrincipals, startCustomServer, type CustomServer, type Principals } from "../support";

let server: CustomServer;
let who: Principals;
let hostDir: string;

beforeAll(async () => {
  server = await startCustomServer({ containers: true });
  who = await makePrincipals(server, "layer");
  hostDir = mkdtempSync(path.join(os.tmpdir(), "tandem-host-"));
});
afterAll(async () => {
  await server?.stop();
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

/** A docker-save archive holding one image with this one layer. */
function dockerArchive(layerEntries: TarSpecEntry[], tag: string): Buffer {
  return dockerSave([layerEntries], { Cmd: ["/bin/sh"] }, tag);
}

function upload(name: string, archive: Buffer): Promise<Response> {
  return postImage(
    server.url,
    who.operator,
    `name=${name}&kind=container&format=docker-archive`,
    new Uint8Array(archive),
  );
}

function layerDirOf(imageDir: string): string {
  // The store's own manifest: the first (only) layer of the image.
  const manifest = JSON.parse(readFileSync(path.join(imageDir, "image.json"), "utf8")) as { layers: string[] };
  return path.join(imageDir, "..", "..", "layers", manifest.layers[0]!.replace("sha256:", ""));
}

describe("a layer that swaps a recorded directory for a symlink to a host file", () => {
  it("leaves the host file's mode, owner and times alone", async () => {
    const victim = path.join(hostDir, "root-only");
    writeFileSync(victim, "host secret\n", { mode: 0o600 });
    const before = statSync(victim);
    expect(before.uid).toBe(0);

    const res = await upload(
      "swap-dir-for-link",
      dockerArchive(
        [
          { name: "x/", type: "dir", mode: 0o6777, uid: 4242, gid: 4242 },
          { name: "x", type: "symlink", linkname: victim },
        ],
        "evil/swap:1",
      ),
    );
    const after = statSync(victim);
    expect({ mode: after.mode & 0o7777, uid: after.uid, gid: after.gid, mtimeMs: after.mtimeMs }).toEqual({
      mode: 0o600,
      uid: before.uid,
      gid: before.gid,
      mtimeMs: before.mtimeMs,
    });
    // Replacing an entry is ordinary tar semantics: the image is stored, with x a symlink.
    expect(res.status, await res.clone().text()).toBe(201);
    const { image } = (await res.json()) as { image: { id: string } };
    const row = await server.db.image.findUniqueOrThrow({ where: { id: image.id } });
    const x = lstatSync(path.join(layerDirOf(row.path), "x"));
    expect(x.isSymbolicLink()).toBe(true);
    expect(x.uid).toBe(0);
  });

  it("leaves a host directory reached through a swapped parent alone (owner included)", async () => {
    const victimDir = path.join(hostDir, "sub", "e");
    mkdirSync(victimDir, { recursive: true, mode: 0o700 });
    const before = statSync(victimDir);
    const res = await upload(
      "swap-parent-for-link",
      dockerArchive(
        [
          { name: "d/", type: "dir" },
          { name: "d/e/", type: "dir", mode: 0o6777, uid: 4242, gid: 4242 },
          { name: "d", type: "symlink", linkname: path.join(hostDir, "sub") },
        ],
        "evil/swap:3",
      ),
    );
    const after = statSync(victimDir);
    expect({ mode: after.mode & 0o7777, uid: after.uid, gid: after.gid }).toEqual({
      mode: before.mode & 0o7777,
      uid: before.uid,
      gid: before.gid,
    });
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it("does not give a later file or hard link the replaced directory's 06777 and owner", async () => {
    const res = await upload(
      "swap-dir-for-file",
      dockerArchive(
        [
          { name: "bin/", type: "dir" },
          { name: "bin/tool", body: "#!/bin/sh\n", mode: 0o755 },
          { name: "y/", type: "dir", mode: 0o6777, uid: 4242, gid: 4242 },
          { name: "y", body: "plain\n", mode: 0o644 },
          { name: "z/", type: "dir", mode: 0o6777, uid: 4242, gid: 4242 },
          { name: "z", type: "hardlink", linkname: "bin/tool" },
        ],
        "evil/swap:2",
      ),
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const { image } = (await res.json()) as { image: { id: string } };
    const row = await server.db.image.findUniqueOrThrow({ where: { id: image.id } });
    const dir = layerDirOf(row.path);
    const y = statSync(path.join(dir, "y"));
    expect([y.mode & 0o7777, y.uid]).toEqual([0o644, 0]);
    const tool = statSync(path.join(dir, "bin", "tool"));
    expect([tool.mode & 0o7777, tool.uid]).toEqual([0o755, 0]);
  });
});
