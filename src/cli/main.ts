// The `xenolith` command. `xenolith run <image>` boots a multiboot kernel on the bare PC, streams
// its output to stdout and exits with its status (README "Exit status"; src/board/outcome.ts).
// Messages from xenolith itself go to stderr, one line each. Nothing the guest does can crash
// the process: every error ends as a one-line report and status 1 (or 2 for bad input).
import "./v8-flags.ts"; // first: before any Wasm module is compiled
import { Command, Option, InvalidArgumentError } from "commander";
import { writeSync } from "node:fs";
import { fdSink } from "../devices/console.ts";
import { runImage, readImage, BadImageError, formatStats, STATUS_BAD_INPUT, STATUS_CRASH, type RunImageResult } from "../index.ts";
import { isPvImage } from "../boot/pv-detect.ts";
import { addBenchOptions } from "../bench/command.ts";
import { say, type RunFlags } from "./common.ts";
import { part } from "./parts.ts";

function wholeNumber(what: string) {
  return (v: string) => {
    if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${what}: expected a whole number`);
    return Number(v);
  };
}

function positiveInt(what: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new InvalidArgumentError(`${what}: expected a whole number from 1 to ${max}`);
    return Number(v);
  };
}

function run(image: string, flags: RunFlags): number {
  let mode = flags.mode;
  if (mode === undefined) {
    try {
      mode = isPvImage(readImage(image)) ? "pv" : "bare";
    } catch (e) {
      if (e instanceof BadImageError) { say(e.message); return STATUS_BAD_INPUT; }
      throw e;
    }
  }
  if (mode === "pv") return part("pv").runPv(image, flags);
  let result: RunImageResult;
  try {
    const modules = flags.module.map((spec) => {
      const file = spec.split(" ")[0];
      return { bytes: readImage(file), cmdline: spec };
    });
    result = runImage(image, {
      memoryMiB: flags.memory,
      cmdline: flags.cmdline,
      modules,
      maxInsns: flags.maxInsns,
      sink: fdSink(1),
      trace: flags.trace === undefined ? undefined : flags.trace === true ? Infinity : flags.trace,
      traceOut: (line) => writeSync(2, line + "\n"),
    });
  } catch (e) {
    if (e instanceof BadImageError) { say(e.message); return STATUS_BAD_INPUT; }
    throw e;
  }
  if (result.message) say(result.message);
  if (flags.json) writeSync(2, JSON.stringify({ outcome: result.outcome, status: result.status, ...result.stats }) + "\n");
  else if (flags.stats) writeSync(2, formatStats(result.stats));
  return result.status;
}

const program = new Command();
program
  .name("xenolith")
  .description("32-bit x86 emulator with a Xen-style paravirtualizing hypervisor")
  .version("0.1.0")
  .exitOverride();
program
  .command("run")
  .description("boot a kernel and run it: a multiboot kernel (ELF32 or a flat image with the a.out kludge) on the bare machine, or a Xen PV kernel (ELF32 with Xen notes) as a domain on the hypervisor")
  .argument("<image>", "kernel image")
  .option("--max-insns <n>", "stop after n instructions (exit status 3)", positiveInt("--max-insns"))
  .option("--stats", "print what happened (instructions, MIPS, exits, faults, TLB, blocks) on stderr")
  .option("--json", "print the statistics and the outcome as one JSON line on stderr")
  .option("--trace [n]", "trace the first n instructions (all without n) on stderr", positiveInt("--trace"))
  .option("--cmdline <text>", "kernel command line: after the image name (as QEMU's -append); for a PV kernel, start_info.cmd_line")
  .option("--memory <MiB>", "guest RAM in MiB (PV: the domain's nr_pages = MiB * 256)", positiveInt("--memory", 1024), 32)
  .option("--module <file>", "a multiboot module: its file name and arguments (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .addOption(new Option("--engine <engine>", "interp: the core's interpreter; jit (default): hot blocks translated to Wasm (src/translate)").choices(["interp", "jit"]))
  .addOption(new Option("--jit-threshold <n>", "with --engine jit: block entries before a block is translated (0: at once)").argParser(wholeNumber("--jit-threshold")))
  .addOption(new Option("--mode <mode>", "bare machine, or a paravirtualized guest on the hypervisor (default: pv for a kernel with Xen PV notes or __xen_guest, else bare)").choices(["bare", "pv"]))
  .action((image: string, flags: RunFlags) => {
    // Every Machine the run makes (bare PC or PV domain) takes its engine from these defaults
    // (src/core/machine.ts), so the flags reach both paths without threading them through.
    if (flags.engine !== undefined) process.env.XENOLITH_ENGINE = flags.engine;
    if (flags.jitThreshold !== undefined) process.env.XENOLITH_JIT_THRESHOLD = String(flags.jitThreshold);
    process.exitCode = run(image, flags);
  });

addBenchOptions(program.command("bench").description("the project's benchmark (npm run bench): guest MIPS and ns per event for each engine, start-up, peak RSS"))
  .action((flags) => part("bench").benchAction(flags));

try {
  program.parse();
} catch (e) {
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err.code === "string" && err.code.startsWith("commander.")) {
    // help and version exit 0; usage errors (commander already printed them) exit 2
    process.exitCode = err.exitCode === 0 ? 0 : STATUS_BAD_INPUT;
  } else {
    // never an uncaught exception: one line, status 1
    const eip = (e as { eip?: number }).eip;
    say(`internal error${eip !== undefined ? ` at guest EIP 0x${eip.toString(16)}` : ""}: ${err.message ?? String(e)}`);
    process.exitCode = STATUS_CRASH;
  }
}
