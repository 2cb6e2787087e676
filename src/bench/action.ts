// `xenolith bench` and `npm run bench`: the benchmark run with the options of src/bench/command.ts.
// A part of the command of its own, dist/cli-bench.cjs (src/cli/parts.ts).
import { runBench, formatReport, type BenchOptions } from "./bench.ts";
import type { BenchFlags } from "./command.ts";
import type { Engine } from "../core/machine.ts";

/** Run the benchmark with parsed flags; prints progress on stderr and the report on stdout. */
export function benchAction(flags: BenchFlags): void {
  const opts: BenchOptions = {
    reps: Number(flags.reps),
    engines: flags.engines.split(",") as Engine[],
    workloads: flags.workloads?.split(","),
    scale: Number(flags.scale),
    jitThreshold: flags.jitThreshold === undefined ? undefined : Number(flags.jitThreshold),
    process: flags.process,
    clock: flags.clock,
  };
  if (!(opts.reps >= 1) || !(opts.scale > 0)) throw new Error("--reps must be at least 1 and --scale above 0");
  const report = runBench(opts, (r) => process.stderr.write(`  ${r.workload} ${r.engine}: ${r.value.toFixed(1)} ${r.unit}\n`));
  process.stdout.write((flags.json ? JSON.stringify(report, null, 2) : formatReport(report)) + "\n");
}
