// Public surface of the libvirt VM driver for the composition root (server/main.ts).
export { LibvirtDriver, type LibvirtDriverOptions, type IsolatedNetworkOptions } from "./driver";
export { detectAccel, type Accel } from "./accel";
export { seedTool } from "./cloud-init";
