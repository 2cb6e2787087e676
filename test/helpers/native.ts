// The host CPU as an oracle: run a snippet of 32-bit code natively and in the core on the same
// inputs, and compare.
//
//   const snippets = [{ body: "shl %cl, %eax", inputs: [{ regs: [1, 3, 0, 0, 0, 0, 0, 0], eflags: 0 }] }];
//   const why = nativeUnavailable();            // a reason string when the host cannot run i386 code
//   const nat = runNative(snippets);            // CpuOut[][]: per snippet, per input
//   const emu = runEmulated(snippets);          // the same in the core (flat 32-bit, CPL 0)
//   const bad = diffOutcome(nat[0][0], emu[0][0], 0x8d5);  // null when equal
//
// A snippet is AT&T assembly (GNU as). Each input gives the eight general registers in ModRM order
// (ESP is ignored: both sides run the snippet on their own stack), EFLAGS (only CF PF AF ZF SF DF
// OF are loaded: TF/AC would trap) and up to SCRATCH_SIZE bytes placed at the linear address
// SCRATCH (the symbol `scratch` is defined in every snippet), so memory operands work the same on
// both sides. The output gives the registers (regs[4] = ESP minus its value on entry), EFLAGS, the
// scratch bytes and the exception vector (-1 = none) with its error code (and CR2 for #PF).
// Natively, faults arrive as signals (SIGFPE, SIGSEGV, SIGILL, SIGTRAP, SIGBUS): the handler reads
// the trap number and registers from the signal context and goes on with the next input.
//
// The native program's own code and data sit at 0x40000000, out of reach of a snippet's stray
// store near SCRATCH (e.g. BTS with a random 32-bit bit offset reaches SCRATCH +/- 256 MiB).
// All inputs of all snippets run in one native process (one `as` + `ld`, no libc: raw
// `int $0x80` system calls), so thousands of cases cost milliseconds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { flatMachine } from "./flat.ts";
import { assemble } from "./asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import { Code } from "iced-x86";
import type { Machine } from "../../src/core/machine.ts";

/** linear address of the scratch memory (the same natively and in the core) */
export const SCRATCH = 0x20000;
export const SCRATCH_SIZE = 64;
/** the EFLAGS bits an input may set: CF PF AF ZF SF DF OF */
export const INPUT_FLAGS = 0xcd5;
/** the six arithmetic flags */
export const ARITH_FLAGS = 0x8d5;

export interface CpuIn {
  /** EAX ECX EDX EBX ESP(ignored) EBP ESI EDI */
  regs: number[];
  eflags: number;
  /** bytes at SCRATCH (the rest of the scratch area is zero) */
  mem?: Uint8Array;
}

export interface CpuOut {
  /** EAX ECX EDX EBX, ESP as a delta from entry, EBP ESI EDI */
  regs: number[];
  eflags: number;
  mem: Uint8Array;
  /** exception vector, -1 when the snippet completed */
  vector: number;
  errorCode: number;
  cr2: number;
}

export interface Snippet {
  body: string;
  inputs: CpuIn[];
}

const IN_WORDS = 8 + 1 + 1; // regs, eflags, snippet index
const IN_SIZE = IN_WORDS * 4 + SCRATCH_SIZE;
const OUT_WORDS = 8 + 4; // regs, eflags, vector, error code, cr2
const OUT_SIZE = OUT_WORDS * 4 + SCRATCH_SIZE;

let availability: string | null | undefined;

/** Why the host cannot run the native side (a message for a skipped test), or null when it can. */
export function nativeUnavailable(): string | null {
  if (availability !== undefined) return availability;
  if (process.arch !== "x64" && process.arch !== "ia32") {
    availability = `native cross-check skipped: host is ${process.arch}, not x86`;
    return availability;
  }
  try {
    const out = runNative([{ body: "add %ecx, %eax", inputs: [{ regs: [2, 3, 0, 0, 0, 0, 0, 0], eflags: 0 }] }]);
    availability = out[0][0].regs[0] === 5 ? null : "native cross-check skipped: the probe program gave a wrong result";
  } catch (e) {
    availability = `native cross-check skipped: this host cannot build or run 32-bit programs (${(e as Error).message.split("\n")[0]})`;
  }
  return availability;
}

