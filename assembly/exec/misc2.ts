// CBW/CWDE/CWD/CDQ, LAHF/SAHF, XLAT, BSWAP, SALC, CMPXCHG, CMPXCHG8B, XADD, BOUND, UD0/UD1/UD2,
// hint NOPs (SDM Vol. 2, each instruction's "Operation").
//
// LOCK: iced-x86 (DecoderOptions.None) decodes a LOCK prefix on an instruction that cannot be
// locked, or on a lockable one whose destination is a register, as INVALID, which the dispatch
// turns into #UD (SDM Vol. 2, LOCK: "#UD if the LOCK prefix is used ... in any other way"). The
// handlers here therefore see LOCK only on memory forms, where one core needs nothing more.
import { R_EAX, R_ECX, R_EDX, R_EBX, S_FLAGS } from "../layout";
import { reg8, reg16, reg32, setReg8, setReg16, setReg32, regN, setRegN } from "../state";
import { pending, ud, fault, BR } from "../priv/exception";
import { readN, writeN, readForWrite, segWrite, probeWrite, readLin32, writeLin32, alignmentFault } from "../mmu/access";
import { getEflags, setArithFlags, setLazy, getCF, LAZY_ADD, LAZY_SUB, CF, PF, AF, ZF, SF } from "./flags";
import { r0, r1, seg, ea, a16 } from "./operand";

// ---- sign extension ----

/** CBW (size 2): AX = sign-extended AL. CWDE (size 4): EAX = sign-extended AX. */
export function cbw(r: usize, size: u32): void {
  if (size == 2) setReg16(R_EAX, <u32>(<i32>(reg8(R_EAX) << 24) >> 24));
  else setReg32(R_EAX, <u32>(<i32>(reg16(R_EAX) << 16) >> 16));
}
/** CWD (size 2): DX = sign of AX. CDQ (size 4): EDX = sign of EAX. */
export function cwd(r: usize, size: u32): void {
  if (size == 2) setReg16(R_EDX, (reg16(R_EAX) & 0x8000) ? 0xFFFF : 0);
  else setReg32(R_EDX, <u32>(<i32>reg32(R_EAX) >> 31));
}

// ---- flags in AH ----

const AH: u32 = 4; // 8-bit register number of AH
const AH_FLAGS: u32 = SF | ZF | AF | PF | CF;

/** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
export function lahf(r: usize): void { setReg8(AH, (getEflags() & AH_FLAGS) | 2); }
/** SAHF: SF ZF AF PF CF = the same bits of AH. */
export function sahf(r: usize): void { setArithFlags(AH_FLAGS, reg8(AH)); }

/** SALC (D6, undocumented, valid in 32-bit mode): AL = CF ? FFh : 00h; flags unchanged. */
export function salc(r: usize): void { setReg8(R_EAX, getCF() ? 0xFF : 0); }

/**
 * XLAT: AL = seg:[(E)BX + zero-extended AL], segment DS unless overridden; with a 16-bit address
 * size the sum wraps at 64 KiB. (The decoder leaves AL out of the record's index.)
 */
export function xlat(r: usize): void {
  const off = a16(r) ? (reg16(R_EBX) + reg8(R_EAX)) & 0xFFFF : reg32(R_EBX) + reg8(R_EAX);
  const v = readN(seg(r), off, 1); if (pending) return;
  setReg8(R_EAX, v);
}

// ---- BSWAP ----

export function bswap32(r: usize): void { setReg32(r0(r), bswap<u32>(reg32(r0(r)))); }
/**
 * BSWAP r16: the SDM leaves the result undefined. Intel and AMD processors (and this host, see
 * test/exec/misc2.test.ts) clear the 16-bit register: the low word of the 32-bit swap of
 * 0000:xxxx... is the swap of the upper half, which is zero-extended away; we do the same.
 */
export function bswap16(r: usize): void { setReg16(r0(r), 0); }

// ---- CMPXCHG, CMPXCHG8B, XADD ----

