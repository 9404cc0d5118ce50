// Public surface of the container driver for the composition root (server/main.ts) and the
// image service: the GuestDriver, the OCI image store and its importers.
export { ContainerDriver } from "./oci/driver";
export type { ContainerDriverOptions, ContainerSample, ContainerDetails } from "./oci/driver";
export type { LogLine } from "./oci/logs";
export { OciImageStore, ImageStoreError, type StoredImage } from "./oci/image-store";
export { importArchive } from "./oci/archive";
export { pullImage, parseReference, type PullOptions } from "./oci/registry";
export { UnsafeArchiveError } from "./oci/tar-safety";
export { TarFormatError } from "./oci/tar";
