// The project's benchmark: guest workloads run on the core, figures printed (never asserted).
// Each workload runs with two iteration counts; MIPS = extra instructions / extra time, so set-up
// and decoding cancel out (the method of ../shared/bench/bench.mjs). Medians over --reps runs.
//
//   npm run bench [-- --reps 5 --workloads alu,mem,call --engines interp,jit --threshold 50]
import { Command } from "commander";
import { assemble } from "../test/helpers/asm.ts";
import { flatMachine } from "../test/helpers/flat.ts";
import { DEFAULT_JIT_THRESHOLD, type Engine } from "../src/core/machine.ts";

interface Workload {
  /** the timed loop; ECX = iteration count on entry */
  source: string;
  /** instructions per iteration */
  ipi: number;
  /** iterations of the large run */
  n: number;
  doc: string;
}

const WORKLOADS: Record<string, Workload> = {
  alu: {
    doc: "add/xor/rol/dec/jnz on registers",
    ipi: 5, n: 20_000_000,
    source: `1: add %ecx, %eax
      xor %eax, %ebx
      rol $3, %ebx
      dec %ecx
      jnz 1b`,
  },
  alu4: {
    doc: "add/xor/sub/dec/jnz (no rotate: the translator's simplest loop)",
    ipi: 5, n: 20_000_000,
    source: `1: add %ecx, %eax
      xor %eax, %ebx
      sub %edx, %ebx
      dec %ecx
      jnz 1b`,
  },
  mem: {
    doc: "load + store over a 64 KiB array (paging off)",
    ipi: 6, n: 20_000_000,
    source: `mov $0x100000, %esi
    1: mov %ecx, %edx
      and $0x3ffc, %edx
      mov (%esi,%edx,4), %eax
      add %ecx, %eax
      mov %eax, (%esi,%edx,4)
      loop 1b`,
  },
  call: {
    doc: "call/ret with pushes and a stack load",
    ipi: 8, n: 10_000_000,
    source: `1: push %ecx
      call 2f
      pop %ecx
      dec %ecx
      jnz 1b
      jmp 3f
    2: mov 4(%esp), %eax
      add %eax, %ebx
      ret
    3:`,
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeRun(w: Workload, n: number, engine: Engine): { seconds: number; insns: bigint } {
  const m = flatMachine(4 << 20);
  m.useEngine(engine, threshold);
  m.writePhys(0x1000, assemble(`mov $${n}, %ecx\n${w.source}\nhlt`, 0x1000));
  m.eip = 0x1000;
  const t0 = process.hrtime.bigint();
  const exit = m.run();
  const t1 = process.hrtime.bigint();
  if (exit !== "HLT") throw new Error(`workload ended with ${exit} at 0x${m.eip.toString(16)}`);
  return { seconds: Number(t1 - t0) / 1e9, insns: m.instructions };
}

const program = new Command()
  .option("--reps <n>", "repetitions (median reported)", "5")
  .option("--workloads <list>", "comma-separated workloads", Object.keys(WORKLOADS).join(","))
  .option("--scale <x>", "multiply iteration counts", "1")
  .option("--engines <list>", "interp, jit (translation tier)", "interp,jit")
  .option("--threshold <n>", "jit: block entries before translation", String(DEFAULT_JIT_THRESHOLD))
  .parse();
const opts = program.opts();
const reps = Number(opts.reps);
const threshold = Number(opts.threshold);
const engines = String(opts.engines).split(",") as Engine[];

console.log(`xenolith benchmark (Node ${process.version}, ${reps} reps, medians; jit threshold ${threshold})`);
console.log("| workload | engine | what | insns/iter | MIPS | ns/iter |");
console.log("|---|---|---|---|---|---|");
for (const name of String(opts.workloads).split(",")) for (const engine of engines) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name}`);
  const nLarge = Math.round(w.n * Number(opts.scale));
  const nSmall = Math.round(nLarge / 10);
  const small: number[] = [], large: number[] = [];
  let di = 0n;
  try {
    for (let i = 0; i < reps; i++) {
      const s = timeRun(w, nSmall, engine), l = timeRun(w, nLarge, engine);
      small.push(s.seconds); large.push(l.seconds);
      di = l.insns - s.insns;
    }
  } catch (e) {
    console.log(`| ${name} | ${engine} | ${w.doc} | ${w.ipi} | (not run: ${(e as Error).message}) | |`);
    continue;
  }
  const dt = median(large) - median(small);
  const mips = Number(di) / dt / 1e6;
  console.log(`| ${name} | ${engine} | ${w.doc} | ${w.ipi} | ${mips.toFixed(0)} | ${((dt * 1e9) / (nLarge - nSmall)).toFixed(2)} |`);
}
