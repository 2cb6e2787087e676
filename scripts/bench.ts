// `npm run bench [-- --reps 5 --engines interp,jit --workloads alu,pf --scale 0.1 --json]`:
// the project's benchmark (src/bench; `xenolith bench` is the same).
import { Command } from "commander";
import { addBenchOptions } from "../src/bench/command.ts";
import { benchAction } from "../src/bench/action.ts";

addBenchOptions(new Command("bench")).action(benchAction).parse();
