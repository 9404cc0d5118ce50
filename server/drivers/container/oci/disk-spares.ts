// One formatted writable-layer image kept ready, so that a create renames it into place instead
// of waiting for mkfs.ext4 (~20 ms, the longest step before the mounts). The spare is sparse (its
// ext4 metadata, ~2 MiB): the create preallocates it exactly as a fresh image, so limits, free-
// space checks and ENOSPC inside are unchanged. Its size follows the last create (the default at
// first); after each take a new one is formatted in the background. A spare is only ever named
// `.spare-disk-<bytes>.ext4` once mkfs has finished, so what a crash leaves is either complete
// (reused) or a `.tmp` (deleted at a later start).
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../../../domain/logger";
import { formatLayerImage } from "./writable-layer";

const PREFIX = ".spare-disk-";

export class DiskSpares {
  /** The background format under way, if any. */
  private making: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  private file(bytes: number): string {
    return path.join(this.dir, `${PREFIX}${bytes}.ext4`);
  }

  /** Deletes half-made spares a crash left; makes one of `bytes` (the default size) if none is there. */
  start(bytes: number | null): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.startsWith(PREFIX));
    } catch {
      // no directory yet: nothing left over
    }
    // Another driver on this data directory may be formatting one right now (mkfs takes well
    // under a second): only a .tmp older than a minute is a crash's.
    for (const n of names) {
      const f = path.join(this.dir, n);
      try {
        if (n.endsWith(".tmp") && Date.now() - statSync(f).mtimeMs > 60_000) rmSync(f, { force: true });
      } catch {
        // gone meanwhile
      }
    }
    if (bytes !== null) this.refill(bytes);
  }

  /**
   * A formatted image of `bytes` at `image`: the spare when it has that size, else formatted
   * there now. The caller asks for the next spare (refill) once its create is done, so that mkfs
   * does not compete with the rest of the create for the CPU.
   */
  async take(image: string, bytes: number): Promise<void> {
    rmSync(image, { force: true });
    try {
      renameSync(this.file(bytes), image);
      return;
    } catch {
      // none of this size (or another driver on this data directory took it): format one
    }
    await formatLayerImage(image, bytes);
  }

  /** Formats a spare of `bytes` unless one exists or is being made; other sizes' spares go. */
  refill(bytes: number): void {
    if (this.closed || this.making) return;
    const spare = this.file(bytes);
    if (existsSync(spare)) return;
    const tmp = `${spare}.tmp`;
    this.making = (async () => {
      for (const n of readdirSync(this.dir)) {
        if (n.startsWith(PREFIX) && !n.endsWith(".tmp")) rmSync(path.join(this.dir, n), { force: true });
      }
      await formatLayerImage(tmp, bytes);
      if (this.closed) rmSync(tmp, { force: true });
      else renameSync(tmp, spare);
    })()
      .catch((e: unknown) => {
        rmSync(tmp, { force: true });
        this.log.warn({ err: String(e) }, "a spare container disk could not be made");
      })
      .finally(() => (this.making = null));
  }

  /** Waits for a format under way (no mkfs outlives the driver); the spare itself stays for next time. */
  async close(): Promise<void> {
    this.closed = true;
    await this.making;
  }
}
