// Privileged instructions a PV guest may use (Xen arch/x86/pv/emul-priv-op.c): the guest kernel
// runs in ring 1, so these raise #GP(0) and the hypervisor emulates an allow-list of them; any
// other #GP(0) is bounced to the guest. Emulated here:
//   CLI / STI        when the virtual IOPL allows (iopl_ok: ring 1, or ring 0 under
//                    architectural_iopl, compared with the virtual IOPL): they set / clear
//                    evtchn_upcall_mask, the virtual IF.
//   IN / OUT         (imm8 and DX forms) under the same virtual-IOPL rule. A domU has no I/O port
//                    rights: IN reads all ones, OUT is dropped (admin_io_okay fails).
//   CLTS             clears the virtual CR0.TS.
//   MOV from CR0/2/3/4, MOV to CR0 (only TS may change) / CR2 / CR3 (new base = NEW_BASEPTR) /
//                    CR4 (only if unchanged); MOV to/from DR0-3, DR6, DR7.
//   WBINVD           a no-op for a domU without cache-flush rights.
// NOT emulated (the guest gets the #GP): INS/OUTS, RDMSR/WRMSR (no MSR is exposed), HLT, LGDT,
// LIDT, LTR, LLDT, INVLPG. Operand-size, address-size, segment and REP prefixes are accepted
// where they do not change the meaning; anything else is not emulated.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { VMASST_TYPE } from "./abi.ts";
import { GuestFault } from "./guest-memory.ts";
import { cpuid } from "./cpuid.ts";
import { newBaseptr } from "./mm/new-baseptr.ts";

const GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
const CR0_TS = 1 << 3;

/** iopl_ok: the guest kernel is ring 1 (ring 0 under architectural_iopl), user mode ring 3. */
function ioplOk(d: Domain): boolean {
  const ring = d.cpl === 3 ? 3 : (d.vmAssist & (1 << VMASST_TYPE.architectural_iopl)) ? 0 : 1;
  return ring <= d.vcpu.iopl;
}

/** Fetch up to 15 instruction bytes at CS:EIP, stopping at the first that cannot be read. */
function fetch(d: Domain): number[] {
  const m = d.machine, base = m.field(L.S_SEG_BASE + 4), eip = m.eip;
  const out: number[] = [];
  try {
    for (let i = 0; i < 15; i++) out.push(d.mem.readU8((base + eip + i) >>> 0));
  } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  return out;
}

/** Try to emulate the instruction at EIP that raised #GP(0). Returns true when it did. */
export function emulatePrivilegedOp(d: Domain): boolean {
  const m = d.machine, v = d.vcpu;
  const b = fetch(d);
  let i = 0, opsize = 4;
  for (; i < b.length; i++) {
    const p = b[i];
    if (p === 0x66) opsize = 2;
    else if (![0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x67, 0xf2, 0xf3].includes(p)) break;
  }
  if (i >= b.length) return false;
  const op = b[i++];
  const done = (len: number): true => { m.eip = (m.eip + len) >>> 0; d.stats.emulated++; return true; };
  const kernel = d.cpl !== 3;
  switch (op) {
    case 0xfa: case 0xfb: // CLI / STI
      if (!ioplOk(d)) return false;
      d.upcallMask = op === 0xfa;
      return done(i);
    case 0xe4: case 0xe5: case 0xec: case 0xed: case 0xe6: case 0xe7: case 0xee: case 0xef: {
      if (!ioplOk(d)) return false;
      const size = (op & 1) === 0 ? 1 : opsize;
      const len = op < 0xe8 ? i + 1 : i;
      if (len > b.length) return false;
      const isIn = (op & 2) === 0;
      if (isIn) {
        const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
        m.setReg("eax", ((m.reg("eax") & ~mask) | mask) >>> 0);
      }
      return done(len);
    }
    case 0x0f: break;
    default: return false;
  }
  if (!kernel || i >= b.length) return false;
  const op2 = b[i++];
  switch (op2) {
    case 0x06: v.cr0Ts = false; syncTs(d); return done(i); // CLTS
    case 0x09: return done(i); // WBINVD
    case 0x20: case 0x22: case 0x21: case 0x23: {
      if (i >= b.length) return false;
      const modrm = b[i++];
      // MOV CR/DR always uses the register form (mod is ignored: SDM Vol. 2, MOV—Move to/from CR).
      const reg = (modrm >> 3) & 7, rm = modrm & 7;
      if (op2 === 0x20) {
        const val = readCr(d, reg);
        if (val === null) return false;
        m.setReg(GPR[rm], val);
        return done(i);
      }
      if (op2 === 0x22) return writeCr(d, reg, m.reg(GPR[rm])) && done(i);
      if (op2 === 0x21) {
        const val = readDr(d, reg);
        if (val === null) return false;
        m.setReg(GPR[rm], val);
        return done(i);
      }
      return writeDr(d, reg, m.reg(GPR[rm])) && done(i);
    }
    default: return false;
  }
}

