// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose file name contains the
// filter) and writes the results of this run alone, stamped with the commit it measured and a
// DIRTY line when the work tree differs from it. The whole file is rewritten: a section from
// another run is never kept. A full run writes bench/results.md; a filtered one writes
// bench/results-<filter>.md, so a partial run never stands in for the full one.
// A bench whose module exports `optIn: true` (or whose Bench has `optIn: true`) runs only when
// its name (the file name without .bench.ts) is the filter: `npm run bench -- scale`.
// Figures not measured here (BenchRow.reference) go in their own table at the end.
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fmt, machineInfo, ratio, verdicts, type Bench, type BenchRow, type Reference } from "./harness";

/** The commit measured and the paths that differ from it (results files aside). */
function commitOf(root: string): { commit: string; changed: string[] } {
  const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" });
  try {
    const changed = git("status", "--porcelain", "--untracked-files=normal", "--", ".", ":!bench/results*.md")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git("rev-parse", "--short=12", "HEAD").trim(), changed };
  } catch {
    return { commit: "unknown (not a git checkout)", changed: [] };
  }
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

function table(rows: BenchRow[]): string {
  return [
    "| measurement | Tandem | unit | baseline (same run) | baseline value | ratio | target | met | note |",
    "|---|---:|---|---|---:|---:|---|---|---|",
    ...rows.map((r) =>
      [
        "",
        cell(r.name),
        fmt(r.value),
        r.unit,
        cell(r.baseline?.name ?? ""),
        r.baseline ? fmt(r.baseline.value) : "",
        ratio(r),
        cell((r.targets ?? []).map((t) => t.text).join("; ")),
        verdicts(r).join("; "),
        cell(r.note ?? ""),
        "",
      ].join(" | "),
    ),
  ]
    .join("\n")
    .replace(/^ \| /gm, "| ")
    .replace(/ \| $/gm, " |");
}

function referenceTable(refs: { section: string; row: BenchRow; ref: Reference }[]): string {
  return [
    "## Reference figures (not measured here)",
    "",
    "Documented or reported elsewhere, for scale only: no ratio is computed against them.",
    "",
    "| beside (this run) | Tandem | reference | value | unit | source |",
    "|---|---:|---|---:|---|---|",
    ...refs.map(
      ({ section, row, ref }) =>
        `| ${cell(`${section}: ${row.name}`)} | ${fmt(row.value)} ${row.unit} | ${cell(ref.name)} | ${typeof ref.value === "number" ? fmt(ref.value) : cell(ref.value)} | ${ref.unit} | ${cell(ref.source)} |`,
    ),
    "",
  ].join("\n");
}

async function main() {
  const dir = import.meta.dirname;
  const filter = process.argv[2] ?? "";
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
    .sort();
  const sections: string[] = [];
  const refs: { section: string; row: BenchRow; ref: Reference }[] = [];
  for (const f of files) {
    const mod = (await import(path.join(dir, f))) as { default: Bench; optIn?: boolean };
    const bench = mod.default;
    const name = f.replace(/\.bench\.ts$/, "");
    if ((mod.optIn === true || bench.optIn === true) && filter !== name) {
      console.log(`--> skipping ${f} (opt-in: \`npm run bench -- ${name}\`)`);
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
    for (const row of rows)
      for (const ref of [row.reference ?? []].flat()) refs.push({ section: bench.title, row, ref });
    const t = table(rows);
    console.log(t);
    sections.push(`## ${bench.title}\n\n${t}\n`);
  }
  const { commit, changed } = commitOf(path.dirname(dir));
  const doc = [
    "# Benchmark results",
    "",
    // One run, one commit: every figure below, and its baseline, was measured by this run.
    `Written by \`npm run bench${filter ? ` ${filter}` : ""}\` in one run at commit ${commit} on ${new Date().toISOString()}.`,
    "",
    changed.length === 0
      ? "Work tree: clean (the figures are the commit's)."
      : `DIRTY: ${changed.length} path(s) differed from the commit during this run (${changed.slice(0, 8).join(", ")}${changed.length > 8 ? ", …" : ""}).`,
    "",
    ...machineInfo().map((l) => `- ${l}`),
    "",
    "Ratio = Tandem ÷ baseline (below 1× Tandem is faster or smaller). Targets are from issue 17.",
    "",
    ...sections,
    ...(refs.length ? [referenceTable(refs)] : []),
  ].join("\n");
  const resultsFile = path.join(dir, filter ? `results-${filter.replace(/[^\w.-]/g, "_")}.md` : "results.md");
  writeFileSync(resultsFile, doc + "\n");
  console.log(`wrote ${resultsFile}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
