// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose file name contains the
// filter) and writes bench/results.md.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fmt, machineInfo, type Bench, type BenchRow } from "./harness";

async function main() {
  const dir = import.meta.dirname;
  const filter = process.argv[2] ?? "";
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
    .sort();
  const sections: string[] = [];
  for (const f of files) {
    const bench = (await import(path.join(dir, f))).default as Bench;
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
  // A filtered run replaces its own sections and keeps the others from the last full run.
  const resultsFile = path.join(dir, "results.md");
  if (filter && existsSync(resultsFile)) {
    const old = readFileSync(resultsFile, "utf8")
      .split(/^(?=## )/m)
      .slice(1);
    const fresh = new Set(sections.map((s) => s.split("\n")[0]));
    sections.unshift(...old.filter((s) => !fresh.has(s.split("\n")[0])).map((s) => s.trimEnd() + "\n"));
  }
  const doc = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
    "",
    ...machineInfo().map((l) => `- ${l}`),
    "",
    ...sections,
  ].join("\n");
  writeFileSync(resultsFile, doc + "\n");
  console.log(`wrote ${path.join(dir, "results.md")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
