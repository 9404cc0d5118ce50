// Loads the built addon (build/Release/tandem_libvirt.node, next to this file) once, and installs
// the factory through which the addon builds LibvirtError objects.
import { addonLoader } from "../common/load";
import { LibvirtError } from "./errors";
import type { NativeBinding } from "./native";

/** The loaded addon; throws while it is not built (it needs libvirt-dev). */
export const load = addonLoader<NativeBinding>(import.meta.url, "tandem_libvirt", (b) =>
  b.setErrorFactory(
    (code, domain, message, level, str1, int1) => new LibvirtError(code, domain, message, level, str1, int1),
  ),
);

/** Version of the libvirt client library, as major*1e6 + minor*1e3 + micro. */
export function libraryVersion(): number {
  return load().libraryVersion();
}

/** 9000000 → "9.0.0" */
export function formatVersion(v: number): string {
  return `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;
}
