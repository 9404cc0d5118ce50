// Finds and loads one of Tandem's built addons (native/<addon>/build/Release|Debug/<name>.node),
// lazily and once, so that importing an addon's index.ts never fails where it is not built.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * A loader for the addon `name` built beside `moduleUrl` (the addon's index.ts passes its
 * `import.meta.url`). The first successful call loads it and runs `init` once; while it is not
 * built, every call throws an Error saying how to build it.
 */
export function addonLoader<T>(moduleUrl: string, name: string, init?: (addon: T) => void): () => T {
  let cached: T | undefined;
  return () => {
    if (cached) return cached;
    const found = ["Release", "Debug"]
      .map((d) => fileURLToPath(new URL(`./build/${d}/${name}.node`, moduleUrl)))
      .find((f) => existsSync(f));
    if (!found) throw new Error(`the ${name} addon is not built: run 'bash scripts/build-native.sh'`);
    const addon = createRequire(moduleUrl)(found) as T;
    init?.(addon);
    cached = addon;
    return addon;
  };
}
