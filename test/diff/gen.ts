// The seeded generator: case i of seed S is a pure function of (S, i). Each case is one instruction
// form (picked round-robin-at-random over every covered form of test/diff/forms.ts), encoded from
// iced-x86's opcode description with random ModRM/SIB/displacement/immediates, random legal
// prefixes (operand/address size, segment override, LOCK, REP/REPNE), random registers and
// flags, and pages mapped around it. Memory operands are steered into mapped pages, unmapped
// pages (#PF), read-only pages, the code page, or across a page end; branch targets onto int3
// pads or non-executable/unmapped pages. Nothing a case touches lies outside REGION/SAFE_UNMAPPED.
import { Code, CodeExt, type OpCodeInfo, Decoder, DecoderOptions, Instruction, OpCodeOperandKind as K, OpCodeTableKind, MandatoryPrefix, Register, OpKind, Mnemonic } from "iced-x86";
import {
  type Case, type CasePage, type Poke, REGION, SAFE_UNMAPPED, PAGE_W, PAGE_X, FILL_INT3, MAX_PAGES, MAX_POKES,
} from "./protocol.ts";
import { type FormInfo, INVALID_FORM } from "./forms.ts";

// ---- random numbers: a small PRNG (sfc32) seeded per case ----
export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number, index: number) {
    this.a = seed >>> 0; this.b = index >>> 0; this.c = 0x9e3779b9; this.d = (seed ^ Math.imul(index, 0x85ebca6b)) >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** 0 ≤ n < k */
  below(k: number): number { return Math.floor((this.u32() / 4294967296) * k); }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]; }
  /** an interesting 32-bit value: edges, small numbers, sign boundaries, or anything */
  value(): number {
    const r = this.below(10);
    if (r < 2) return this.pick([0, 1, 2, 0xffffffff, 0x7fffffff, 0x80000000, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x100, 0x10000, 0xfffffffe, 0x80000001]);
    if (r < 4) return this.below(64);
    if (r < 5) return (this.u32() & 0xff) * this.pick([1, 0x101, 0x1010101]) >>> 0;
    return this.u32();
  }
}

const PAGE = 0x1000;
const CODE_PAGE = REGION.CODE.base;
const CODE_PAGE2 = REGION.CODE.base + PAGE;

/** Selectors the segment-loading forms use: Linux's GDT entries 0-6 (see emu.ts), with RPLs. */
export const SELECTORS = [0, 0, 0x2b, 0x2b, 0x2b, 0x28, 0x29, 0x2a, 0x23, 0x20, 0x33, 0x10, 0x18, 0x08, 0x07, 0x2f, 0x1003, 0xfff8];

const RPL3_SELECTORS = SELECTORS.filter((s) => (s & 3) === 3);

interface Enc { bytes: number[]; modrmMem: boolean; a16: boolean }

const LEGACY_SEG = [0x26, 0x2e, 0x36, 0x3e];
const FSGS = [0x64, 0x65];

function isRm(k: K): boolean {
  return k === K.r8_or_mem || k === K.r16_or_mem || k === K.r32_or_mem || k === K.r32_or_mem_mpx || k === K.r16_reg_mem || k === K.r32_reg_mem;
}
function isMemOnly(k: K): boolean { return k === K.mem || k === K.mem_mpx || k === K.mem_mib; }
function isRegField(k: K): boolean {
  return k === K.r8_reg || k === K.r16_reg || k === K.r32_reg || k === K.seg_reg || k === K.cr_reg || k === K.dr_reg || k === K.tr_reg;
}
function isRmRegOnly(k: K): boolean { return k === K.r32_rm || k === K.r16_rm; }
function hasImplicitMem(k: K): boolean { return k === K.seg_rSI || k === K.es_rDI || k === K.seg_rDI || k === K.seg_rBX_al || k === K.mem_offs; }

function le(v: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((v >>> (8 * i)) & 0xff);
  return out;
}

/** iced's opcode description of a Code, with its operand kinds (cached: each is a Wasm object). */
interface OpInfo { oc: OpCodeInfo; kinds: K[]; operandSize: number }
const opInfos = new Map<number, OpInfo>();
function opInfo(code: number): OpInfo {
  let o = opInfos.get(code);
  if (!o) {
    const oc = CodeExt.opCode(code);
    o = { oc, kinds: Array.from({ length: oc.opCount }, (_, i) => oc.opKind(i)), operandSize: oc.operandSize };
    opInfos.set(code, o);
  }
  return o;
}

