// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose file name contains the
// filter) and writes bench/results.md from this run alone, stamped with the commit it measured.
// A bench whose module exports `optIn: true` (or whose Bench has `optIn: true`) runs only when
// its name (the file name without .bench.ts) is the filter: `npm run bench -- scale`.
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fmt, machineInfo, type Bench, type BenchRow } from "./harness";

/** The commit measured; "+changes" when the work tree differs from it. */
function commitOf(root: string): string {
  const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
  try {
    return `${git("rev-parse", "--short=12", "HEAD")}${git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results.md") ? " (+uncommitted changes)" : ""}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

async function main() {
  const dir = import.meta.dirname;
  const filter = process.argv[2] ?? "";
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
    .sort();
  const sections: string[] = [];
  for (const f of files) {
    const mod = (await import(path.join(dir, f))) as { default: Bench; optIn?: boolean };
    const bench = mod.default;
    if ((mod.optIn === true || bench.optIn === true) && filter !== f.replace(/\.bench\.ts$/, "")) {
      console.log(`--> skipping ${f} (opt-in: \`npm run bench -- ${f.replace(/\.bench\.ts$/, "")}\`)`);
      continue;
    }
    console.log(`==> ${bench.title}`);
    let rows: BenchRow[];
    try {
      rows = await bench.run();
    } catch (err) {
      console.error(`bench ${f} failed:`, err);
      sections.push(`## ${bench.title}\n\nFailed: ${err instanceof Error ? err.message : String(err)}\n`);
      continue;
    }
    const table = [
      "| measurement | Tandem | unit | baseline (same run) | baseline value | note |",
      "|---|---:|---|---|---:|---|",
      ...rows.map(
        (r) =>
          `| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${r.baseline?.name ?? ""} | ${r.baseline ? fmt(r.baseline.value) : ""} | ${r.note ?? ""} |`,
      ),
    ].join("\n");
    console.log(table);
    sections.push(`## ${bench.title}\n\n${table}\n`);
  }
  const doc = [
    "# Benchmark results",
    "",
    // One run, one commit: every figure below, and its baseline, was measured by this run.
    `Written by \`npm run bench${filter ? ` ${filter}` : ""}\` at commit ${commitOf(path.dirname(dir))} on ${new Date().toISOString()}.`,
    "",
    ...machineInfo().map((l) => `- ${l}`),
    "",
    ...sections,
  ].join("\n");
  const resultsFile = path.join(dir, "results.md");
  writeFileSync(resultsFile, doc + "\n");
  console.log(`wrote ${path.join(dir, "results.md")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
