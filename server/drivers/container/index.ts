// Public surface of the container driver for the composition root (server/main.ts).
export { ContainerDriver } from "./oci/driver";
export type { ContainerDriverOptions, ContainerSample, ContainerDetails } from "./oci/driver";
export type { LogLine } from "./oci/logs";