/** Encode one instance of `code` with random operands and prefixes. */
function encode(code: number, rng: Rng): Enc {
  const { oc, kinds } = opInfo(code);
  const mnem = Mnemonic[oc.mnemonic];
  const needsModrm = oc.groupIndex >= 0 || oc.rmGroupIndex >= 0 || kinds.some((k) => isRm(k) || isMemOnly(k) || isRegField(k) || isRmRegOnly(k));
  const memAllowed = kinds.some((k) => isRm(k) || isMemOnly(k));
  const memForced = kinds.some(isMemOnly);
  const regOnly = kinds.some(isRmRegOnly) || oc.rmGroupIndex >= 0;
  const useMem = !regOnly && memAllowed && (memForced || rng.chance(0.6));
  const implicitMem = kinds.some(hasImplicitMem);
  let a16 = oc.addressSize === 16;
  if (oc.addressSize === 0 && (useMem || implicitMem) && rng.chance(0.2)) a16 = true;

  const prefixes: number[] = [];
  if (oc.operandSize === 16) prefixes.push(0x66);
  if (a16) prefixes.push(0x67);
  if (oc.mandatoryPrefix === MandatoryPrefix.PF3) prefixes.push(0xf3);
  if (oc.mandatoryPrefix === MandatoryPrefix.PF2) prefixes.push(0xf2);
  if (oc.mandatoryPrefix === MandatoryPrefix.P66 && oc.operandSize !== 16) prefixes.push(0x66);
  if ((useMem || (implicitMem && !kinds.every((k) => k === K.es_rDI || !hasImplicitMem(k)))) && rng.chance(0.3)) {
    prefixes.push(rng.chance(0.12) ? rng.pick(FSGS) : rng.pick(LEGACY_SEG));
  }
  if (oc.canUseLockPrefix && useMem && rng.chance(0.3)) prefixes.push(0xf0);
  if (oc.canUseRepnePrefix && rng.chance(0.35)) prefixes.push(0xf2);
  else if (oc.canUseRepPrefix && rng.chance(0.5)) prefixes.push(0xf3);
  // prefixes in random order (the CPU accepts any order; mandatory prefixes must come last)
  const mand = oc.mandatoryPrefix === MandatoryPrefix.PF3 ? 0xf3 : oc.mandatoryPrefix === MandatoryPrefix.PF2 ? 0xf2 : -1;
  const free = prefixes.filter((p) => p !== mand);
  for (let i = free.length - 1; i > 0; i--) { const j = rng.below(i + 1); [free[i], free[j]] = [free[j], free[i]]; }
  const bytes = [...free, ...(mand >= 0 ? [mand] : [])];

  if (oc.table === OpCodeTableKind.T0F) bytes.push(0x0f);
  else if (oc.table === OpCodeTableKind.T0F38) bytes.push(0x0f, 0x38);
  else if (oc.table === OpCodeTableKind.T0F3A) bytes.push(0x0f, 0x3a);
  let opc = oc.opCode;
  if (kinds.some((k) => k === K.r8_opcode || k === K.r16_opcode || k === K.r32_opcode)) opc += rng.below(8);
  if (oc.opCodeLength === 2) bytes.push(opc >> 8, opc & 0xff); else bytes.push(opc);

  if (needsModrm) {
    let reg = oc.groupIndex >= 0 ? oc.groupIndex : rng.below(8);
    if (kinds.includes(K.seg_reg)) reg = mnem === "Mov" && kinds[0] === K.seg_reg ? rng.pick([0, 2, 3, 4, 5]) : rng.below(6);
    if (kinds.includes(K.cr_reg)) reg = rng.pick([0, 2, 3, 4]);
    if (kinds.includes(K.dr_reg)) reg = rng.pick([0, 1, 2, 3, 6, 7]);
    if (oc.rmGroupIndex >= 0) {
      bytes.push(0xc0 | (reg << 3) | oc.rmGroupIndex);
    } else if (!useMem) {
      bytes.push(0xc0 | (reg << 3) | rng.below(8));
    } else if (a16) {
      const mod = rng.below(3), rm = rng.below(8);
      bytes.push((mod << 6) | (reg << 3) | rm);
      if (mod === 0 && rm === 6) bytes.push(...le(rng.u32(), 2));
      else if (mod === 1) bytes.push(rng.u32() & 0xff);
      else if (mod === 2) bytes.push(...le(rng.u32(), 2));
    } else {
      const mod = rng.below(3), rm = rng.below(8);
      bytes.push((mod << 6) | (reg << 3) | rm);
      let base = rm;
      if (rm === 4) {
        const sib = rng.u32() & 0xff;
        bytes.push(sib);
        base = sib & 7;
      }
      if (mod === 0 && base === 5) bytes.push(...le(rng.u32(), 4));
      else if (mod === 1) bytes.push(rng.u32() & 0xff);
      else if (mod === 2) bytes.push(...le(rng.u32(), 4));
    }
  }
  for (const k of kinds) {
    switch (k) {
      case K.imm8: case K.imm8sex16: case K.imm8sex32: case K.br16_1: case K.br32_1: bytes.push(rng.u32() & 0xff); break;
      case K.imm16: case K.br16_2: bytes.push(...le(rng.u32(), 2)); break;
      case K.imm32: case K.br32_4: bytes.push(...le(rng.u32(), 4)); break;
      case K.farbr2_2: bytes.push(...le(rng.u32(), 2), ...le(rng.u32(), 2)); break;
      case K.farbr4_2: bytes.push(...le(rng.u32(), 4), ...le(rng.u32(), 2)); break;
      case K.mem_offs: bytes.push(...le(rng.u32(), a16 ? 2 : 4)); break;
      default: break;
    }
  }
  return { bytes, modrmMem: useMem, a16 };
}

