// The OCI image store against the real file system (root: chown, whiteout device nodes, trusted
// xattrs, overlay mounts): rootfs import, docker-save and OCI archives layer by layer with
// whiteouts honoured, hostile layers refused with nothing outside the store touched, corrupt
// archives reported clearly.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lgetxattr } from "../../../../native/conmon/index";
import { importArchive } from "../oci/archive";
import { layerDir, resolveImageLayers } from "../oci/image-layout";
import { OciImageStore } from "../oci/image-store";
import { busyboxRootfs, HAVE_BACKEND } from "./support";
import { makeTar, type TarSpecEntry } from "./tar-writer";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function dockerSave(layers: Buffer[], tag: string): Buffer {
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/sh"], Env: ["FROM_IMAGE=1"], WorkingDir: "/srv", ExposedPorts: { "80/tcp": {} } },
      rootfs: { type: "layers", diff_ids: layers.map(sha) },
    }),
  );
  const cfgName = `${sha(config).slice(7)}.json`;
  const entries: TarSpecEntry[] = [{ name: cfgName, body: config }];
  layers.forEach((l, i) => entries.push({ name: `l${i}/`, type: "dir" }, { name: `l${i}/layer.tar`, body: l }));
  entries.push({
    name: "manifest.json",
    body: JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]),
  });
  return makeTar(entries);
}

function ociArchive(layers: Buffer[], refName: string): Buffer {
  const gz = layers.map((l) => gzipSync(l));
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: layers.map(sha) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: gz.map((g) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: sha(g),
        size: g.length,
      })),
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha(manifest),
        size: manifest.length,
        annotations: { "org.opencontainers.image.ref.name": refName },
      },
    ],
  };
  const blob = (b: Buffer): TarSpecEntry => ({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });
  return makeTar([
    { name: "oci-layout", body: '{"imageLayoutVersion":"1.0.0"}' },
    { name: "index.json", body: JSON.stringify(index) },
    { name: "blobs/", type: "dir" },
    { name: "blobs/sha256/", type: "dir" },
    blob(config),
    blob(manifest),
    ...gz.map(blob),
  ]);
}

const base = makeTar([
  { name: "etc/", type: "dir" },
  { name: "etc/motd", body: "old motd" },
  { name: "etc/keep", body: "kept" },
  { name: "var/", type: "dir" },
  { name: "var/cache/", type: "dir" },
  { name: "var/cache/x", body: "stale" },
  { name: "srv/", type: "dir", mode: 0o750, uid: 33, gid: 33 },
  { name: "srv/run.sh", body: "#!/bin/sh\necho hi\n", mode: 0o755, uid: 33, gid: 33 },
  { name: "srv/link", type: "hardlink", linkname: "srv/run.sh" },
  { name: "abs", type: "symlink", linkname: "/etc/keep" },
]);
const top = makeTar([
  { name: "etc/", type: "dir" },
  { name: "etc/.wh.motd" },
  { name: "var/", type: "dir" },
  { name: "var/cache/", type: "dir" },
  { name: "var/cache/.wh..wh..opq" },
  { name: "var/cache/y", body: "fresh" },
]);

