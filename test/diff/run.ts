// npm run test:diff -- --count N --seed S [--start K] [--store] [--stored] [--show M] [--item3-only] [--docs]
// Runs cases [K, K+N) of seed S on the host CPU (or against stored expectations) and in the
// emulator; prints the first M mismatches in full, the coverage table, the tallies, and as its
// very last line `N passed, M failed`. --store writes the host's results as expected data;
// --docs rewrites the coverage table in docs/DIFF-TEST.md.
import { Command } from "commander";
import { runDiff, coverageSummary } from "./harness.ts";
import { writeCoverageDoc } from "./coverage-doc.ts";

const program = new Command()
  .name("test:diff")
  .option("--count <n>", "number of cases", "10000")
  .option("--seed <s>", "generator seed", "20261122")
  .option("--start <k>", "first case index", "0")
  .option("--store", "store the host CPU's results as expected data")
  .option("--stored", "compare against stored expectations even if the host can run the runner")
  .option("--show <m>", "mismatches to print in full", "5")
  .option("--item3-only", "draw cases from issue 2 item 3's forms only (as the stored npm-test range)")
  .option("--docs", "rewrite the coverage table in docs/DIFF-TEST.md")
  .parse(process.argv);
const o = program.opts<{ count: string; seed: string; start: string; store?: boolean; stored?: boolean; show: string; docs?: boolean; item3Only?: boolean }>();

const report = await runDiff({
  seed: Number(o.seed), count: Number(o.count), start: Number(o.start), store: o.store, storedOnly: o.stored, show: Number(o.show), extras: !o.item3Only,
});
console.log(`\ncoverage (mnemonic, forms generated/known, cases, failures):`);
for (const l of await coverageSummary(report)) console.log("  " + l);
console.log(`\nexpected results from: ${report.source}`);
const unimpl = [...report.unimplemented].sort((a, b) => b[1] - a[1]);
const unimplTotal = unimpl.reduce((s, [, n]) => s + n, 0);
console.log(`failed because the core does not implement the form yet: ${unimplTotal} cases in ${unimpl.length} forms${unimpl.length ? ": " + unimpl.map(([c, n]) => `${c} ${n}`).join(", ") : ""}`);
const mism = [...report.mismatchByForm].sort((a, b) => b[1] - a[1]);
const mismTotal = mism.reduce((s, [, n]) => s + n, 0);
console.log(`failed with a wrong result: ${mismTotal} cases in ${mism.length} forms${mism.length ? ": " + mism.map(([c, n]) => `${c} ${n}`).join(", ") : ""}`);
if (report.hostDisagrees) console.log(`host CPU disagrees with the stored expectation: ${report.hostDisagrees} cases`);
if (report.stale || report.missing) console.log(`no usable expectation: ${report.stale} stale, ${report.missing} missing`);
console.log(`time: ${report.seconds.toFixed(1)} s`);
if (o.docs) console.log(`coverage table written to ${await writeCoverageDoc(report)}`);
console.log(`${report.passed} passed, ${report.failed} failed`);
process.exitCode = report.failed ? 1 : 0;
