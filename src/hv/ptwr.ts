// Writable page tables (vm_assist VMASST_TYPE_writable_pagetables; Xen arch/x86/pv/ro-page-fault.c
// pv_ro_page_fault / ptwr_do_page_fault / ptwr_emulated_update, entered from fixup_page_fault).
//
// The guest kernel's page tables are mapped read-only, so a store to one raises #PF. With the
// assist on, the hypervisor takes such a #PF when
//   - the guest was in kernel mode (ring 1), and the error code says write, present, not a
//     reserved-bit fault, not an instruction fetch;
//   - the L1 entry mapping CR2 is present and read-only, and maps a frame of this domain whose
//     type is a validated, referenced L1 page table (page_lock);
// then decodes the faulting instruction and emulates its store:
//   MOV r/m, r and MOV r/m, imm (1, 2 or 4 bytes), XCHG r/m, r, CMPXCHG r/m, r (1/2/4 bytes),
//   CMPXCHG8B, and the read-modify-write OR, AND, XOR, ADD, SUB (register or immediate source)
//   and BTS, BTR, BTC (32 bits). The store must be naturally aligned and lie in CR2's page. A store narrower than
//   an entry (4 bytes in the classic layout, 8 in PAE) is merged with the rest of the entry.
// The new entry is checked as mod_l1_entry would (get_page_from_l1e: flags, ownership, no
// writable mapping of a page table or descriptor page); the old entry's references are dropped.
// A PAE upper-half store whose entry does not validate is taken as the first of a pair of stores:
// it is written with the present bit cleared (Xen's "fixing up invalid PAE PTE"). A CMPXCHG whose
// comparison fails changes nothing in the table and loads the accumulator, as the CPU does.
// The guest continues after the instruction. Anything else — another instruction, a refused
// entry, a fetch that faults — is not emulated: the #PF is bounced to the guest as before.
import type * as Iced from "iced-x86";
import { Decoder, DecoderOptions, Instruction, Register, OpKind } from "../decode/iced-wasm.ts";
import { icedPackage, codeName } from "../decode/iced.ts";
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { VMASST_TYPE } from "./abi.ts";
import { type Mfn } from "./addr.ts";
import { GuestFault } from "./guest-memory.ts";
import { PGT } from "./page-info.ts";
import { mapGuestL1e, isLockable } from "./mm/update-va-mapping.ts";
import { entryMfn, _PAGE_PRESENT, _PAGE_RW } from "./mm/pte.ts";

/** #PF error code bits (SDM 4.7). */
const PFEC_PRESENT = 1, PFEC_WRITE = 2, PFEC_RSVD = 8, PFEC_FETCH = 16;
const GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
const FLAG_CF = 1, FLAG_PF = 4, FLAG_AF = 0x10, FLAG_ZF = 0x40, FLAG_SF = 0x80, FLAG_OF = 0x800;

/** The store an instruction makes: where, how wide, and what (or a compare-exchange). */
interface Store {
  lin: number;
  bytes: number;
  /** the value to store (low `bytes` bytes; up to 8 as [lo, hi]) */
  lo: number;
  hi: number;
  kind: "mov" | "xchg" | "cmpxchg" | "cmpxchg8b" | "rmw";
  /** XCHG / CMPXCHG register operand */
  reg?: number;
  /** a read-modify-write instruction: the new value and EFLAGS from the old value */
  rmw?: (old: number, eflags: number) => [number, number];
}

/**
 * fixup_page_fault's writable-pagetable case: emulate the store at EIP that raised this #PF.
 * Returns true when it did (EIP is past the instruction), false to bounce the #PF.
 */
