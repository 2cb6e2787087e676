// Comparing the native and the emulated Result of one case: vector (and error code, CR2 for #PF),
// EIP, the eight registers, the EFLAGS bits the SDM defines for this instance, and memory.
import { Decoder, DecoderOptions, Instruction, OpKind, Register, Mnemonic, MemorySizeExt } from "iced-x86";
import { type Case, type Result, initialPages } from "./protocol.ts";
import { COMPARED_FLAGS, undefinedFor, type Undefined } from "./undefined-flags.ts";
import { effAddr } from "./gen.ts";

const REG_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const instr = new Instruction();

export function decodeCase(c: Case): Instruction {
  const d = new Decoder(32, c.bytes, DecoderOptions.None);
  d.ip = BigInt(c.eip);
  d.decodeOut(instr);
  d.free();
  return instr;
}

function readInitial(c: Case, addr: number, size: number): number {
  const pages = initialPages(c);
  let v = 0;
  for (let i = 0; i < size; i++) {
    const a = (addr + i) >>> 0;
    const k = c.pages.findIndex((p) => p.addr === ((a & ~0xfff) >>> 0));
    v |= (k >= 0 ? pages[k][a & 0xfff] : 0) << (8 * i);
  }
  return v >>> 0;
}

function regValue(c: Case, r: Register): number {
  if (r >= Register.EAX && r <= Register.EDI) return c.regs[r - Register.EAX];
  if (r >= Register.AX && r <= Register.DI) return c.regs[r - Register.AX] & 0xffff;
  if (r >= Register.AL && r <= Register.BL) return c.regs[r - Register.AL] & 0xff;
  if (r >= Register.AH && r <= Register.BH) return (c.regs[r - Register.AH] >>> 8) & 0xff;
  return 0;
}

function operandValue(c: Case, ins: Instruction, op: number): number {
  const k = ins.opKind(op);
  if (k === OpKind.Register) return regValue(c, ins.opRegister(op));
  if (k === OpKind.Memory) {
    const ea = effAddr(ins, c.regs);
    return ea === undefined ? 0 : readInitial(c, ea, Math.min(4, MemorySizeExt.size(ins.memorySize)));
  }
  if (k === OpKind.Immediate8) return ins.immediate8;
  return Number(ins.immediate(op) & 0xffffffffn);
}

/** The undefined parts of case `c` (see undefined-flags.ts). */
export function undefinedOf(c: Case): Undefined {
  const ins = decodeCase(c);
  const mn = Mnemonic[ins.mnemonic];
  let count = 0, source = 1;
  if (/^(Shl|Sal|Shr|Sar|Rol|Ror|Rcl|Rcr)$/.test(mn)) count = operandValue(c, ins, 1);
  if (mn === "Shld" || mn === "Shrd") count = operandValue(c, ins, 2);
  if (mn === "Bsf" || mn === "Bsr") source = operandValue(c, ins, 1);
  return undefinedFor(ins, c.form, count, source);
}

