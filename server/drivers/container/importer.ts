// Adapts the OCI image store to the image library's ContainerImageImporter port, turning archive
// problems into the uploader's 400s.
import type { ContainerImageImporter } from "../../domain/images";
import { AppError } from "../../domain/errors";
import { importArchive } from "./oci/archive";
import { ImageStoreError, type OciImageStore, type StoredImage } from "./oci/image-store";
import { TarFormatError } from "./oci/tar";
import { UnsafeArchiveError } from "./oci/tar-safety";
import { UnpackBudget } from "./oci/unpack-budget";

/** The image library hands container archives to the OCI store through this adapter. */
export function containerImporter(store: OciImageStore): ContainerImageImporter {
  const asStored = (img: StoredImage) => ({
    path: img.dir,
    meta: img.manifest.config as Record<string, unknown>,
    sizeBytes: img.manifest.sizeBytes,
  });
  // Archive problems are the uploader's: report them as a 400 in the store's own words.
  const userError = (e: unknown) =>
    e instanceof ImageStoreError || e instanceof UnsafeArchiveError || e instanceof TarFormatError
      ? new AppError("VALIDATION", `the image archive was refused: ${e.message}`)
      : e;
  return {
    async importArchive(file, limits) {
      try {
        await store.init();
        const budget = new UnpackBudget(limits.maxUnpackedBytes, store.dir, limits.diskReserveBytes);
        const images = await importArchive(store, file, { budget });
        if (!images[0]) throw new AppError("VALIDATION", "the archive holds no image");
        return asStored(images[0]);
      } catch (e) {
        throw userError(e);
      }
    },
    async importRootfs(dir, config) {
      await store.init();
      return asStored(await store.importRootfs(dir, { config, ref: "tandem/demo-busybox:latest" }));
    },
  };
}