/** Whether iced decodes our encodings of `code` back to it (some Codes exist only in other modes
 *  or behind decoder options). */
export function canEncode(code: number): boolean {
  const rng = new Rng(1, code);
  for (let i = 0; i < 40; i++) if (decodeOne(encode(code, rng).bytes, 0).code === code) return true;
  return false;
}

// ---- undefined encodings (#UD) ----
function invalidBytes(rng: Rng): number[] {
  const modrmReg = (reg: number) => 0xc0 | (reg << 3) | rng.below(8);
  const modrmMem = (reg: number) => (reg << 3) | rng.pick([0, 1, 2, 3, 6, 7]); // no SIB / disp32 forms
  switch (rng.below(10)) {
    case 0: return [0x0f, 0x0b];                                       // UD2
    case 1: return [0x0f, 0xb9, modrmReg(rng.below(8))];                // UD1
    case 2: return [0xf0, rng.pick([0x00, 0x01, 0x08, 0x09, 0x28, 0x29, 0x30, 0x31]), modrmReg(rng.below(8))]; // LOCK ALU reg,reg
    case 3: return [0xf0, rng.pick([0x88, 0x89, 0x8a, 0x8b, 0x3b, 0x85]), modrmMem(rng.below(8))]; // LOCK on a non-lockable form
    case 4: return [0xff, rng.chance(0.5) ? modrmReg(7) : modrmMem(7)];  // FF /7
    case 5: return [0xfe, (rng.chance(0.5) ? 0xc0 : 0) | ((2 + rng.below(6)) << 3) | rng.below(8)]; // FE /2-7
    case 6: return [0x8d, modrmReg(rng.below(8))];                     // LEA with a register operand
    case 7: return [0x8e, (rng.chance(0.5) ? 0xc0 : 0) | (rng.pick([1, 6, 7]) << 3) | rng.pick([0, 1, 2, 3, 6, 7])]; // MOV CS / Sreg 6-7
    case 8: return [0xf0, 0x90];                                       // LOCK NOP
    default: return [0x0f, 0xc7, modrmReg(1)];                          // CMPXCHG8B with a register
  }
}

// ---- the case builder ----
const decoder = new Decoder(32, new Uint8Array(16), DecoderOptions.None);
const instr = new Instruction();

function decodeOne(bytes: number[], ip: number): Instruction {
  const d = new Decoder(32, new Uint8Array(bytes), DecoderOptions.None);
  d.ip = BigInt(ip);
  d.decodeOut(instr);
  d.free();
  return instr;
}
void decoder;

const GPR32 = [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.ESP, Register.EBP, Register.ESI, Register.EDI];
function gprIndex(r: Register): number {
  if (r >= Register.EAX && r <= Register.EDI) return r - Register.EAX;
  if (r >= Register.AX && r <= Register.DI) return r - Register.AX;
  if (r >= Register.AL && r <= Register.BL) return r - Register.AL;
  return -1;
}
void GPR32;