export function ptwrPageFault(d: Domain, cr2: number, errorCode: number): boolean {
  if (!(d.vmAssist & (1 << VMASST_TYPE.writable_pagetables))) return false;
  if (d.cpl === 3) return false; // guest_kernel_mode only
  if ((errorCode & (PFEC_RSVD | PFEC_FETCH)) || !(errorCode & PFEC_WRITE) || !(errorCode & PFEC_PRESENT)) return false;
  // guest_get_eff_kern_l1e: the entry mapping CR2, present and read-only
  const at = mapGuestL1e(d, cr2);
  if (!at) return false;
  const p = d.paging, pages = p.pages;
  const [plo, phi] = p.readEntry(at.l1, at.index);
  if ((plo & (_PAGE_PRESENT | _PAGE_RW)) !== _PAGE_PRESENT) return false;
  const table = entryMfn(plo, phi);
  if (table >= pages.frameCount || !pages.getPage(table, d.domid)) return false;
  try {
    if (!isLockable(d, table) || pages.typeOf(table) !== PGT.l1) return false;
    const insn = decode(d);
    if (!insn) return false;
    const store = storeOf(d, insn);
    if (!store) return false;
    if (!emulatedUpdate(d, table, cr2, store)) return false;
    d.machine.eip = (d.machine.eip + insn.length) >>> 0;
    d.stats.ptwrEmulations++;
    return true;
  } finally {
    pages.putPage(table);
  }
}

/** The instruction at CS:EIP (up to 15 bytes, as many as can be fetched), decoded. */
function decode(d: Domain): Instruction | null {
  const m = d.machine, base = m.field(L.S_SEG_BASE + 4), eip = m.eip;
  const bytes: number[] = [];
  try {
    for (let i = 0; i < 15; i++) bytes.push(d.mem.readU8((base + eip + i) >>> 0));
  } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  if (bytes.length === 0) return null;
  const decoder = new Decoder(32, Uint8Array.from(bytes), DecoderOptions.None);
  decoder.ip = BigInt(eip);
  const insn = decoder.decode();
  return insn.isInvalid || insn.length > bytes.length ? null : insn;
}

const gpr32 = (d: Domain, r: Register) => d.machine.reg(GPR[r - Register.EAX]);
/** Value of an 8/16/32-bit register operand. */
function regValue(d: Domain, r: Register): number | null {
  if (r >= Register.EAX && r <= Register.EDI) return gpr32(d, r);
  if (r >= Register.AX && r <= Register.DI) return d.machine.reg(GPR[r - Register.AX]) & 0xffff;
  if (r >= Register.AL && r <= Register.BL) return d.machine.reg(GPR[r - Register.AL]) & 0xff;
  if (r >= Register.AH && r <= Register.BH) return (d.machine.reg(GPR[r - Register.AH]) >>> 8) & 0xff;
  return null;
}
function setRegValue(d: Domain, r: Register, v: number): void {
  const m = d.machine;
  if (r >= Register.EAX && r <= Register.EDI) m.setReg(GPR[r - Register.EAX], v >>> 0);
  else if (r >= Register.AX && r <= Register.DI) { const n = GPR[r - Register.AX]; m.setReg(n, ((m.reg(n) & ~0xffff) | (v & 0xffff)) >>> 0); }
  else if (r >= Register.AL && r <= Register.BL) { const n = GPR[r - Register.AL]; m.setReg(n, ((m.reg(n) & ~0xff) | (v & 0xff)) >>> 0); }
  else { const n = GPR[r - Register.AH]; m.setReg(n, ((m.reg(n) & ~0xff00) | ((v & 0xff) << 8)) >>> 0); }
}

/** The linear address of the instruction's memory operand (32-bit addressing only). */
function memoryLinear(d: Domain, insn: Instruction): number | null {
  if (insn.op0Kind !== OpKind.Memory) return null;
  const reg32 = (r: Register) => r === Register.None ? 0 : r >= Register.EAX && r <= Register.EDI ? gpr32(d, r) : null;
  const base = reg32(insn.memoryBase), index = reg32(insn.memoryIndex);
  if (base === null || index === null) return null; // 16-bit addressing: not a page-table store
  const seg = insn.memorySegment - Register.ES;
  const offset = (base + index * insn.memoryIndexScale + Number(BigInt.asUintN(32, insn.memoryDisplacement))) >>> 0;
  return (d.machine.field(L.S_SEG_BASE + 4 * seg) + offset) >>> 0;
}

