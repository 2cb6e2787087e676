// Call gates of a 32-bit PV guest (Xen arch/x86/pv/emul-gate-op.c pv_emulate_gate_op).
// check_descriptor gives every guest call gate DPL 0 and keeps the requested DPL in the RPL of its
// target selector, so a far CALL or JMP through one raises #GP(gate selector) and comes here (Xen's
// do_general_protection sends every #GP with a nonzero error code from a 32-bit PV guest here).
// The hypervisor then does what the CPU would have done with the gate's real DPL:
//   - the gate: a 32-bit call gate of the guest's GDT/LDT (16-bit gates are refused), requested
//     DPL >= CPL, else #GP(gate); not present → #NP(gate);
//   - the instruction at CS:EIP: CALL/JMP ptr16:32 (9a/ea) or CALL/JMP m16:32 (ff /3, /5) whose
//     selector is the gate's, with RPL <= the gate's DPL, else #GP(gate);
//   - the target: a present code segment (a CALL or a conforming target: DPL <= CPL; a JMP to a
//     non-conforming one: DPL == CPL) else #GP(target) / #NP(target); offset within its limit,
//     else #GP(0);
//   - a CALL to an inner ring (only the kernel's, ring 1, has a known stack) switches to the
//     stack_switch stack (its SS must be a writable data segment of that ring: #TS(ss); room for
//     the frame within its limit: #SS(ss)), pushes the old SS and ESP and copies the gate's
//     parameter count of dwords from the caller's stack; any CALL then pushes CS and the return EIP;
//   - writes that fault are #PF(W) at the address, reads #PF(0), as Xen's copy routines report.
// NOT emulated (the guest gets #GP(gate) instead): 16-bit address size in the decoded instruction
// (Xen's x86_decode_insn would handle it).
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { GuestFault } from "./guest-memory.ts";
import { readDescriptor, descBase, descLimit } from "./descriptor-tables.ts";
import type { EmulFault } from "./emul-priv-op.ts";

const SEG_S = 1 << 12, SEG_P = 1 << 15, SEG_CODE = 1 << 11, SEG_EC = 1 << 10, SEG_WR = 1 << 9, SEG_DB = 1 << 22, SEG_DPL = 3 << 13;
const SEG_TYPE = 0xf00;
const SR_CS = 1, SR_SS = 2, SR_DS = 3;
const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
const GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
/** The guest kernel's ring (GUEST_KERNEL_RPL for a 32-bit PV domain). */
const GUEST_KERNEL_RPL = 1;

/** pv_emul_read_descriptor: base, limit (granularity applied) and ar = high word & 0x00f0ff00. */
interface Desc { base: number; limit: number; ar: number }
function readDesc(d: Domain, sel: number): Desc | null {
  sel &= 0xffff;
  const raw: [number, number] | null = sel < 4 ? [0, 0] : readDescriptor(d, sel);
  if (!raw) return null;
  const [a, b] = raw;
  return { base: descBase(a, b), limit: descLimit(a, b), ar: (b & 0x00f0ff00) >>> 0 };
}

/** check_stack_limit: room for `decr` bytes below `esp` (expand-up or expand-down segment). */
function stackRoom(ar: number, limit: number, esp: number, decr: number): boolean {
  const lo = (esp - decr) >>> 0, top = (esp - 1) >>> 0;
  return lo < top && (!(ar & SEG_EC) ? top <= limit >>> 0 : lo > limit >>> 0);
}

/** compat_access_ok for the `bytes` below linear address `top`: no wrap, below the hypervisor area. */
function accessOk(d: Domain, top: number, bytes: number): boolean {
  return top >= bytes && top <= d.hvStart;
}

type Result = true | EmulFault;
const gp = (code: number): EmulFault => ({ vector: 13, errorCode: code & 0xffff });

/** The decoded far CALL/JMP: whether it jumps, the selector operand, the instruction length. */
interface FarBranch { jump: boolean; sel: number; len: number }

/**
 * Decode the instruction at CS:EIP far enough to find a far CALL/JMP and its selector operand
 * (Xen: x86_decode_insn + x86_insn_immediate / operand read). Null when it is none of them.
 */