/** The real CR0.TS follows the virtual one, so the guest's FPU use raises #NM. */
export function syncTs(d: Domain): void {
  const cr0 = d.machine.field(L.S_CR0);
  d.machine.setField(L.S_CR0, d.vcpu.cr0Ts ? cr0 | CR0_TS : cr0 & ~CR0_TS);
}

/** The guest's view of CR4: PAE on for the PAE layout; nothing else is exposed. */
export function guestCr4(d: Domain): number { return d.layout === "pae" ? 1 << 5 : 0; }

function readCr(d: Domain, n: number): number | null {
  const m = d.machine;
  switch (n) {
    case 0: return ((m.field(L.S_CR0) & ~CR0_TS) | (d.vcpu.cr0Ts ? CR0_TS : 0)) >>> 0;
    case 2: return d.vcpu.cr2;
    case 3: { const mfn = m.field(L.S_CR3) >>> 12; return ((mfn << 12) | (mfn >>> 20)) >>> 0; } // xen_pfn_to_cr3
    case 4: return guestCr4(d);
    default: return null;
  }
}

function writeCr(d: Domain, n: number, val: number): boolean {
  switch (n) {
    case 0:
      // Only TS may change ("Attempt to change unmodifiable CR0 flags" otherwise).
      if (((val ^ (readCr(d, 0) as number)) & ~CR0_TS) !== 0) return false;
      d.vcpu.cr0Ts = (val & CR0_TS) !== 0;
      syncTs(d);
      return true;
    case 2: d.vcpu.cr2 = val >>> 0; return true;
    case 3: return newBaseptr(d, ((val >>> 12) | (val << 20)) >>> 0) === 0; // xen_cr3_to_pfn
    case 4: return val === guestCr4(d);
    default: return false;
  }
}

export function readDr(d: Domain, n: number): number | null {
  if (n === 4 || n === 5) n += 2; // aliases of DR6/DR7 while CR4.DE is clear (it always is)
  return n <= 3 || n >= 6 ? d.machine.field(L.S_DR + 4 * n) : null;
}

/** set_debugreg's checks: breakpoints must lie below the hypervisor area. */
export function writeDr(d: Domain, n: number, val: number): boolean {
  if (n === 4 || n === 5) n += 2;
  if (n <= 3) { if (val >>> 0 >= d.hvStart) return false; }
  else if (n === 6) val = (val & 0x0000e00f) | 0xffff0ff0;
  else if (n === 7) { if (val & 0x2000) return false; val = (val & 0xffff27ff) | 0x400; } // no GD
  else return false;
  d.machine.setField(L.S_DR + 4 * n, val);
  return true;
}

/** #UD: `ud2a; "xen"` followed by `cpuid` is emulated as CPUID (EIP past all 7 bytes). */
export function emulateForcedPrefix(d: Domain): boolean {
  const b = fetch(d);
  const sig = [0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2];
  if (b.length < 7 || sig.some((x, i) => b[i] !== x)) return false;
  const m = d.machine;
  const r = cpuid(d, m.reg("eax"), m.reg("ecx"));
  m.setReg("eax", r[0]); m.setReg("ebx", r[1]); m.setReg("ecx", r[2]); m.setReg("edx", r[3]);
  m.eip = (m.eip + 7) >>> 0;
  d.stats.emulated++;
  return true;
}
