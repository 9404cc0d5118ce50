// How the image library hands container archives to the container backend without importing it.
export interface StoredImage {
  /** Directory or file in the backend's store. */
  path: string;
  meta: Record<string, unknown>;
  sizeBytes: number;
}

/** What one import may write: a total (staging and every layer) and the free space it must leave. */
export interface ImportLimits {
  maxUnpackedBytes: number;
  diskReserveBytes: number;
}

export interface ContainerImageImporter {
  /** A `docker save` tarball or an OCI image archive, unpacked layer by layer into the store. */
  importArchive(file: string, limits: ImportLimits): Promise<StoredImage>;
  /** A plain root filesystem directory (the offline demo image) plus its OCI image config. */
  importRootfs(dir: string, config: Record<string, unknown>): Promise<StoredImage>;
}