function decodeFarBranch(d: Domain, csBase: number, csLimit: number, addr32: boolean): FarBranch | EmulFault | null {
  const m = d.machine, eip = m.eip;
  const fetch = (i: number): number => {
    if (eip + i > csLimit) throw gp(0);
    return d.mem.readU8((csBase + eip + i) >>> 0);
  };
  let i = 0, op32 = addr32, a32 = addr32, seg = -1;
  for (;; i++) {
    const p = fetch(i);
    if (p === 0x66) op32 = !addr32;
    else if (p === 0x67) a32 = !addr32;
    else if (p in SEG_PREFIX) seg = SEG_PREFIX[p];
    else if (p === 0xf0 || p === 0xf2 || p === 0xf3) continue;
    else break;
    if (i >= 14) return null;
  }
  const op = fetch(i++);
  const osz = op32 ? 4 : 2;
  if (op === 0x9a || op === 0xea) {
    const sel = fetch(i + osz) | (fetch(i + osz + 1) << 8);
    return { jump: op === 0xea, sel, len: i + osz + 2 };
  }
  if (op !== 0xff) return null;
  const modrm = fetch(i++);
  const mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
  if (mod === 3 || (reg !== 3 && reg !== 5)) return null;
  if (!a32) return null; // 16-bit addressing: not decoded here (see the header)
  // 32-bit effective address (SDM Vol. 2, Table 2-2/2-3).
  let ea = 0, defSeg = SR_DS;
  if (rm === 4) {
    const sib = fetch(i++);
    const scale = sib >> 6, index = (sib >> 3) & 7, base = sib & 7;
    if (index !== 4) ea += m.reg(GPR[index]) << scale;
    if (base === 5 && mod === 0) { ea += fetch(i) | (fetch(i + 1) << 8) | (fetch(i + 2) << 16) | (fetch(i + 3) << 24); i += 4; }
    else { ea += m.reg(GPR[base]); if (base === 4 || base === 5) defSeg = SR_SS; }
  } else if (rm === 5 && mod === 0) {
    ea = fetch(i) | (fetch(i + 1) << 8) | (fetch(i + 2) << 16) | (fetch(i + 3) << 24); i += 4;
  } else {
    ea = m.reg(GPR[rm]);
    if (rm === 5) defSeg = SR_SS;
  }
  if (mod === 1) { ea += (fetch(i) << 24) >> 24; i += 1; }
  else if (mod === 2) { ea += fetch(i) | (fetch(i + 1) << 8) | (fetch(i + 2) << 16) | (fetch(i + 3) << 24); i += 4; }
  ea >>>= 0;
  // read_mem: the selector word after the offset, through the segment's cached descriptor.
  const sr = seg >= 0 ? seg : defSeg;
  const attr = m.field(L.S_SEG_ATTR + 4 * sr), base = m.field(L.S_SEG_BASE + 4 * sr), limit = m.field(L.S_SEG_LIMIT + 4 * sr);
  const nullSel = sr !== SR_CS && (m.field(L.S_SEG_SEL + 4 * sr) & 0xfffc) === 0;
  if (nullSel || !(attr & 0x10) || !(attr & 0x80) || ((attr & 8) && !(attr & 2))) return null;
  const off = (ea + osz) >>> 0;
  if (limit < 1 || off > limit - 1) return null;
  const lin = (base + off) >>> 0;
  let sel: number;
  try { sel = d.mem.readU16(lin); } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    return { vector: 14, errorCode: 0, cr2: e.lin };
  }
  return { jump: reg === 5, sel, len: i };
}