function packInputs(snippets: Snippet[]): { data: Buffer; count: number } {
  const count = snippets.reduce((n, s) => n + s.inputs.length, 0);
  const data = Buffer.alloc(count * IN_SIZE);
  let o = 0;
  snippets.forEach((s, si) => {
    for (const inp of s.inputs) {
      for (let i = 0; i < 8; i++) data.writeUInt32LE((inp.regs[i] ?? 0) >>> 0, o + i * 4);
      data.writeUInt32LE((inp.eflags & INPUT_FLAGS) >>> 0, o + 32);
      data.writeUInt32LE(si, o + 36);
      if (inp.mem) {
        if (inp.mem.length > SCRATCH_SIZE) throw new RangeError(`mem is limited to ${SCRATCH_SIZE} bytes`);
        data.set(inp.mem, o + 40);
      }
      o += IN_SIZE;
    }
  });
  return { data, count };
}

// The native program. State lives in memory (every register belongs to the snippet):
// cur = the current input (copied from the table), out = the current output.
function nativeSource(snippets: Snippet[], count: number): string {
  const bodies = snippets.map((s, i) => `body${i}:\n${s.body}\n  jmp after\n`).join("");
  const table = snippets.map((_, i) => `  .long body${i}`).join("\n");
  return `
.set scratch, ${SCRATCH}
.set IN_SIZE, ${IN_SIZE}
.set OUT_SIZE, ${OUT_SIZE}
.set COUNT, ${count}
.set MEMSZ, ${SCRATCH_SIZE}
.section .scratch, "aw", @nobits
  .skip 4096
.data
inputs: .incbin "in.bin"
bodies:
${table}
.bss
.align 16
outputs: .skip ${Math.max(1, count) * OUT_SIZE}
idx: .skip 4
saved_esp: .skip 4
target: .skip 4
cur: .skip IN_SIZE
out: .skip OUT_SIZE
sigact: .skip 20
.text
.globl _start
_start:
  # rt_sigaction(sig, &sigact, 0, 8) for SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV
  movl $handler, sigact
  movl $0x04000004, sigact+4      # SA_RESTORER | SA_SIGINFO
  movl $restorer, sigact+8
  .irp sig, 4, 5, 7, 8, 11
  mov $174, %eax
  mov $\\sig, %ebx
  mov $sigact, %ecx
  xor %edx, %edx
  mov $8, %esi
  int $0x80
  .endr
  movl $0, idx
next:
  cld
  mov idx, %eax
  cmp $COUNT, %eax
  jae done
  imul $IN_SIZE, %eax, %esi
  add $inputs, %esi
  mov $cur, %edi
  mov $IN_SIZE, %ecx
  rep movsb
  mov $cur+40, %esi
  mov $scratch, %edi
  mov $MEMSZ, %ecx
  rep movsb
  mov cur+36, %eax
  mov bodies(,%eax,4), %eax
  mov %eax, target
  movl $-1, out+36
  movl $0, out+40
  movl $0, out+44
  mov %esp, saved_esp
  pushl cur+32
  popf
  mov cur+0, %eax
  mov cur+4, %ecx
  mov cur+8, %edx
  mov cur+12, %ebx
  mov cur+20, %ebp
  mov cur+24, %esi
  mov cur+28, %edi
  jmp *target
${bodies}
after:
  mov %eax, out+0
  mov %ecx, out+4
  mov %edx, out+8
  mov %ebx, out+12
  mov %esp, out+16
  mov %ebp, out+20
  mov %esi, out+24
  mov %edi, out+28
  pushf
  popl out+32
  mov saved_esp, %esp
store:
  cld
  mov out+16, %eax
  sub saved_esp, %eax
  mov %eax, out+16
  mov $scratch, %esi
  mov $out+48, %edi
  mov $MEMSZ, %ecx
  rep movsb
  mov idx, %eax
  imul $OUT_SIZE, %eax, %edi
  add $outputs, %edi
  mov $out, %esi
  mov $OUT_SIZE, %ecx
  rep movsb
  incl idx
  jmp next
done:
  # write(1, outputs, COUNT * OUT_SIZE), looping over partial writes
  mov $outputs, %ecx
  mov $COUNT*OUT_SIZE, %edx
1:test %edx, %edx
  jz 2f
  mov $4, %eax
  mov $1, %ebx
  push %ecx
  push %edx
  int $0x80
  pop %edx
  pop %ecx
  test %eax, %eax
  jle 3f
  add %eax, %ecx
  sub %eax, %edx
  jmp 1b
2:mov $1, %eax
  xor %ebx, %ebx
  int $0x80
3:mov $1, %eax
  mov $2, %ebx
  int $0x80

# handler(sig, info, ucontext): the i386 ucontext has gregs at +20:
# GS FS ES DS EDI ESI EBP ESP EBX EDX ECX EAX TRAPNO ERR EIP CS EFL UESP SS, then fpstate,
# oldmask, cr2 (+104). Record the state, then resume at 'resume' on the saved stack.
handler:
  mov 12(%esp), %eax
  lea 20(%eax), %edx
  mov 44(%edx), %ecx; mov %ecx, out+0
  mov 40(%edx), %ecx; mov %ecx, out+4
  mov 36(%edx), %ecx; mov %ecx, out+8
  mov 32(%edx), %ecx; mov %ecx, out+12
  mov 28(%edx), %ecx; mov %ecx, out+16
  mov 24(%edx), %ecx; mov %ecx, out+20
  mov 20(%edx), %ecx; mov %ecx, out+24
  mov 16(%edx), %ecx; mov %ecx, out+28
  mov 64(%edx), %ecx; mov %ecx, out+32
  mov 48(%edx), %ecx; mov %ecx, out+36
  mov 52(%edx), %ecx; mov %ecx, out+40
  mov 84(%edx), %ecx; mov %ecx, out+44
  movl $resume, 56(%edx)
  mov saved_esp, %ecx
  mov %ecx, 28(%edx)
  andl $~0x400, 64(%edx)
  ret
resume:
  jmp store
restorer:
  mov $173, %eax
  int $0x80
`;
}