describe.skipIf(!HAVE_BACKEND)("OCI image store", () => {
  let tmp: string;
  let store: OciImageStore;
  let canary: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-img-"));
    store = new OciImageStore(path.join(tmp, "data"));
    await store.init();
    canary = path.join(tmp, "outside");
    mkdirSync(canary);
    writeFileSync(path.join(canary, "victim"), "untouched");
  });

  afterAll(() => {
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const mp = line.split(" ")[4];
      if (mp?.startsWith(tmp)) execFileSync("umount", ["-l", mp]);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("imports a root file system directory as a content-addressed one-layer image", async () => {
    const rootfs = busyboxRootfs(path.join(tmp, "bb"));
    const a = await store.importRootfs(rootfs, { ref: "busybox:latest" });
    const b = await store.importRootfs(rootfs, { ref: "busybox:again" });
    expect(a.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.manifest.layers).toEqual(a.manifest.layers); // same content, same layer
    expect(existsSync(path.join(layerDir(store.dir, a.manifest.layers[0]!), "bin/busybox"))).toBe(true);
    expect(store.findByRef("busybox:latest")?.id).toBe(a.id);
    const resolved = resolveImageLayers(store.resolved(a).path, store.resolved(a).meta);
    expect(resolved.lowerDirs).toHaveLength(1);
  });

  it("imports a docker save tarball layer by layer, honouring whiteouts and opaque dirs", async () => {
    const file = path.join(tmp, "save.tar");
    writeFileSync(file, dockerSave([base, top], "demo/web:1"));
    const [img] = await importArchive(store, file);
    expect(img!.manifest.refs).toEqual(["demo/web:1"]);
    expect(img!.manifest.config.config?.WorkingDir).toBe("/srv");
    const [l0, l1] = img!.manifest.layers.map((l) => layerDir(store.dir, l));
    const wh = lstatSync(path.join(l1!, "etc/motd"));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lgetxattr(path.join(l1!, "var/cache"), "trusted.overlay.opaque")).toBe("y");
    expect(statSync(path.join(l0!, "srv")).mode & 0o7777).toBe(0o750);
    expect(statSync(path.join(l0!, "srv/run.sh")).uid).toBe(33);
    expect(statSync(path.join(l0!, "srv/link")).ino).toBe(statSync(path.join(l0!, "srv/run.sh")).ino);
    // What a container sees: the overlay of both layers.
    const { lowerDirs } = resolveImageLayers(img!.dir, {});
    const mnt = path.join(tmp, "mnt");
    for (const d of ["mnt", "up", "wk"]) mkdirSync(path.join(tmp, d));
    execFileSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lowerDirs.join(":")},upperdir=${tmp}/up,workdir=${tmp}/wk`,
      mnt,
    ]);
    try {
      expect(existsSync(path.join(mnt, "etc/motd"))).toBe(false);
      expect(readFileSync(path.join(mnt, "etc/keep"), "utf8")).toBe("kept");
      expect(readdirSync(path.join(mnt, "var/cache"))).toEqual(["y"]);
    } finally {
      execFileSync("umount", [mnt]);
    }
  });

  it("imports an OCI archive with gzip layers and shares layers with the docker one", async () => {
    const file = path.join(tmp, "oci.tar");
    writeFileSync(file, ociArchive([base, top], "2"));
    const before = readdirSync(path.join(store.dir, "layers")).length;
    const [img] = await importArchive(store, file, { ref: "demo/web:oci" });
    expect(img!.manifest.refs).toContain("demo/web:oci");
    expect(readdirSync(path.join(store.dir, "layers")).length).toBe(before);
  });

  const hostile: [string, TarSpecEntry[]][] = [
    ["a ../ name", [{ name: "../../outside/pwned", body: "x" }]],
    ["an absolute name", [{ name: "/tmp/pwned-abs", body: "x" }]],
    [
      "a write through an absolute symlink",
      [
        { name: "evil", type: "symlink", linkname: "CANARY" },
        { name: "evil/pwned", body: "x" },
      ],
    ],
    [
      "a write through a relative symlink",
      [
        { name: "up", type: "symlink", linkname: "../../../../../../../.." },
        { name: "up/tmp/pwned-rel", body: "x" },
      ],
    ],
    ["a hard link to a host file", [{ name: "pw", type: "hardlink", linkname: "/etc/passwd" }]],
    ["a hard link climbing out", [{ name: "pw", type: "hardlink", linkname: "../../../../etc/passwd" }]],
    ["a device node", [{ name: "sda", type: "block", devmajor: 8, devminor: 0 }]],
    ["a char device", [{ name: "mem", type: "char", devmajor: 1, devminor: 1 }]],
  ];

  for (const [what, entries] of hostile) {
    it(`refuses a layer with ${what} and touches nothing outside the store`, async () => {
      const layer = makeTar(entries.map((e) => ({ ...e, linkname: e.linkname?.replace("CANARY", canary) })));
      const file = path.join(tmp, "hostile.tar");
      writeFileSync(file, dockerSave([layer], "evil:1"));
      const layersBefore = readdirSync(path.join(store.dir, "layers")).sort();
      await expect(importArchive(store, file)).rejects.toThrow(/refused|outside|symlink|not inside|does not hold/);
      expect(readdirSync(canary)).toEqual(["victim"]);
      expect(readFileSync(path.join(canary, "victim"), "utf8")).toBe("untouched");
      expect(existsSync("/tmp/pwned-abs") || existsSync("/tmp/pwned-rel")).toBe(false);
      expect(readdirSync(path.join(store.dir, "layers")).sort()).toEqual(layersBefore);
      expect(readdirSync(path.join(store.dir, "tmp"))).toEqual([]);
      expect(store.findByRef("evil:1")).toBeNull();
    });
  }

  it("reports corrupt and wrong archives clearly", async () => {
    const file = path.join(tmp, "bad.tar");
    writeFileSync(file, Buffer.from("this is not a tarball at all"));
    await expect(importArchive(store, file)).rejects.toThrow(/not a tar archive/);
    const good = dockerSave([base], "x:1");
    writeFileSync(file, good.subarray(0, good.length - 3000));
    await expect(importArchive(store, file)).rejects.toThrow(/unexpected end of archive|not contain/);
    writeFileSync(file, makeTar([{ name: "hello.txt", body: "hi" }]));
    await expect(importArchive(store, file)).rejects.toThrow(/neither manifest.json/);
    expect(readdirSync(path.join(store.dir, "tmp"))).toEqual([]);
  });

  it("reads an archive's JSON only as a regular file of at most 16 MiB", async () => {
    const file = path.join(tmp, "json.tar");
    // A 17 MiB "manifest" (a multi-GiB one used to be read into memory whole).
    writeFileSync(file, makeTar([{ name: "manifest.json", body: `[${" ".repeat(17 * 1024 * 1024)}]` }]));
    await expect(importArchive(store, file)).rejects.toThrow(/manifest.json is larger than 16777216 bytes/);
    // A manifest that links to a host file is read neither through the link nor at all.
    writeFileSync(file, makeTar([{ name: "manifest.json", type: "symlink", linkname: "/etc/passwd" }]));
    await expect(importArchive(store, file)).rejects.toThrow(/points outside the archive|symlink/);
    expect(readdirSync(path.join(store.dir, "tmp"))).toEqual([]);
  });
});