function inRegion(a: number, base: number, pages: number, slack: number): boolean {
  return a >= base - slack && a < base + pages * PAGE + slack;
}
/** May a case touch linear address `a` (mapped by it or known to be unmapped everywhere)? */
export function isSafe(a: number): boolean {
  a >>>= 0;
  return a < REGION.LOW.base + REGION.LOW.pages * PAGE + 64 ||
    inRegion(a, REGION.CODE.base, REGION.CODE.pages, 64) || inRegion(a, REGION.DATA.base, REGION.DATA.pages, 64) ||
    (a >= SAFE_UNMAPPED.lo && a < SAFE_UNMAPPED.hi);
}

interface Layout { pages: CasePage[]; dataPages: number[]; lowPages: number[] }

function pickLayout(rng: Rng, a16: boolean, code2: boolean): Layout {
  const pages: CasePage[] = [{ addr: CODE_PAGE, flags: PAGE_W | PAGE_X, fill: FILL_INT3 }];
  if (code2) pages.push({ addr: CODE_PAGE2, flags: rng.chance(0.8) ? PAGE_W | PAGE_X : PAGE_W, fill: FILL_INT3 });
  const dataPages: number[] = [];
  const nData = 1 + rng.below(a16 ? 2 : 4);
  while (dataPages.length < nData) {
    const p = REGION.DATA.base + rng.below(REGION.DATA.pages) * PAGE;
    if (!dataPages.includes(p)) dataPages.push(p);
  }
  // neighbours sometimes, so that accesses crossing a page end succeed too
  if (rng.chance(0.5) && pages.length + dataPages.length < MAX_PAGES) {
    const n = dataPages[0] + PAGE;
    if (n < REGION.DATA.base + REGION.DATA.pages * PAGE && !dataPages.includes(n)) dataPages.push(n);
  }
  for (const p of dataPages) pages.push({ addr: p, flags: rng.chance(0.9) ? PAGE_W : 0, fill: rng.below(256) });
  const lowPages: number[] = [];
  if (a16) {
    const nLow = 1 + rng.below(Math.min(3, MAX_PAGES - pages.length));
    while (lowPages.length < nLow) {
      const p = REGION.LOW.base + rng.below(REGION.LOW.pages) * PAGE;
      if (!lowPages.includes(p)) lowPages.push(p);
    }
    for (const p of lowPages) pages.push({ addr: p, flags: rng.chance(0.9) ? PAGE_W : 0, fill: rng.below(256) });
  }
  return { pages, dataPages, lowPages };
}

/** A target linear address for a data access of `size` bytes. */
function dataTarget(rng: Rng, lay: Layout, size: number, a16: boolean, eip: number, codeOk = true): number {
  const off = (): number => {
    const r = rng.below(10);
    if (r === 0) return PAGE - 1 - rng.below(Math.max(1, size));           // crossing the page end
    if (r === 1) return rng.below(8);                                       // page start
    const o = rng.below(PAGE - Math.max(size, 1) + 1);
    return rng.chance(0.7) ? o & ~(Math.min(size, 4) - 1 || 0) : o;
  };
  if (a16) {
    if (lay.lowPages.length && rng.chance(0.85)) return rng.pick(lay.lowPages) + off();
    return rng.below(0x10000);
  }
  const r = rng.below(100);
  if (r < 78) return rng.pick(lay.dataPages) + off();
  if (r < 86) return REGION.DATA.base + rng.below(REGION.DATA.pages) * PAGE + off(); // maybe unmapped
  if (r < 92 && codeOk) {
    // the code page, but not the instruction or the int3 pad after it: a store there would make
    // the host run other code after the instruction (the emulator stops after one)
    const t = CODE_PAGE + off();
    return t + size + 16 > eip && t < eip + 32 ? (t + 64) & ~0 : t;
  }
  if (r < 92) return rng.pick(lay.dataPages) + off();
  return SAFE_UNMAPPED.lo + rng.below(SAFE_UNMAPPED.hi - SAFE_UNMAPPED.lo - 0x1000);
}

/** A branch target: an int3 pad of the code page (not the instruction), or a page that is not
 *  executable or not mapped (the branch completes, the fetch there faults). */
function branchTarget(rng: Rng, lay: Layout, eip: number, len: number, o16: boolean): number {
  for (;;) {
    let t: number;
    if (o16) t = rng.chance(0.7) && lay.lowPages.length ? rng.pick(lay.lowPages) + rng.below(PAGE) : rng.below(0x10000);
    else {
      const r = rng.below(10);
      if (r < 6) t = CODE_PAGE + rng.below(PAGE);
      else if (r < 7) t = CODE_PAGE2 + rng.below(PAGE);
      else if (r < 8) t = rng.pick(lay.dataPages) + rng.below(PAGE);
      else t = REGION.DATA.base + rng.below(REGION.DATA.pages * PAGE);
    }
    if (t >= eip && t < eip + len) continue;
    if (o16 && t < REGION.LOW.base) continue;  // page 0: keep the runner's own null page out of it
    return t >>> 0;
  }
}

