// Bundles the server's TypeScript (server/, native/*/index.ts) into one ES module,
// build/server/main.mjs, that `npm start` runs with plain node. Running through tsx instead
// costs ~30 MiB of idle RSS: on Node 20 its loader hooks run in a second V8 isolate (the
// module-hooks thread), and it keeps an esbuild service process beside the server.
// npm packages stay external (loaded from node_modules as they are: Prisma finds its wasm,
// Next its build, the addons their .node files). `npm run serve`, `npm run dev` and the tests
// keep running the sources through tsx.
//
// Usage: node scripts/build-server.mjs [outfile]   (default build/server/main.mjs)
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const outfile = path.resolve(root, process.argv[2] ?? "build/server/main.mjs");
const outDir = path.dirname(outfile);

/**
 * Modules find files beside themselves through import.meta.url / import.meta.dirname (the
 * addons' build/ directories, the Next app's root). In a bundle those would name the bundle;
 * this rewrites them, per source file, to the file's own location, computed relative to the
 * bundle so that the checkout may move after the build.
 */
const keepModulePaths = {
  name: "keep-module-paths",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let code = await readFile(args.path, "utf8");
      if (code.includes("import.meta.url") || code.includes("import.meta.dirname")) {
        const fromBundle = (p) => JSON.stringify(path.relative(outDir, p).split(path.sep).join("/"));
        const dir = `__tandemPath.resolve(import.meta.dirname, ${fromBundle(path.dirname(args.path))})`;
        const url = `__tandemUrl.pathToFileURL(__tandemPath.resolve(import.meta.dirname, ${fromBundle(args.path)})).href`;
        code =
          `import * as __tandemPath from "node:path"; import * as __tandemUrl from "node:url";\n` +
          code.replaceAll("import.meta.dirname", dir).replaceAll("import.meta.url", url);
      }
      return { contents: code, loader: "ts" };
    });
  },
};

await build({
  entryPoints: [path.join(root, "server/main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  // For reading a stack trace back to the sources (node --enable-source-maps does it).
  sourcesContent: false,
  legalComments: "none",
  logLevel: "warning",
  plugins: [keepModulePaths],
});
process.stdout.write(`built ${path.relative(root, outfile)} (${pathToFileURL(outfile).href})\n`);
