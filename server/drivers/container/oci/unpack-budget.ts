// The byte budget of one image import. An uploaded archive is capped as it arrives, but what it
// unpacks to is not: gzip layers expand (a zip bomb by a thousand), and a docker-save archive is
// staged before its layers are. Every file body the import writes (outer archive staging and
// every layer) is taken from one budget first, and the disk is asked at least every 64 MiB (and
// before any larger file) whether the bytes still fit with the database's reserve kept.
import { AppError } from "../../../domain/errors";
import { assertFreeSpace, FREE_SPACE_CHECK_BYTES } from "../../../domain/free-space";

export class UnpackBudget {
  private used = 0;
  private unchecked = 0;

  /**
   * @param maxBytes total bytes the import may write
   * @param dir a directory on the file system written to (statfs)
   * @param reserveBytes free space that must remain there
   */
  constructor(
    readonly maxBytes: number,
    private readonly dir: string,
    private readonly reserveBytes: number,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` before they are written; throws 413 past the cap, 507 when the disk is short. */
  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `the image unpacks to more than the ${this.maxBytes} byte limit (TANDEM_MAX_UNPACKED_BYTES)`,
      );
    }
    this.unchecked += bytes;
    if (this.unchecked >= FREE_SPACE_CHECK_BYTES) {
      // Asked for what has not been checked yet (this file included): statfs already counts
      // everything written before it.
      assertFreeSpace(this.dir, this.unchecked, this.reserveBytes, "the image import");
      this.unchecked = 0;
    }
  }
}
