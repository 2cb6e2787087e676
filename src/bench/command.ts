// The benchmark's command-line options, shared by `npm run bench` (scripts/bench.ts) and
// `xenolith bench` (src/cli/main.ts).
import { Command, Option } from "commander";
import { runBench, formatReport, type BenchOptions } from "./bench.ts";
import { WORKLOADS } from "./workloads.ts";
import type { Engine } from "../core/machine.ts";

interface Flags { clock: "wall" | "cpu"; reps: string; engines: string; workloads?: string; scale: string; jitThreshold?: string; process: boolean; json?: boolean }

export function addBenchOptions(cmd: Command): Command {
  return cmd
    .option("--reps <n>", "repetitions (medians reported)", "5")
    .option("--engines <list>", "comma-separated: interp, jit", "interp,jit")
    .option("--workloads <list>", `comma-separated, of: ${WORKLOADS.map((w) => w.name).join(", ")} (default: all)`)
    .option("--scale <x>", "multiply every workload's iteration count", "1")
    .option("--jit-threshold <n>", "jit: block entries before translation")
    .addOption(new Option("--clock <clock>", "wall: host time in the run loop; cpu: process CPU time (steadier on a loaded machine)").choices(["wall", "cpu"]).default("wall"))
    .option("--no-process", "skip start-up time and peak RSS (child processes)")
    .addOption(new Option("--json", "print the report as JSON"));
}

/** Run the benchmark with parsed flags; prints progress on stderr and the report on stdout. */
export function benchAction(flags: Flags): void {
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