/**
 * CMPXCHG: compare the accumulator with the destination (flags of CMP acc, dest); equal: dest =
 * src; else acc = dest. The register form writes the destination last.
 */
export function cmpxchgR(r: usize, size: u32): void {
  const acc = regN(R_EAX, size);
  const d = regN(r0(r), size);
  setLazy(LAZY_SUB, acc, d, acc - d, (size << 3) - 1);
  if (acc == d) setRegN(r0(r), regN(r1(r), size), size);
  else setRegN(R_EAX, d, size);
}
/** Memory form: the destination is always written (its old value back when the compare fails). */
export function cmpxchgM(r: usize, size: u32): void {
  const s = seg(r), off = ea(r);
  const d = readForWrite(s, off, size); if (pending) return;
  const acc = regN(R_EAX, size);
  const eq = acc == d;
  writeN(s, off, eq ? regN(r1(r), size) : d, size);
  setLazy(LAZY_SUB, acc, d, acc - d, (size << 3) - 1);
  if (!eq) setRegN(R_EAX, d, size);
}

/**
 * CMPXCHG8B m64: EDX:EAX = m64? ZF = 1, m64 = ECX:EBX : ZF = 0, EDX:EAX = m64. Only ZF changes.
 * The memory is written in both cases (SDM). The register form is #UD (iced: INVALID).
 */
export function cmpxchg8b(r: usize): void {
  const s = seg(r), off = ea(r);
  const lin = segWrite(s, off, 8); if (pending) return;
  if (alignmentFault(lin, 8)) return;   // #AC checks the 8-byte operand's alignment
  if (!probeWrite(lin, 4)) return;
  if (!probeWrite(lin + 4, 4)) return;
  const lo = readLin32(lin), hi = readLin32(lin + 4);
  const eq = lo == reg32(R_EAX) && hi == reg32(R_EDX);
  if (eq) { writeLin32(lin, reg32(R_EBX)); writeLin32(lin + 4, reg32(R_ECX)); }
  else { writeLin32(lin, lo); writeLin32(lin + 4, hi); setReg32(R_EAX, lo); setReg32(R_EDX, hi); }
  setArithFlags(ZF, eq ? ZF : 0);
}

/** XADD: temp = dest + src; src = dest; dest = temp (the destination is written last). */
export function xaddR(r: usize, size: u32): void {
  const d = regN(r0(r), size), s = regN(r1(r), size);
  const t = d + s;
  setRegN(r1(r), d, size);
  setRegN(r0(r), t, size);
  setLazy(LAZY_ADD, d, s, t, (size << 3) - 1);
}
export function xaddM(r: usize, size: u32): void {
  const sg = seg(r), off = ea(r);
  const d = readForWrite(sg, off, size); if (pending) return;
  const s = regN(r1(r), size);
  const t = d + s;
  writeN(sg, off, t, size);
  setRegN(r1(r), d, size);
  setLazy(LAZY_ADD, d, s, t, (size << 3) - 1);
}

// ---- BOUND ----

/**
 * BOUND r, m: #BR (a fault) unless lower <= index <= upper, signed, with the bounds at m and
 * m + size. The register form is #UD (iced: INVALID, since 62 with a register ModRM is EVEX).
 */
export function bound(r: usize, size: u32): void {
  const s = seg(r), off = ea(r);
  const lo = readN(s, off, size); if (pending) return;
  const hi = readN(s, a16(r) ? (off + size) & 0xFFFF : off + size, size); if (pending) return;
  const sh = 32 - (size << 3);
  const idx = <i32>(regN(r0(r), size) << sh) >> sh;
  if (idx < <i32>(lo << sh) >> sh || idx > <i32>(hi << sh) >> sh) fault(BR);
}

// ---- #UD and hints ----

/** UD0, UD1, UD2: raise #UD (the ModRM and any memory operand are decoded, never accessed). */
export function udInsn(r: usize): void { ud(); }

/** Hint NOPs (prefetches, CLDEMOTE, ENDBR32, reserved-NOP space 0F 18-1F): no access, no fault. */
export function hintNop(r: usize): void {}

void S_FLAGS; void reg8;
