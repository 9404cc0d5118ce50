// Finds and loads the built addon (build/Release/tandem_libvirt.node, next to this file) once,
// and installs the factory through which the addon builds LibvirtError objects.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { LibvirtError } from "./errors";
import type { NativeBinding } from "./native";

let binding: NativeBinding | null = null;
let loadError: Error | null = null;

/** Candidate locations of the built addon, relative to this file (never absolute paths). */
function candidates(): string[] {
  return ["./build/Release/tandem_libvirt.node", "./build/Debug/tandem_libvirt.node"].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
}

/** The loaded addon; throws (the same error every time) when it is not built. */
export function load(): NativeBinding {
  if (binding) return binding;
  if (loadError) throw loadError;
  const file = candidates().find((f) => existsSync(f));
  if (!file) {
    loadError = new Error(
      "the libvirt addon is not built: run `npx node-gyp rebuild` in native/libvirt (needs libvirt-dev)",
    );
    throw loadError;
  }
  const require = createRequire(import.meta.url);
  const b = require(file) as NativeBinding;
  b.setErrorFactory(
    (code, domain, message, level, str1, int1) => new LibvirtError(code, domain, message, level, str1, int1),
  );
  binding = b;
  return b;
}

/** Version of the libvirt client library, as major*1e6 + minor*1e3 + micro. */
export function libraryVersion(): number {
  return load().libraryVersion();
}

/** 9000000 → "9.0.0" */
export function formatVersion(v: number): string {
  return `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;
}