function setReg16or32(regs: number[], idx: number, v: number, a16: boolean): void {
  regs[idx] = a16 ? ((regs[idx] & 0xffff0000) | (v & 0xffff)) >>> 0 : v >>> 0;
}

/** Build case `index` of `seed` for `form`. */
export function makeCase(seed: number, index: number, form: FormInfo): Case {
  const rng = new Rng(seed, index);
  for (let attempt = 0; ; attempt++) {
    const c = tryCase(rng, index, form);
    if (c) return c;
    if (attempt > 200) throw new Error(`generator: cannot build a safe case for ${form.name} (seed ${seed}, index ${index})`);
  }
}

function tryCase(rng: Rng, index: number, form: FormInfo): Case | undefined {
  let bytes: number[];
  let a16 = false;
  if (form.code === Code.INVALID) {
    bytes = invalidBytes(rng);
  } else {
    const e = encode(form.code, rng);
    bytes = e.bytes;
    a16 = e.a16;
  }
  const len = bytes.length;
  // placement: anywhere in the code page; sometimes crossing into the next page
  // (not the #UD encodings: UD0/UD1 take a ModRM on Intel and none on AMD, so a crossing one
  // faults on the fetch on one and raises #UD on the other)
  const crossing = rng.chance(0.03) && len > 1 && form.code !== Code.INVALID && !form.name.startsWith("Ud");
  const eip = crossing ? CODE_PAGE2 - 1 - rng.below(len - 1) : CODE_PAGE + rng.below(PAGE - len - 1);
  const lay = pickLayout(rng, a16 || rng.chance(0.05), crossing ? rng.chance(0.5) : rng.chance(0.1));
  let ins = decodeOne(bytes, eip);
  const decoded = ins.code;
  if (form.code === Code.INVALID ? decoded !== Code.INVALID && Code[decoded].slice(0, 2) !== "Ud" : decoded !== form.code) return undefined;
  const mnem = Mnemonic[ins.mnemonic];
  const o16 = opInfo(decoded).operandSize === 16;

  const regs = Array.from({ length: 8 }, () => rng.value());
  // EFLAGS: random arithmetic flags and DF, IF set (as Linux runs user code), AC rarely
  let eflags = 0x202 | (rng.u32() & 0x8d5) | (rng.chance(0.3) ? 0x400 : 0) | (rng.chance(0.02) ? 0x40000 : 0);
  const pokes: Poke[] = [];
  const poke = (addr: number, value: number, size: number) => { if (pokes.length < MAX_POKES) pokes.push({ addr: addr >>> 0, value: value >>> 0, size }); };

  // the stack: mostly in a writable data page
  const wData = lay.pages.filter((p) => (p.flags & PAGE_W) && p.addr >= REGION.DATA.base).map((p) => p.addr);
  const sr = rng.below(100);
  if (sr < 85 && wData.length) regs[4] = rng.pick(wData) + (rng.chance(0.8) ? 16 + 4 * rng.below(1016) : rng.below(PAGE));
  else if (sr < 92) regs[4] = rng.pick(lay.dataPages) + rng.below(24);
  else regs[4] = REGION.DATA.base + rng.below(REGION.DATA.pages) * PAGE + rng.below(PAGE);
  if (ins.isStackInstruction && lay.lowPages.length === 0 && rng.chance(0.0)) regs[4] = 0;

  // PUSH Sreg with a 32-bit operand writes 2 bytes (Intel) or 4 (the host's AMD part): keep the
  // slot aligned, so no vendor's choice decides between a fault and none
  if (/^Pushd_(ES|CS|SS|DS|FS|GS)$/.test(form.name)) regs[4] = (regs[4] & ~3) >>> 0;
  // CMPS: the host reads ES:EDI before DS:ESI, so with AC set an #AC on one operand races a
  // #PF/#GP on the other; the order is not architectural: no AC for CMPS
  if (/^Cmps/.test(mnem)) eflags &= ~0x40000;
  // an explicit memory operand: steer its effective address
  const hasMemOp = Array.from({ length: ins.opCount }, (_, i) => ins.opKind(i)).includes(OpKind.Memory);
  const isString = /^(Movs|Cmps|Stos|Lods|Scas|Ins|Outs)[bwd]$/.test(mnem) && !hasMemOp;
  if (hasMemOp) {
    const size = Math.max(1, ins.memorySize ? memBytes(ins) : 4);
    const t = dataTarget(rng, lay, size, a16, eip);
    const base = gprIndex(ins.memoryBase), index = gprIndex(ins.memoryIndex);
    const scale = ins.memoryIndexScale;
    const dispSize = ins.memoryDisplSize;
    const mask = a16 ? 0xffff : 0xffffffff;
    const idxVal = index >= 0 ? (ins.memoryIndex >= Register.AL && ins.memoryIndex <= Register.BL ? regs[index] & 0xff : regs[index]) : 0;
    if (mnem === "Xlatb") {
      setReg16or32(regs, 3, (t - (regs[0] & 0xff)) >>> 0, a16);
    } else if (dispSize >= 2) {
      const baseVal = base >= 0 ? regs[base] : 0;
      let disp = (t - baseVal - idxVal * scale) & mask;
      if (base >= 0 && base === index) disp = (t - regs[base] * (1 + scale)) & mask;
      const offs = decodeConstOffsets(bytes);
      patch(bytes, offs.disp, disp, dispSize === 2 || a16 ? 2 : 4);
    } else if (base >= 0 && base !== index) {
      setReg16or32(regs, base, (t - idxVal * scale - Number(ins.memoryDisplacement)) >>> 0, a16);
    } else if (index >= 0 && base < 0 && scale === 1) {
      setReg16or32(regs, index, (t - Number(ins.memoryDisplacement)) >>> 0, a16);
    }
    ins = decodeOne(bytes, eip);
  }
  if (isString) {
    const size = mnem.endsWith("b") ? 1 : mnem.endsWith("w") ? 2 : 4;
    // (ES:EDI never in the code page: a REP store could run over the instruction)
    setReg16or32(regs, 6, dataTarget(rng, lay, size, a16, eip), a16);
    setReg16or32(regs, 7, dataTarget(rng, lay, size, a16, eip, false), a16);
    // CMPS with an FS/GS (null) source: the host reads ES:EDI first, so keep that one mapped, or
    // its #PF would hide the source's #GP (the order of the two reads is not architectural)
    if (/^Cmps/.test(mnem) && bytes.some((b, i) => (b === 0x64 || b === 0x65) && i < len - 1)) {
      const pool = a16 ? lay.lowPages : lay.dataPages;
      if (pool.length) setReg16or32(regs, 7, rng.pick(pool) + 64 + rng.below(PAGE - 128), a16);
    }
    if (ins.hasRepPrefix || ins.hasRepnePrefix) {
      const r = rng.below(10);
      const n = r < 1 ? 0 : r < 8 ? rng.below(17) : rng.below(2000);
      setReg16or32(regs, 1, n, a16);
      // compares stop early when the data differ: make them equal now and then
      if (/^(Cmps|Scas)/.test(mnem) && rng.chance(0.4)) {
        const s = lay.pages.find((p) => p.addr === (regs[6] & ~0xfff));
        const d = lay.pages.find((p) => p.addr === (regs[7] & ~0xfff));
        if (s && d && !(d.flags & PAGE_X) && !(s.flags & PAGE_X)) d.fill = s.fill, regs[7] = (regs[7] & ~0xfff) | (regs[6] & 0xfff);
      }
    }
  }

  // control transfers: put the target where it lands safely
  const kinds = opInfo(decoded).kinds;
  const next = eip + len;
  const tgt = () => branchTarget(rng, lay, eip, len, o16);
  if (kinds.some((k) => k === K.br32_1 || k === K.br32_4 || k === K.br16_1 || k === K.br16_2)) {
    const offs = decodeConstOffsets(bytes);
    const rel8 = kinds.some((k) => k === K.br32_1 || k === K.br16_1);
    let t = tgt();
    if (rel8) {
      // rel8 reaches ±128 bytes: pick a displacement that avoids the instruction itself
      let d: number;
      do { d = (rng.u32() & 0xff) << 24 >> 24; } while (next + d >= eip && next + d < next);
      patch(bytes, offs.imm, d & 0xff, 1);
      t = (next + d) >>> 0;
    } else {
      patch(bytes, offs.imm, (t - next) >>> 0, kinds.includes(K.br16_2) ? 2 : 4);
    }
    void t;
  }
  if (mnem === "Loop" || mnem === "Loope" || mnem === "Loopne" || mnem === "Jcxz" || mnem === "Jecxz") {
    if (rng.chance(0.3)) setReg16or32(regs, 1, rng.pick([0, 1, 2]), ins.codeSize === 0 && false);
  }
  const esp = regs[4];
  const stackW = o16 ? 2 : 4;
  if (mnem === "Ret") poke(esp, tgt(), 4);
  if (mnem === "Retf" || mnem === "Iret" || mnem === "Iretd") {
    poke(esp, tgt(), stackW);
    // RPL 3 only: with another RPL the CPU's order of checks (#GP on the selector) and stack
    // reads (the outer SS:ESP) differs between vendors (AMD reads the stack first)
    poke(esp + stackW, rng.chance(0.8) ? 0x23 : rng.pick(RPL3_SELECTORS), 2);
    if (mnem !== "Retf") poke(esp + 2 * stackW, popfValue(rng), stackW);
  }
  if ((mnem === "Jmp" || mnem === "Call") && kinds.some((k) => k === K.farbr2_2 || k === K.farbr4_2)) {
    const offs = decodeConstOffsets(bytes);
    const w = kinds.includes(K.farbr4_2) ? 4 : 2;
    patch(bytes, offs.imm, tgt(), w);
    patch(bytes, offs.imm2, rng.chance(0.8) ? 0x23 : rng.pick(SELECTORS), 2);
  }
  if ((mnem === "Jmp" || mnem === "Call") && (kinds.some(isRm) || kinds.includes(K.mem))) {
    const far = Code[decoded].includes("m16");
    if (ins.opKind(0) === OpKind.Register) regs[gprIndex(ins.op0Register)] = tgt();
    else if (hasMemOp) {
      const ea = effAddr(ins, regs);
      if (ea !== undefined) {
        poke(ea, tgt(), far ? (o16 ? 2 : 4) : (o16 ? 2 : 4));
        if (far) poke(ea + (o16 ? 2 : 4), rng.chance(0.8) ? 0x23 : rng.pick(SELECTORS), 2);
      }
    }
  }
  if (mnem === "Popf" || mnem === "Popfd") poke(esp, popfValue(rng), 4);
  if (mnem === "Pop" && (ins.op0Kind === OpKind.Register && ins.op0Register >= Register.ES && ins.op0Register <= Register.GS)) poke(esp, rng.pick(SELECTORS), 2);
  if (["Lds", "Les", "Lfs", "Lgs", "Lss"].includes(mnem) && hasMemOp) {
    const ea = effAddr(ins, regs);
    if (ea !== undefined) poke(ea + (o16 ? 2 : 4), rng.pick(SELECTORS), 2);
  }
  if (mnem === "Mov" && ins.op0Kind === OpKind.Register && ins.op0Register >= Register.ES && ins.op0Register <= Register.GS) {
    if (ins.op1Kind === OpKind.Register) regs[gprIndex(ins.op1Register)] = (regs[gprIndex(ins.op1Register)] & 0xffff0000 | rng.pick(SELECTORS)) >>> 0;
    else { const ea = effAddr(ins, regs); if (ea !== undefined) poke(ea, rng.pick(SELECTORS), 2); }
  }
  if (mnem === "Div" || mnem === "Idiv") {
    // mostly a quotient that fits: the high half of the dividend small (or the sign of the low)
    if (rng.chance(0.7)) {
      const sz = memOrRegSize(ins);
      if (sz === 1) regs[0] = (regs[0] & 0xffff00ff) | (mnem === "Idiv" ? ((regs[0] & 0x80) ? 0xff00 : 0) : (rng.below(4) << 8));
      else if (sz === 2) regs[2] = (regs[2] & 0xffff0000) | (mnem === "Idiv" ? ((regs[0] & 0x8000) ? 0xffff : 0) : rng.below(4));
      else regs[2] = mnem === "Idiv" ? ((regs[0] & 0x80000000) ? 0xffffffff : 0) : rng.below(4);
      regs[2] >>>= 0; regs[0] >>>= 0;
    }
  }
  if (mnem === "Enter") {
    // nesting levels copy frame pointers from [EBP - 4k]: let EBP point into a mapped page
    if (rng.chance(0.8)) regs[5] = rng.pick(lay.dataPages) + 64 + rng.below(PAGE - 64);
  }
  if ((mnem === "Shld" || mnem === "Shrd") && o16) {
    // a count above the operand size leaves the 16-bit result undefined (SDM): stay within it
    regs[1] = (regs[1] & ~0xff) | rng.below(17);
    const offs = decodeConstOffsets(bytes);
    if (offs.immSize === 1) bytes[offs.imm] = rng.below(17);
  }
  if (mnem === "Int" && bytes[len - 1] === 0x80) bytes[len - 1] = 0x81; // int 0x80 is Linux's system call gate

  ins = decodeOne(bytes, eip);
  // every address the instruction may touch must be safe
  if (hasMemOp) {
    const ea = effAddr(ins, regs);
    if (ea === undefined || !isSafe(ea) || !isSafe(ea + 16)) return undefined;
  }
  if (!isSafe(regs[4]) || !isSafe(regs[4] - 40) || !isSafe(regs[4] + 40)) return undefined;
  if (isString && (!isSafe(regs[6]) || !isSafe(regs[7]))) return undefined;
  if (mnem === "Xlatb" && !isSafe((regs[3] + (regs[0] & 0xff)) >>> 0)) return undefined;
  if (mnem === "Enter" && !isSafe(regs[5])) return undefined;
  if (mnem === "Leave" && (!isSafe(regs[5]) || !isSafe(regs[5] + 8))) return undefined;
  if (mnem === "Popa" || mnem === "Popad") { /* reads ESP..ESP+32: covered by the ESP checks */ }

  return {
    index, form: form.name, bytes: new Uint8Array(bytes), eip, regs: regs.map((r) => r >>> 0), eflags: eflags >>> 0,
    pages: lay.pages, pokes,
  };
}