function storeOf(d: Domain, insn: Instruction): Store | null {
  const lin = memoryLinear(d, insn);
  if (lin === null) return null;
  const reg = insn.op1Kind === OpKind.Register ? insn.op1Register : Register.None;
  const { Code } = icedPackage();
  switch (insn.code) {
    case Code.Mov_rm8_r8: case Code.Mov_rm16_r16: case Code.Mov_rm32_r32:
    case Code.Xchg_rm8_r8: case Code.Xchg_rm16_r16: case Code.Xchg_rm32_r32:
    case Code.Cmpxchg_rm8_r8: case Code.Cmpxchg_rm16_r16: case Code.Cmpxchg_rm32_r32: {
      const v = regValue(d, reg);
      if (v === null) return null;
      const kind = [Code.Xchg_rm8_r8, Code.Xchg_rm16_r16, Code.Xchg_rm32_r32].includes(insn.code) ? "xchg"
        : [Code.Cmpxchg_rm8_r8, Code.Cmpxchg_rm16_r16, Code.Cmpxchg_rm32_r32].includes(insn.code) ? "cmpxchg" : "mov";
      return { lin, bytes: sizeOf(insn.code), lo: v, hi: 0, kind, reg };
    }
    case Code.Mov_rm8_imm8: case Code.Mov_rm16_imm16: case Code.Mov_rm32_imm32:
      return { lin, bytes: sizeOf(insn.code), lo: Number(BigInt.asUintN(32, insn.immediate(1))), hi: 0, kind: "mov" };
    case Code.Cmpxchg8b_m64:
      return { lin, bytes: 8, lo: d.machine.reg("ebx"), hi: d.machine.reg("ecx"), kind: "cmpxchg8b" };
    default:
      return rmwOf(d, insn, lin);
  }
}

/** An r/m-destination form from iced's form name (Add_rm16_imm8 → ["Add", 2]). */
function rmForm(insn: Instruction): [string, number] | null {
  const m = /^([A-Z][a-z]+)_rm(8|16|32)_/.exec(codeName(insn.code) ?? "");
  return m ? [m[1], Number(m[2]) / 8] : null;
}

const ALU = new Map<string, (a: number, b: number) => [number, "logic" | "add" | "sub"]>([
  ["Or", (a, b) => [a | b, "logic"]],
  ["And", (a, b) => [a & b, "logic"]],
  ["Xor", (a, b) => [a ^ b, "logic"]],
  ["Add", (a, b) => [a + b, "add"]],
  ["Sub", (a, b) => [a - b, "sub"]],
]);
const BIT_OPS = new Map<string, (old: number, bit: number) => number>([
  ["Bts", (old, bit) => old | bit],
  ["Btr", (old, bit) => old & ~bit],
  ["Btc", (old, bit) => old ^ bit],
]);

/**
 * Read-modify-write instructions on the entry, as Xen's x86_emulate performs them through
 * ptwr_emulated_read/write: OR, AND, XOR, ADD, SUB with a register or immediate source (8, 16,
 * 32 bits; LOCK allowed) and BTS, BTR, BTC (32 bits; a register bit offset selects the dword it
 * falls in). EFLAGS as the CPU sets them (the SDM's undefined ones: AF cleared by the logical
 * operations, BT*'s OF/SF/AF/PF left as they were).
 */
