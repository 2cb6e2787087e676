// The benchmark's command-line options, shared by `npm run bench` (scripts/bench.ts) and
// `xenolith bench` (src/cli/main.ts); what they do is src/bench/action.ts, which `xenolith` loads
// only for `xenolith bench` (src/cli/parts.ts).
import { Command, Option } from "commander";
import { WORKLOADS } from "./workloads.ts";

export interface BenchFlags { clock: "wall" | "cpu"; reps: string; engines: string; workloads?: string; scale: string; jitThreshold?: string; process: boolean; json?: boolean }

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