/** Differences between native `n` and emulated `e` (empty: the case passes). */
export function compare(c: Case, n: Result, e: Result): string[] {
  const diffs: string[] = [];
  const hex = (v: number) => "0x" + (v >>> 0).toString(16);
  const u = n.vector === -1 ? undefinedOf(c) : { flags: 0, regs: 0, memDest: false };
  // POPA faulting on a later stack slot: the host's AMD part has already loaded the registers
  // from the slots before it (Intel's does not); which registers a faulting POPA leaves changed
  // is not architectural, so they are not compared (ESP is)
  if (n.vector === 14 && /^Popa/.test(c.form)) u.regs |= 0xef;
  if (n.vector !== e.vector) diffs.push(`vector: native ${vecName(n.vector)}, emulator ${vecName(e.vector)}`);
  else {
    if (n.err !== e.err) diffs.push(`error code: native ${hex(n.err)}, emulator ${hex(e.err)}`);
    if (n.cr2 !== e.cr2 && !readOrderFree(c, n, e)) diffs.push(`CR2: native ${hex(n.cr2)}, emulator ${hex(e.cr2)}`);
  }
  if (n.eip !== e.eip) diffs.push(`EIP: native ${hex(n.eip)}, emulator ${hex(e.eip)}`);
  // LAR: bits 19:16 of the result (the descriptor's limit 19:16) are undefined (SDM Vol. 2, LAR:
  // "masked by 00FxFF00H"); the host's AMD part returns the limit bits
  const larDest = n.vector === -1 && /^Lar_/.test(c.form) ? lowReg(decodeCase(c).op0Register) : -1;
  // LAR/LSL of GDT entry 15 (selectors 0x78-0x7F): Linux's per-CPU segment, whose limit is the
  // number of the CPU the runner happened to be on; the emulated GDT has no such entry
  if (/^(Lar|Lsl)_/.test(c.form) && ((operandValue(c, decodeCase(c), 1) >>> 3) & 0x1fff) === 15) {
    u.regs |= 1 << lowReg(decodeCase(c).op0Register);
    u.flags |= 0x40;
  }
  for (let r = 0; r < 8; r++) {
    if (u.regs & (1 << r)) continue;
    if (r === larDest && ((n.regs[r] ^ e.regs[r]) & ~0x000f0000) === 0) continue;
    if (n.regs[r] !== e.regs[r]) diffs.push(`${REG_NAMES[r]}: native ${hex(n.regs[r])}, emulator ${hex(e.regs[r])}`);
  }
  const mask = COMPARED_FLAGS & ~u.flags;
  if ((n.eflags & mask) !== (e.eflags & mask)) {
    diffs.push(`EFLAGS (mask ${hex(mask)}): native ${hex(n.eflags & mask)}, emulator ${hex(e.eflags & mask)} (differ in ${flagNames((n.eflags ^ e.eflags) & mask)})`);
  }
  const nm = byteMap(n), em = byteMap(e);
  const skips: [number, number][] = [];
  if (u.memDest) {
    const ea = effAddr(decodeCase(c), c.regs);
    if (ea !== undefined) skips.push([ea, ea + 4]);
  }
  // PUSH Sreg with a 32-bit operand: the upper two bytes of the stack slot are either zeroed or
  // left alone, by model (SDM Vol. 2, PUSH: "recent Core and Atom processors perform a 16-bit move")
  if (/^Pushd_(ES|CS|SS|DS|FS|GS)$/.test(c.form)) skips.push([(c.regs[4] - 2) >>> 0, c.regs[4]]);
  const skip = (a: number) => skips.some(([lo, hi]) => a >= lo && a < hi);
  const addrs = new Set([...nm.keys(), ...em.keys()]);
  const bad: number[] = [];
  for (const a of addrs) {
    if (skip(a)) continue;
    if (nm.get(a) !== em.get(a)) bad.push(a);
  }
  if (bad.length) {
    bad.sort((a, b) => a - b);
    const show = bad.slice(0, 8).map((a) => `${hex(a)}: native ${fmtByte(nm.get(a))}, emulator ${fmtByte(em.get(a))}`);
    diffs.push(`memory (${bad.length} bytes differ): ${show.join("; ")}${bad.length > 8 ? "; …" : ""}`);
  }
  return diffs;
}

function fmtByte(v: number | undefined): string { return v === undefined ? "unchanged" : "0x" + v.toString(16).padStart(2, "0"); }

function byteMap(r: Result): Map<number, number> {
  const m = new Map<number, number>();
  for (const run of r.mem) run.bytes.forEach((b, i) => m.set((run.addr + i) >>> 0, b));
  return m;
}

const VEC = ["#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC"];
export function vecName(v: number): string { return v === -1 ? "none" : VEC[v] ?? `vector ${v}`; }

const FLAG_BITS: [number, string][] = [[0x1, "CF"], [0x4, "PF"], [0x10, "AF"], [0x40, "ZF"], [0x80, "SF"], [0x100, "TF"], [0x200, "IF"], [0x400, "DF"], [0x800, "OF"], [0x3000, "IOPL"], [0x4000, "NT"], [0x40000, "AC"], [0x200000, "ID"]];
export function flagNames(f: number): string { return FLAG_BITS.filter(([b]) => f & b).map(([, n]) => n).join(" ") || "-"; }

/** Instructions that read several items (a far pointer, the stack frame of RETF/IRET/POPA,
 *  BOUND's pair, CMPS's two strings): which read faults first is not architectural (the host's
 *  AMD part reads the selector before the offset, and ES:EDI before DS:ESI). With the same
 *  error code, a #PF address on the same page, or on either string of CMPS, is accepted. */
const MULTI_READ = /^(Retf|Iret|Popa|Lds|Les|Lfs|Lgs|Lss|Bound|Jmp_m16|Call_m16|Enter|Cmpxchg8b)/;
function readOrderFree(c: Case, n: Result, e: Result): boolean {
  if (n.vector !== 14) return false;
  if (MULTI_READ.test(c.form)) return (n.cr2 >>> 12) === (e.cr2 >>> 12);
  if (!/^Cmps/.test(c.form)) return false;
  const a16 = c.bytes.includes(0x67);
  const si = a16 ? n.regs[6] & 0xffff : n.regs[6], di = a16 ? n.regs[7] & 0xffff : n.regs[7];
  const near = (x: number, y: number) => Math.abs(x - y) < 8;
  return (near(n.cr2, si) || near(n.cr2, di)) && (near(e.cr2, si) || near(e.cr2, di));
}

function lowReg(r: Register): number {
  if (r >= Register.EAX && r <= Register.EDI) return r - Register.EAX;
  if (r >= Register.AX && r <= Register.DI) return r - Register.AX;
  return -1;
}