function rmwOf(d: Domain, insn: Instruction, lin: number): Store | null {
  const form = rmForm(insn);
  if (form === null) return null;
  const [op, bytes] = form;
  const src = insn.op1Kind === OpKind.Register ? regValue(d, insn.op1Register)
    : insn.op1Kind === OpKind.Immediate8 || insn.op1Kind === OpKind.Immediate16 || insn.op1Kind === OpKind.Immediate32 ||
      insn.op1Kind === OpKind.Immediate8to16 || insn.op1Kind === OpKind.Immediate8to32
      ? Number(BigInt.asUintN(32, insn.immediate(1))) : null;
  if (src === null) return null;
  const alu = ALU.get(op);
  if (alu) {
    const msk = mask(bytes);
    return {
      lin, bytes, lo: 0, hi: 0, kind: "rmw",
      rmw: (old, eflags) => {
        const [raw, kind] = alu(old, src & msk);
        const res = (raw & msk) >>> 0;
        return [res, arithFlags(eflags, kind, old, src & msk, res, bytes)];
      },
    };
  }
  const bitOp = BIT_OPS.get(op);
  if (bitOp && bytes === 4) {
    // BT* m32, r32: the signed bit offset reaches other dwords; m32, imm8: modulo 32.
    let at = lin, n = src & 31;
    if (insn.op1Kind === OpKind.Register) at = (lin + Math.floor((src | 0) / 32) * 4) >>> 0;
    const bit = (1 << n) >>> 0;
    return {
      lin: at, bytes, lo: 0, hi: 0, kind: "rmw",
      rmw: (old, eflags) => [bitOp(old, bit) >>> 0, (old & bit) ? eflags | FLAG_CF : eflags & ~FLAG_CF],
    };
  }
  return null;
}

/** EFLAGS after a logical (CF = OF = 0), ADD or SUB operation of `bytes` width. */
function arithFlags(eflags: number, kind: "logic" | "add" | "sub", a: number, b: number, res: number, bytes: number): number {
  const sign = 2 ** (bytes * 8 - 1);
  let f = eflags & ~(FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF);
  if (kind === "add") {
    if (res < a) f |= FLAG_CF;
    if ((((a ^ res) & (b ^ res)) >>> 0) & sign) f |= FLAG_OF;
    if ((a ^ b ^ res) & 0x10) f |= FLAG_AF;
  } else if (kind === "sub") {
    if (a < b) f |= FLAG_CF;
    if ((((a ^ b) & (a ^ res)) >>> 0) & sign) f |= FLAG_OF;
    if ((a ^ b ^ res) & 0x10) f |= FLAG_AF;
  }
  if (res === 0) f |= FLAG_ZF;
  if (res >= sign) f |= FLAG_SF;
  let x = res & 0xff; x ^= x >> 4; x ^= x >> 2; x ^= x >> 1;
  if (!(x & 1)) f |= FLAG_PF;
  return f >>> 0;
}

function sizeOf(code: Iced.Code): number {
  const { Code } = icedPackage();
  switch (code) {
    case Code.Mov_rm8_r8: case Code.Xchg_rm8_r8: case Code.Cmpxchg_rm8_r8: case Code.Mov_rm8_imm8: return 1;
    case Code.Mov_rm16_r16: case Code.Xchg_rm16_r16: case Code.Cmpxchg_rm16_r16: case Code.Mov_rm16_imm16: return 2;
    default: return 4;
  }
}

const mask = (bytes: number) => (bytes >= 4 ? 0xffffffff : (1 << (bytes * 8)) - 1);

/**
 * ptwr_emulated_update: apply `s` to the L1 `table`. False when Xen's emulation refuses it
 * (X86EMUL_UNHANDLEABLE): the guest then gets the #PF.
 */
