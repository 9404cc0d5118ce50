// Image uploads against hostile input: the size limit holds for declared and for chunked bodies
// (and leaves no partial file), names never become paths, and archives with `../` entries or
// escaping layer references are refused without writing anything outside the store.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTar } from "../../drivers/container/test/tar-writer";
import { Client } from "../harness";
import { chunkedBody, postImage } from "./image-uploads";
import { startCustomServer, type CustomServer } from "./support";

const LIMIT = 64 * 1024;
let server: CustomServer;
let admin: Client;
const tag = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  server = await startCustomServer({ containers: true, env: { TANDEM_MAX_UPLOAD_BYTES: String(LIMIT) } });
  admin = new Client(server.url);
  await admin.login();
});
afterAll(() => server?.stop());

const uploadsDir = () => path.join(server.dataDir, "images", "uploads");
const leftovers = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()).filter((f) => f.endsWith(".part")) : []);

function post(query: string, body: BodyInit, headers: Record<string, string> = {}) {
  return postImage(server.url, admin, query, body, headers);
}

/** A body of `n` bytes sent chunked, with no content-length to check up front. */
const chunked = (n: number) => chunkedBody(n);

describe("upload size limit", () => {
  it("refuses a declared oversize body with 413", async () => {
    const res = await post("name=big1&kind=vm&format=raw", new Uint8Array(LIMIT + 1));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses a chunked oversize body with 413 and keeps no partial file", async () => {
    const res = await post("name=big2&kind=vm&format=raw", chunked(LIMIT * 4));
    expect(res.status).toBe(413);
    expect(leftovers()).toEqual([]);
    expect(
      (await admin.json<{ images: { name: string }[] }>("GET", "/api/v1/images")).body.images.map((i) => i.name),
    ).not.toContain("big2");
  });

  it("accepts a body of exactly the limit", async () => {
    const res = await post(`name=exact-${tag}&kind=vm&format=raw`, chunked(LIMIT));
    expect(res.status).toBe(201);
  });
});

describe("names and paths", () => {
  it("refuses names that look like paths", async () => {
    for (const name of ["../evil", "a/b", "..", ".hidden", "a\\b", "x%00y", "%2e%2e%2fevil", "é"]) {
      const res = await post(`name=${encodeURIComponent(name)}&kind=vm&format=raw`, "x");
      expect(res.status, name).toBe(400);
    }
  });

  it("stores under its own id inside the store whatever the name", async () => {
    const res = await post(`name=a..b-${tag}&kind=vm&format=raw`, "disk");
    expect(res.status).toBe(201);
    const { image } = (await res.json()) as { image: { id: string } };
    const row = await server.db.image.findUniqueOrThrow({ where: { id: image.id } });
    expect(row.path).toBe(path.join(uploadsDir(), `${image.id}.raw`));
  });
});

describe("hostile archives", () => {
  const marker = `tandem-escape-${tag}`;
  const escaped = () =>
    [server.dataDir, path.dirname(server.dataDir), "/tmp", "/"].some((d) => existsSync(path.join(d, marker)));

  it("refuses an archive whose entries climb out with ../", async () => {
    const tar = makeTar([
      { name: "manifest.json", body: "[]" },
      { name: `../../${marker}`, body: "owned" },
    ]);
    const res = await post(`name=evil1-${tag}&kind=container&format=docker-archive`, new Uint8Array(tar));
    expect(res.status).toBe(400);
    expect(escaped()).toBe(false);
  });

  it("refuses a layer with ../ entries and absolute symlink tricks", async () => {
    const layer = makeTar([
      { name: "etc/", type: "dir" },
      { name: `../../../${marker}`, body: "owned" },
      { name: "link", type: "symlink", linkname: "/" },
      { name: `link/tmp/${marker}`, body: "owned" },
    ]);
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [] },
    });
    const tar = makeTar([
      {
        name: "manifest.json",
        body: JSON.stringify([{ Config: "config.json", RepoTags: ["evil:1"], Layers: ["layer.tar"] }]),
      },
      { name: "config.json", body: config },
      { name: "layer.tar", body: layer },
    ]);
    const res = await post(`name=evil2-${tag}&kind=container&format=docker-archive`, new Uint8Array(tar));
    expect(res.status, await res.clone().text()).toBe(400);
    expect(escaped()).toBe(false);
  });

  it("refuses a manifest that points outside the archive", async () => {
    const tar = makeTar([
      { name: "manifest.json", body: JSON.stringify([{ Config: "../../../etc/passwd", Layers: ["/etc/shadow"] }]) },
    ]);
    const res = await post(`name=evil3-${tag}&kind=container&format=docker-archive`, new Uint8Array(tar));
    expect(res.status).toBe(400);
  });

  it("leaves no partial files and the server healthy", async () => {
    expect(leftovers()).toEqual([]);
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
  });
});
