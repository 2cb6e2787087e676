// The library API (docs/API.md): boot a multiboot image on the bare PC, run it, and get its output,
// exit status and statistics — what `xenolith run` does, for programs and tests.
//
//   import { runImage } from "xenolith";
//   const r = runImage("kernel.elf", { maxInsns: 10_000_000n });
//   r.output      // what the guest printed on COM1 and port 0xE9
//   r.status      // the exit status `xenolith run` would exit with
//   r.outcome     // { kind: "exit", value, status } | { kind: "halted" ... } | ...
//   r.stats       // instructions, MIPS, exits, faults, TLB, blocks
import { readFileSync, statSync } from "node:fs";
import { PC, type Outcome } from "./board/pc.ts";
import { Tracer } from "./board/trace.ts";
import { BadImageError } from "./boot/errors.ts";
import type { MultibootModule } from "./boot/multiboot.ts";
import { outcomeStatus, describeOutcome } from "./board/outcome.ts";
import type { RunStats } from "./board/stats.ts";
import type { ConsoleSink } from "./devices/console.ts";

export { PC, InternalError, type Outcome, type PcOptions, type RunOptions } from "./board/pc.ts";
export { Tracer } from "./board/trace.ts";
export { BadImageError } from "./boot/errors.ts";
export { parseElf32, ElfError, type Elf32, type ProgramHeader, type SectionHeader, type ElfNote } from "./boot/elf.ts";
export { loadMultiboot, findMultibootHeader, type MultibootBoot, type MultibootModule, type MultibootOptions } from "./boot/multiboot.ts";
export { outcomeStatus, describeOutcome, STATUS_HALTED, STATUS_CRASH, STATUS_BAD_INPUT, STATUS_MAX_INSNS } from "./board/outcome.ts";
export { formatStats, type RunStats } from "./board/stats.ts";
export { Machine } from "./core/machine.ts";

export interface RunImageOptions {
  /** guest RAM in MiB (default 32) */
  memoryMiB?: number;
  /** text after the image name in the multiboot command line (QEMU's -append) */
  cmdline?: string;
  modules?: MultibootModule[];
  /** stop after this many instructions (outcome "max-insns", status 3) */
  maxInsns?: bigint | number;
  /** also stream the guest's output here as it is produced (e.g. to stdout) */
  sink?: ConsoleSink;
  /** trace this many instructions (Infinity: all), one line each to `traceOut` */
  trace?: number;
  traceOut?: (line: string) => void;
  /** the image's name in the command line and in messages (default: the path, or "image") */
  name?: string;
}

export interface RunImageResult {
  outcome: Outcome;
  /** the exit status `xenolith run` exits with */
  status: number;
  /** the one-line report when the guest did not end the run itself */
  message?: string;
  /** everything the guest printed */
  output: string;
  stats: RunStats;
  pc: PC;
}

/** Read an image file; a missing file, a directory or an unreadable file is a BadImageError. */
export function readImage(file: string): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadImageError(code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
  if (st.isDirectory()) throw new BadImageError(`${file}: is a directory, not a kernel image`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new BadImageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Boot a multiboot image (a file name or its bytes) and run it to its end. Throws BadImageError
 * for bad input; anything the guest does is reported in the result, never thrown. */
export function runImage(image: string | Uint8Array, opts: RunImageOptions = {}): RunImageResult {
  const name = opts.name ?? (typeof image === "string" ? image : "image");
  const bytes = typeof image === "string" ? readImage(image) : image;
  const pc = new PC({ memoryMiB: opts.memoryMiB, sink: opts.sink ?? null, keepOutput: true });
  pc.load(bytes, { name, cmdline: opts.cmdline ? `${name} ${opts.cmdline}` : name, modules: opts.modules });
  const tracer = opts.trace ? new Tracer(opts.trace, opts.traceOut ?? ((l) => process.stderr.write(l + "\n"))) : undefined;
  const outcome = pc.run({ maxInsns: opts.maxInsns === undefined ? undefined : BigInt(opts.maxInsns), trace: tracer });
  return {
    outcome,
    status: outcomeStatus(outcome),
    message: describeOutcome(outcome, pc.machine.instructions),
    output: pc.output(),
    stats: pc.stats(),
    pc,
  };
}
