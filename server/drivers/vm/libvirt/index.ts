// Public surface of the libvirt VM driver for the composition root (server/main.ts), tests and
// benches. Acceleration is read from a driver (`accel`), never detected elsewhere.
export { LibvirtDriver, type LibvirtDriverOptions, type IsolatedNetworkOptions } from "./driver";