function emulatedUpdate(d: Domain, table: Mfn, cr2: number, s: Store): boolean {
  const p = d.paging;
  const entryBytes = p.fmt.bytes;
  // Only naturally-aligned stores within the original CR2 page.
  if (((s.lin ^ cr2) & ~0xfff) !== 0 || (s.lin & (s.bytes - 1)) !== 0) return false;
  if (s.bytes > entryBytes) return false; // CMPXCHG8B on a 4-byte classic entry
  const index = ((s.lin & 0xfff) / entryBytes) | 0;
  const [olo, ohi] = p.readEntry(table, index);
  const off = s.lin & (entryBytes - 1); // byte offset inside the entry
  const m = d.machine;
  // A read-modify-write instruction computes its value from the current one.
  let rmwFlags = 0;
  if (s.rmw) {
    const cur = ((off < 4 ? olo >>> (off * 8) : ohi >>> ((off - 4) * 8)) & mask(s.bytes)) >>> 0;
    [s.lo, rmwFlags] = s.rmw(cur, m.eflags);
  }
  // The whole entry after the store (sub-word stores merged with the current entry).
  let nlo = olo, nhi = ohi;
  if (s.bytes === 8) { nlo = s.lo; nhi = s.hi; }
  else if (off < 4) { const sh = off * 8, m = (mask(s.bytes) << sh) >>> 0; nlo = ((olo & ~m) | ((s.lo << sh) & m)) >>> 0; }
  else { const sh = (off - 4) * 8, m = (mask(s.bytes) << sh) >>> 0; nhi = ((ohi & ~m) | ((s.lo << sh) & m)) >>> 0; }
  // The value the instruction reads back (XCHG's old value, CMPXCHG's comparison), unmerged.
  const oldPart = s.bytes === 8 ? [olo, ohi] : [((off < 4 ? olo >>> (off * 8) : ohi >>> ((off - 4) * 8)) & mask(s.bytes)) >>> 0, 0];
  const compareExchange = s.kind === "cmpxchg" || s.kind === "cmpxchg8b";
  const want = s.kind === "cmpxchg8b" ? [m.reg("eax"), m.reg("edx")] : [m.reg("eax") & mask(s.bytes), 0];
  const setFlags = (equal: boolean) => {
    if (s.kind === "cmpxchg") setCmpFlags(d, want[0], oldPart[0], s.bytes);
    else m.eflags = equal ? m.eflags | FLAG_ZF : m.eflags & ~FLAG_ZF;
  };
  if (compareExchange && (want[0] !== oldPart[0] || want[1] !== oldPart[1])) {
    // X86EMUL_CMPXCHG_FAILED: nothing written; the accumulator gets the current value.
    setFlags(false);
    if (s.kind === "cmpxchg8b") { m.setReg("eax", oldPart[0]); m.setReg("edx", oldPart[1]); }
    else setRegValue(d, s.bytes === 4 ? Register.EAX : s.bytes === 2 ? Register.AX : Register.AL, oldPart[0]);
    return true;
  }
  // Check the new entry (get_page_from_l1e), taking its references; nothing changed before this.
  if (nlo & _PAGE_PRESENT) {
    const rc = p.getL1e(nlo, nhi, d.domid);
    if (rc !== 0) {
      // An upper-half store to a PAE entry: assume the lower half comes next; write it not present.
      if (!(entryBytes === 8 && s.bytes === 4 && (s.lin & 4) && !compareExchange)) return false;
      p.log(`ptwr_emulate: fixing up invalid PAE PTE ${nhi.toString(16)}:${nlo.toString(16)}`);
      nlo &= ~_PAGE_PRESENT;
    }
  }
  p.writeEntry(table, index, nlo, nhi);
  p.putL1e(olo, ohi);
  if (compareExchange) setFlags(true);
  if (s.kind === "rmw") m.eflags = rmwFlags;
  if (s.kind === "xchg") setRegValue(d, s.reg!, oldPart[0]);
  return true;
}

/** EFLAGS after CMP a, b at `bytes` width (CMPXCHG's comparison of the accumulator). */
function setCmpFlags(d: Domain, a: number, b: number, bytes: number): void {
  const bits = bytes * 8, msk = mask(bytes), sign = 2 ** (bits - 1);
  const res = ((a - b) & msk) >>> 0;
  let f = d.machine.eflags & ~(FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF);
  if ((a >>> 0) < (b >>> 0)) f |= FLAG_CF;
  if (res === 0) f |= FLAG_ZF;
  if (res >= sign) f |= FLAG_SF;
  if ((((a ^ b) & (a ^ res)) >>> 0) & sign) f |= FLAG_OF;
  if ((a ^ b ^ res) & 0x10) f |= FLAG_AF;
  let x = res & 0xff; x ^= x >> 4; x ^= x >> 2; x ^= x >> 1;
  if (!(x & 1)) f |= FLAG_PF;
  d.machine.eflags = f >>> 0;
}
