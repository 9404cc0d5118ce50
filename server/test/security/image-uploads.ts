// Test helpers for image uploads through the public API: a `docker save` archive built from
// hand-made layers (hostile ones included), the upload request itself, and a body sent chunked
// (no Content-Length, so nothing can be checked before it arrives).
import { createHash } from "node:crypto";
import { makeTar, type TarSpecEntry } from "../../drivers/container/test/tar-writer";
import type { Client } from "../harness";

/** One layer: entries to write as a tar, or a finished blob with its diffID, or a reused one. */
export type LayerSpec = TarSpecEntry[] | { blob: Buffer; diffId: string } | { reuse: string };

/**
 * A `docker save` archive of one image. A `{ reuse: diffID }` layer is one the store already
 * holds: the archive carries an empty placeholder the store never reads.
 */
export function dockerSave(layers: LayerSpec[], config: Record<string, unknown>, tag: string): Buffer {
  const files: TarSpecEntry[] = [];
  const diffIds: string[] = [];
  layers.forEach((l, i) => {
    const name = `layer${i}/layer.tar`;
    if ("reuse" in l) {
      diffIds.push(l.reuse);
      files.push({ name, body: "" });
    } else if ("blob" in l) {
      diffIds.push(l.diffId);
      files.push({ name, body: l.blob });
    } else {
      const tar = makeTar(l);
      diffIds.push(`sha256:${createHash("sha256").update(tar).digest("hex")}`);
      files.push({ name, body: tar });
    }
  });
  const configJson = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config,
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  return makeTar([
    {
      name: "manifest.json",
      body: JSON.stringify([{ Config: "config.json", RepoTags: [tag], Layers: files.map((f) => f.name) }]),
    },
    { name: "config.json", body: configJson },
    ...files,
  ]);
}

/** POST /api/v1/images?<query> with `body` as the file, signed in as `client`. */
export function postImage(
  base: string,
  client: Client,
  query: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}/api/v1/images?${query}`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/octet-stream",
      cookie: client.cookie!,
      "x-csrf-token": client.csrf!,
      ...headers,
    },
    // Required by fetch for a streamed body.
    duplex: "half",
  } as RequestInit);
}

/** A body of `n` bytes ('x') sent chunked, `chunk` bytes at a time, with no Content-Length. */
export function chunkedBody(n: number, chunk = 8192): ReadableStream<Uint8Array> {
  let sent = 0;
  const block = new Uint8Array(chunk).fill(120);
  return new ReadableStream({
    pull(c) {
      if (sent >= n) return c.close();
      const part = block.slice(0, Math.min(chunk, n - sent));
      sent += part.length;
      c.enqueue(part);
    },
  });
}
