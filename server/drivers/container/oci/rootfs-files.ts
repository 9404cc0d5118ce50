// Reads small files out of a container's root file system from the host side (the image's
// etc/passwd and etc/group, to resolve its User). The image decides what is at those paths: with
// a plain readFileSync a symlink to /dev/zero made Tandem read until it ran out of memory, and a
// symlink to a host file read that file with root's rights. Here every component is resolved
// beneath the rootfs with no symlink followed (openat2 via native/beneath), the object is looked
// at through an O_PATH descriptor before anything opens it for reading (a FIFO or device is never
// opened), only a regular file is read, and never more than a cap. The image archive importer
// reads its manifests and configs the same way.
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from "node:fs";
import { beneathConstants, isBeneathError, openBeneath, withRootDir } from "../../../../native/beneath/index";

/** An image file that exists but may not be read from the host: a link, not a file, too large. */
export class ImageFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageFileError";
  }
}

/** etc/passwd of a large image is tens of KiB; anything past this is not a passwd file. */
export const IMAGE_FILE_MAX_BYTES = 1024 * 1024;

/** The text of `rel` inside `rootfs` (see readImageFileBytes). */
export function readImageFile(rootfs: string, rel: string, maxBytes = IMAGE_FILE_MAX_BYTES): string | null {
  return readImageFileBytes(rootfs, rel, maxBytes)?.toString("utf8") ?? null;
}

/**
 * The bytes of `rel` (e.g. "etc/passwd") inside `rootfs`, or null when the image has no such
 * file. Throws ImageFileError when something is there but is a symlink (anywhere on the path),
 * not a regular file, or larger than maxBytes.
 */
export function readImageFileBytes(rootfs: string, rel: string, maxBytes = IMAGE_FILE_MAX_BYTES): Buffer | null {
  const c = beneathConstants();
  return withRootDir(rootfs, (root) => {
    let pathFd: number;
    try {
      pathFd = openBeneath(root, rel, c.O_PATH | c.O_NOFOLLOW);
    } catch (e) {
      if (isBeneathError(e, "ENOENT", "ENOTDIR")) return null;
      if (isBeneathError(e, "ELOOP")) throw new ImageFileError(`${rel} is (or lies behind) a symlink`);
      if (isBeneathError(e, "EXDEV")) throw new ImageFileError(`${rel} leaves the image`);
      throw e;
    }
    try {
      const st = fstatSync(pathFd);
      // O_PATH|O_NOFOLLOW hands back a final symlink itself: refused like one on the way.
      if (st.isSymbolicLink()) throw new ImageFileError(`${rel} is a symlink`);
      if (!st.isFile()) throw new ImageFileError(`${rel} is not a regular file`);
      if (st.size > maxBytes) throw new ImageFileError(`${rel} is larger than ${maxBytes} bytes`);
      // Reopen the very object the O_PATH fd names (no second path walk), for reading.
      const fd = openSync(`/proc/self/fd/${pathFd}`, fsConstants.O_RDONLY | c.O_NOCTTY | c.O_NONBLOCK);
      try {
        const again = fstatSync(fd);
        if (again.ino !== st.ino || again.dev !== st.dev) throw new ImageFileError(`${rel} changed`);
        const buf = Buffer.alloc(Math.min(maxBytes, st.size) + 1);
        let n = 0;
        for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, n);
        if (n > maxBytes) throw new ImageFileError(`${rel} is larger than ${maxBytes} bytes`);
        return buf.subarray(0, n);
      } finally {
        closeSync(fd);
      }
    } finally {
      closeSync(pathFd);
    }
  });
}
