// A complete Guest for unit tests of the dashboard's pure parts; override what a test is about.
import type { Guest } from "@/server/contract";

export const fakeGuest = (name: string, over: Partial<Guest> = {}): Guest => ({
  id: `local.vm.${name}`,
  hostId: "local",
  kind: "vm",
  name,
  state: "running",
  vcpus: 1,
  memoryMiB: 256,
  capabilities: {
    vnc: true,
    exec: false,
    snapshots: true,
    logs: false,
    clone: true,
    rename: false,
    resize: true,
    liveResize: false,
  },
  diskGiB: null,
  image: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  adopted: false,
  tags: [],
  notes: "",
  ipAddresses: [],
  ...over,
});