function unpackOutputs(buf: Buffer, snippets: Snippet[]): CpuOut[][] {
  const res: CpuOut[][] = [];
  let o = 0;
  for (const s of snippets) {
    const list: CpuOut[] = [];
    for (let k = 0; k < s.inputs.length; k++, o += OUT_SIZE) {
      const w = (i: number) => buf.readUInt32LE(o + i * 4);
      list.push({
        regs: [0, 1, 2, 3, 4, 5, 6, 7].map(w),
        eflags: w(8),
        vector: w(9) | 0,
        errorCode: w(10),
        cr2: w(11),
        mem: new Uint8Array(buf.subarray(o + 48, o + 48 + SCRATCH_SIZE)),
      });
    }
    res.push(list);
  }
  return res;
}

/** Run every input of every snippet on the host CPU (one process). Throws if the host cannot. */
export function runNative(snippets: Snippet[]): CpuOut[][] {
  const { data, count } = packInputs(snippets);
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-native-"));
  try {
    writeFileSync(path.join(dir, "in.bin"), data);
    writeFileSync(path.join(dir, "n.S"), nativeSource(snippets, count));
    execFileSync("as", ["--32", "-I", dir, "-o", path.join(dir, "n.o"), path.join(dir, "n.S")], { stdio: "pipe" });
    execFileSync("ld", ["-m", "elf_i386", "-static", "-Ttext=0x40000000", "--section-start=.scratch=0x20000",
      "-o", path.join(dir, "n"), path.join(dir, "n.o")], { stdio: "pipe" });
    const out = execFileSync(path.join(dir, "n"), [], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
    if (out.length !== count * OUT_SIZE) throw new Error(`native program wrote ${out.length} bytes, expected ${count * OUT_SIZE}`);
    return unpackOutputs(out, snippets);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EMU_CODE = 0x1000;
const EMU_ESP = 0x8000;

/** Run the same snippets in the core: flat 32-bit protected mode, CPL 0, paging off. */
export function runEmulated(snippets: Snippet[], m: Machine = flatMachine()): CpuOut[][] {
  const labels = snippets.map((_, i) => `body${i}`);
  const src = `.set scratch, ${SCRATCH}\n` + snippets.map((s, i) => `${labels[i]}:\n${s.body}\n  hlt\n`).join("")
    + labels.map((l) => `.long ${l}\n`).join(""); // the entry addresses, at the end of the image
  const code = assemble(src, EMU_CODE);
  const tableAt = code.length - 4 * snippets.length;
  const dv = new DataView(code.buffer, code.byteOffset);
  const entries = snippets.map((_, i) => dv.getUint32(tableAt + 4 * i, true));
  m.writePhys(EMU_CODE, code);
  return snippets.map((s, si) => s.inputs.map((inp) => {
    m.writePhys(SCRATCH, new Uint8Array(SCRATCH_SIZE));
    if (inp.mem) m.writePhys(SCRATCH, inp.mem);
    ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"].forEach((n, i) =>
      m.setReg(n as any, i === 4 ? EMU_ESP : inp.regs[i] ?? 0));
    m.eflags = (inp.eflags & INPUT_FLAGS) | 2;
    m.setField(L.S_HALTED, 0);
    m.eip = entries[si];
    const exit = m.run(100_000n);
    let vector = -1, errorCode = 0, cr2 = 0;
    if (exit === "EXCEPTION") {
      vector = m.field(L.S_EXC_VECTOR);
      errorCode = m.field(L.S_EXC_HAS_CODE) ? m.field(L.S_EXC_CODE) : 0;
      cr2 = vector === 14 ? m.field(L.S_CR2) : 0;
    } else if (exit !== "HLT") {
      const what = exit === "INTERNAL" && m.field(L.S_EXIT_ARG) === 2 ? ` (unimplemented: ${Code[m.field(L.S_EXIT_ARG + 4)]})` : "";
      throw new Error(`snippet ${si} (${s.body.trim()}) ended with ${exit}${what} at EIP 0x${m.eip.toString(16)}`);
    }
    const regs = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"].map((n) => m.reg(n as any));
    regs[4] = (regs[4] - EMU_ESP) >>> 0;
    return { regs, eflags: m.eflags, mem: m.readPhys(SCRATCH, SCRATCH_SIZE), vector, errorCode, cr2 };
  }));
}

const NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/**
 * Differences between two outcomes, comparing EFLAGS only in `flagMask` (the flags the SDM defines
 * for the instruction), or null when they agree. After an exception only the vector, error code,
 * registers and memory are compared (the flags were not changed by a faulting instruction).
 */
export function diffOutcome(want: CpuOut, got: CpuOut, flagMask: number): string | null {
  const d: string[] = [];
  if (want.vector !== got.vector) d.push(`vector ${want.vector} != ${got.vector}`);
  else if (want.vector >= 0 && want.errorCode !== got.errorCode) d.push(`error code ${hex(want.errorCode)} != ${hex(got.errorCode)}`);
  for (let i = 0; i < 8; i++) if (want.regs[i] >>> 0 !== got.regs[i] >>> 0) d.push(`${NAMES[i]} ${hex(want.regs[i])} != ${hex(got.regs[i])}`);
  if (((want.eflags ^ got.eflags) & flagMask) !== 0) d.push(`eflags ${hex(want.eflags & flagMask)} != ${hex(got.eflags & flagMask)} (mask ${hex(flagMask)})`);
  for (let i = 0; i < SCRATCH_SIZE; i++) if (want.mem[i] !== got.mem[i]) { d.push(`mem[${i}] ${hex(want.mem[i])} != ${hex(got.mem[i])}`); break; }
  return d.length ? d.join(", ") : null;
}

/** Describe an input for a failure message. */
export function showInput(inp: CpuIn): string {
  return NAMES.map((n, i) => `${n}=${hex(inp.regs[i] ?? 0)}`).join(" ") + ` eflags=${hex(inp.eflags)}`
    + (inp.mem ? ` mem=${Buffer.from(inp.mem).toString("hex")}` : "");
}

/** A small deterministic PRNG (mulberry32) for reproducible random inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Random register values biased toward edge cases (0, ±1, sign bits, small counts). */
export function randomValue(next: () => number): number {
  const k = next() % 16;
  const edges = [0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x8000, 0x7fff, 0x80, 0x7f, 0xffff, 0xff];
  if (k < 4) return edges[next() % edges.length];
  if (k < 6) return next() & 0xff;
  if (k < 7) return next() & 0x3f;
  return next();
}

/** Random inputs: edge-biased registers, random flags, random scratch bytes. */
export function randomInputs(count: number, seed: number): CpuIn[] {
  const next = prng(seed);
  return Array.from({ length: count }, () => ({
    regs: Array.from({ length: 8 }, () => randomValue(next)),
    eflags: next(),
    mem: new Uint8Array(Array.from({ length: 16 }, () => next() & 0xff)),
  }));
}

/**
 * Run each body on `inputs` natively and in the core; returns the first `limit` mismatches
 * (empty when all agree). `flagMask(body, input)` gives the EFLAGS bits the SDM defines for that
 * instance (e.g. OF only for a count of 1).
 */
export function crossCheck(bodies: string[], inputs: CpuIn[], flagMask: (body: string, inp: CpuIn) => number, limit = 8): string[] {
  return mismatches(bodies.map((body) => ({ body, inputs })), (i, inp) => flagMask(bodies[i], inp), limit);
}

/**
 * Run every snippet on its own inputs natively and in the core; returns the first `limit`
 * mismatches (empty when all agree). `flagMask(snippet index, input)`: the EFLAGS bits compared.
 */
export function mismatches(snippets: Snippet[], flagMask: (index: number, inp: CpuIn) => number, limit = 8): string[] {
  const nat = runNative(snippets), emu = runEmulated(snippets);
  const bad: string[] = [];
  snippets.forEach((s, i) => s.inputs.forEach((inp, j) => {
    const d = diffOutcome(nat[i][j], emu[i][j], flagMask(i, inp));
    if (d && bad.length < limit) bad.push(`${s.body.replace(/\n/g, "; ")} | ${showInput(inp)} | native vs core: ${d}`);
  }));
  return bad;
}