/** pv_emulate_gate_op for the #GP(errorCode) the core exited with. */
export function emulateGateOp(d: Domain, errorCode: number): Result {
  const m = d.machine, v = d.vcpu;
  const cpl = d.cpl;
  // read_gate_descriptor: a call gate of the guest's own GDT/LDT.
  const gateSel = errorCode & 0xffff;
  const limitEnts = gateSel & 4 ? v.ldtEntries : v.gdtEntries;
  const raw = gateSel < 4 || (gateSel >>> 3) >= limitEnts ? null : readDescriptor(d, gateSel);
  if (!raw) return gp(errorCode);
  const [ga, gb] = raw;
  let sel = (ga >>> 16) & 0xfffc;
  let off = ((ga & 0xffff) | (gb & 0xffff0000)) >>> 0;
  let ar = gb & 0xffff;
  // check_descriptor cleared the DPL and kept the requested one in the target selector's RPL.
  if (ar & SEG_DPL) return gp(errorCode);
  ar |= ((ga >>> 16) & 3) << 13;
  const type = ar & 0x1f00;
  if (type === 0x0400) off &= 0xffff;
  else if (type !== 0x0c00) return gp(errorCode);
  if (((ar >> 13) & 3) < cpl || (ar & SEG_TYPE) !== 0xc00) return gp(errorCode);
  if (!(ar & SEG_P)) return { vector: 11, errorCode: gateSel };
  const dpl = (ar >> 13) & 3, nparm = ar & 0x1f;

  // The instruction: through the current code segment.
  const cs = readDesc(d, m.field(L.S_SEG_SEL + 4 * SR_CS));
  if (!cs || !(cs.ar & SEG_S) || !(cs.ar & SEG_P) || !(cs.ar & SEG_CODE)) return gp(errorCode);
  let br: FarBranch | EmulFault | null;
  try { br = decodeFarBranch(d, cs.base, cs.limit, (cs.ar & SEG_DB) !== 0); } catch (e) {
    if (e instanceof GuestFault) return { vector: 14, errorCode: 0, cr2: e.lin };
    if (typeof e === "object" && e !== null && "vector" in e) return e as EmulFault;
    throw e;
  }
  if (br !== null && "vector" in br) return br;
  if (br === null || (br.sel & ~3) !== gateSel || dpl < (br.sel & 3)) return gp(errorCode);
  const { jump, len } = br;

  // The target code segment.
  const target = readDesc(d, sel);
  const tdpl = target ? (target.ar >> 13) & 3 : 0;
  if (!target || !(target.ar & SEG_S) || !(target.ar & SEG_CODE) ||
      (!jump || (target.ar & SEG_EC) ? tdpl > cpl : tdpl !== cpl)) return gp(sel);
  if (!(target.ar & SEG_P)) return { vector: 11, errorCode: sel };
  if (off > target.limit >>> 0) return gp(0);

  let newSs = -1, newSsDesc: Desc | null = null, esp = m.reg("esp");
  if (!jump) {
    const words: number[] = []; // pushed in order, each at the next lower address
    let ssBase: number;
    if (tdpl < cpl) {
      sel |= tdpl;
      // Inner stack known only for the kernel ring.
      if ((sel & 3) !== GUEST_KERNEL_RPL) return gp(errorCode);
      const ss = v.kernelSs;
      esp = v.kernelSp;
      const ssd = readDesc(d, ss);
      if ((ss & 3) !== (sel & 3) || !ssd || ((ssd.ar >> 13) & 3) !== (sel & 3) || !(ssd.ar & SEG_S) ||
          (ssd.ar & SEG_CODE) || !(ssd.ar & SEG_WR)) return { vector: 10, errorCode: ss & ~3 };
      if (!(ssd.ar & SEG_P) || !stackRoom(ssd.ar, ssd.limit, esp, (4 + nparm) * 4)) return { vector: 12, errorCode: ss & ~3 };
      ssBase = ssd.base;
      if (!accessOk(d, (ssBase + esp) >>> 0, (4 + nparm) * 4)) return gp(errorCode);
      words.push(m.field(L.S_SEG_SEL + 4 * SR_SS), m.reg("esp"));
      if (nparm) {
        const user = readDesc(d, m.field(L.S_SEG_SEL + 4 * SR_SS));
        // Xen checks the caller's stack limit with the new ESP (after the two pushes) plus the
        // parameters: reproduced as written.
        if (!user || ((user.ar >> 13) & 3) !== cpl || !(user.ar & SEG_S) || (user.ar & SEG_CODE) ||
            !(user.ar & SEG_WR) || !stackRoom(user.ar, user.limit, (esp - 8 + nparm * 4) >>> 0, nparm * 4)) return gp(errorCode);
        const from = (user.base + m.reg("esp")) >>> 0;
        if (!accessOk(d, (from + nparm * 4) >>> 0, nparm * 4)) return gp(errorCode);
        for (let k = nparm - 1; k >= 0; k--) {
          try { words.push(d.mem.readU32((from + k * 4) >>> 0)); } catch (e) {
            if (!(e instanceof GuestFault)) throw e;
            return { vector: 14, errorCode: 0, cr2: (from + k * 4) >>> 0 };
          }
        }
      }
      newSs = ss; newSsDesc = ssd;
    } else {
      sel |= cpl;
      const ss = m.field(L.S_SEG_SEL + 4 * SR_SS);
      const ssd = readDesc(d, ss);
      if (!ssd || ((ssd.ar >> 13) & 3) !== (sel & 3)) return gp(errorCode);
      if (!stackRoom(ssd.ar, ssd.limit, esp, 8)) return { vector: 12, errorCode: 0 };
      ssBase = ssd.base;
      if (!accessOk(d, (ssBase + esp) >>> 0, 8)) return gp(errorCode);
    }
    words.push(m.field(L.S_SEG_SEL + 4 * SR_CS), (m.eip + len) >>> 0);
    // push(): one dword at a time; a fault is #PF(W) at that dword.
    for (const w of words) {
      esp = (esp - 4) >>> 0;
      try { d.mem.writeU32((ssBase + esp) >>> 0, w); } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
        return { vector: 14, errorCode: 2, cr2: (ssBase + esp) >>> 0 };
      }
    }
  } else sel |= cpl;

  // Commit: CS:EIP = the target, at its ring; the new stack for an inner-ring call.
  const tgt = readDescriptor(d, sel)!;
  m.setSegment(SR_CS, sel, target.base, target.limit, (tgt[1] >>> 8) & 0xf0ff);
  if (newSsDesc) {
    const rawSs = readDescriptor(d, newSs)!;
    m.setSegment(SR_SS, newSs, newSsDesc.base, newSsDesc.limit, (rawSs[1] >>> 8) & 0xf0ff);
  }
  m.setCpl(sel & 3);
  if (!jump) m.setReg("esp", esp);
  m.eip = off;
  d.stats.emulated++;
  return true;
}