/** A value for POPF/IRET's EFLAGS: random, but TF clear (a single-step trap would follow). */
function popfValue(rng: Rng): number {
  return (rng.u32() & ~0x100 & 0x3f7fd7) | 2;
}

function memBytes(ins: Instruction): number {
  const name = String(ins.memorySize);
  void name;
  // iced's MemorySize → bytes: use the size of the operand via the instruction's memory size info
  const n = MEM_SIZE_BYTES.get(ins.memorySize);
  return n ?? 4;
}
import { MemorySize, MemorySizeExt } from "iced-x86";
const MEM_SIZE_BYTES = new Map<number, number>();
for (const k of Object.keys(MemorySize).filter((x) => Number.isNaN(Number(x)))) {
  const v = (MemorySize as unknown as Record<string, number>)[k];
  try { MEM_SIZE_BYTES.set(v, MemorySizeExt.size(v)); } catch { /* not every value has a size */ }
}

function memOrRegSize(ins: Instruction): number {
  if (ins.opKind(0) === OpKind.Memory) return memBytes(ins);
  const r = ins.op0Register;
  if (r >= Register.AL && r <= Register.BH) return 1;
  if (r >= Register.AX && r <= Register.DI) return 2;
  return 4;
}

/** Effective linear address of the explicit memory operand (flat segments: base 0). */
export function effAddr(ins: Instruction, regs: number[]): number | undefined {
  const get = (r: Register): number => {
    if (r === Register.None) return 0;
    const i = gprIndex(r);
    if (i < 0) return 0;
    if (r >= Register.AL && r <= Register.BL) return regs[i] & 0xff;
    if (r >= Register.AX && r <= Register.DI) return regs[i] & 0xffff;
    return regs[i];
  };
  const a16 = ins.memoryBase >= Register.AX && ins.memoryBase <= Register.DI || ins.memoryIndex >= Register.AX && ins.memoryIndex <= Register.DI || ins.memoryDisplSize === 2;
  let ea = get(ins.memoryBase) + get(ins.memoryIndex) * ins.memoryIndexScale + Number(ins.memoryDisplacement & 0xffffffffn);
  ea = a16 ? ea & 0xffff : ea >>> 0;
  return ea;
}

function decodeConstOffsets(bytes: number[]): { disp: number; imm: number; imm2: number; immSize: number } {
  const d = new Decoder(32, new Uint8Array(bytes), DecoderOptions.None);
  const i = d.decode();
  const co = d.getConstantOffsets(i);
  const r = { disp: co.displacementOffset, imm: co.immediateOffset, imm2: co.immediateOffset2, immSize: co.immediateSize };
  co.free(); i.free(); d.free();
  return r;
}

function patch(bytes: number[], at: number, v: number, n: number): void {
  for (let i = 0; i < n; i++) bytes[at + i] = (v >>> (8 * i)) & 0xff;
}
