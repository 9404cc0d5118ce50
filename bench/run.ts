// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose file name contains the
// filter) and writes bench/results.md.
import { readdirSync, writeFileSync } from "node:fs";
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
  const doc = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
    "",
    ...machineInfo().map((l) => `- ${l}`),
    "",
    ...sections,
  ].join("\n");
  writeFileSync(path.join(dir, "results.md"), doc + "\n");
  console.log(`wrote ${path.join(dir, "results.md")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
