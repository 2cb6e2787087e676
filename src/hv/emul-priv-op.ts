// Privileged instructions a PV guest may use (Xen arch/x86/pv/emul-priv-op.c): the guest kernel
// runs in ring 1, so these raise #GP(0) and the hypervisor emulates an allow-list of them; any
// other #GP(0) is bounced to the guest. Emulated here:
//   CLI / STI        when the virtual IOPL allows (iopl_ok, io-ports.ts): a no-op, as in Xen
//                    (its validate hook completes them without touching evtchn_upcall_mask:
//                    "too dangerous to allow"); otherwise #GP(0).
//   IN / OUT         (imm8 and DX forms) and INS / OUTS (with REP) when guest_io_okay allows the
//                    port (virtual IOPL or the set_iobitmap bitmap, io-ports.ts); what the access
//                    does is guest_io_read / guest_io_write. INS/OUTS check their segment as Xen's
//                    rep_ins / rep_outs do (ES writable data for INS; OUTS's source readable),
//                    each element's offset against the limit (#GP(0), #SS(0) for SS), and a guest
//                    page that cannot be accessed is a #PF at that address. A REP runs at most
//                    REP_CHUNK elements per emulation, leaving EIP on the instruction while ECX
//                    is not exhausted (the guest re-executes it).
//   RDMSR / WRMSR    by Xen's PV MSR policy (msr.ts); an MSR it does not handle is #GP(0).
//   CLTS             clears the virtual CR0.TS.
//   MOV from CR0/2/3/4, MOV to CR0 (only TS may change) / CR2 / CR3 (new base = NEW_BASEPTR) /
//                    CR4 (only if unchanged); MOV to/from DR0-3, DR6, DR7.
//   WBINVD           a no-op for a domU without cache-flush rights.
// NOT emulated (the guest gets the #GP): HLT, LGDT, LIDT, LTR, LLDT, INVLPG. Operand-size,
// address-size, segment and REP prefixes are accepted where they do not change the meaning;
// anything else is not emulated.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { GuestFault } from "./guest-memory.ts";
import { cpuid } from "./cpuid.ts";
import { newBaseptr } from "./mm/new-baseptr.ts";
import { ioplOk, guestIoOkay, guestIoRead, guestIoWrite } from "./io-ports.ts";
import { readMsr, writeMsr } from "./msr.ts";

const GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
const CR0_TS = 1 << 3;
const SR_ES = 0, SR_CS = 1, SR_SS = 2, SR_DS = 3;
const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
const EF_DF = 1 << 10;
/** At most this many REP INS/OUTS elements per emulation (hypercall_preempt_check's role in Xen). */
export const REP_CHUNK = 4096;

/** An exception the emulation raises in the guest instead of completing the instruction. */
export interface EmulFault { vector: number; errorCode: number; cr2?: number }
/** true: emulated; false: not emulated (the #GP(0) goes to the guest); or a fault to deliver. */
export type EmulResult = boolean | EmulFault;

/** Fetch up to 15 instruction bytes at CS:EIP, stopping at the first that cannot be read. */
function fetch(d: Domain): number[] {
  const m = d.machine, base = m.field(L.S_SEG_BASE + 4), eip = m.eip;
  const out: number[] = [];
  try {
    for (let i = 0; i < 15; i++) out.push(d.mem.readU8((base + eip + i) >>> 0));
  } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  return out;
}

/** Try to emulate the instruction at EIP that raised #GP(0). */
export function emulatePrivilegedOp(d: Domain): EmulResult {
  const m = d.machine, v = d.vcpu;
  const b = fetch(d);
  let i = 0, opsize = 4, addr32 = (m.field(L.S_SEG_ATTR + 4 * SR_CS) & 0x4000) !== 0, seg = -1, rep = false;
  for (; i < b.length; i++) {
    const p = b[i];
    if (p === 0x66) opsize = 2;
    else if (p === 0x67) addr32 = !addr32;
    else if (p in SEG_PREFIX) seg = SEG_PREFIX[p];
    else if (p === 0xf3 || p === 0xf2) rep = true;
    else break;
  }
  if (i >= b.length) return false;
  const op = b[i++];
  const done = (len: number): true => { m.eip = (m.eip + len) >>> 0; d.stats.emulated++; return true; };
  const kernel = d.cpl !== 3;
  switch (op) {
    case 0xfa: case 0xfb: // CLI / STI: completed without effect (Xen's validate returns X86EMUL_DONE)
      if (!ioplOk(d)) return false;
      return done(i);
    case 0xe4: case 0xe5: case 0xec: case 0xed: case 0xe6: case 0xe7: case 0xee: case 0xef: {
      const size = (op & 1) === 0 ? 1 : opsize;
      const len = op < 0xe8 ? i + 1 : i;
      if (len > b.length) return false;
      const port = op < 0xe8 ? b[i] : m.reg("edx") & 0xffff;
      if (!guestIoOkay(d, port, size)) return false;
      const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      if ((op & 2) === 0) m.setReg("eax", ((m.reg("eax") & ~mask) | (guestIoRead(d, port, size) & mask)) >>> 0);
      else guestIoWrite(d, port, size, m.reg("eax") & mask);
      return done(len);
    }
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
      return stringIo(d, op, i, opsize, addr32, seg, rep);
    case 0x0f: break;
    default: return false;
  }
  if (!kernel || i >= b.length) return false;
  const op2 = b[i++];
  switch (op2) {
    case 0x06: v.cr0Ts = false; syncTs(d); return done(i); // CLTS
    case 0x09: return done(i); // WBINVD
    case 0x30: { // WRMSR
      const val = (BigInt(m.reg("edx")) << 32n) | BigInt(m.reg("eax"));
      return writeMsr(d, m.reg("ecx"), val) ? done(i) : { vector: 13, errorCode: 0 };
    }
    case 0x32: { // RDMSR
      const val = readMsr(d, m.reg("ecx"));
      if (val === null) return { vector: 13, errorCode: 0 };
      m.setReg("eax", Number(val & 0xffffffffn));
      m.setReg("edx", Number(val >> 32n));
      return done(i);
    }
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

/**
 * INS (6c/6d) / OUTS (6e/6f), with or without REP (Xen rep_ins / rep_outs through x86_emulate):
 * the port check first (not allowed: not emulated), then the segment, then element by element.
 */
function stringIo(d: Domain, op: number, len: number, opsize: number, addr32: boolean, segOverride: number, rep: boolean): EmulResult {
  const m = d.machine;
  const size = (op & 1) === 0 ? 1 : opsize;
  const port = m.reg("edx") & 0xffff;
  const isIns = op < 0x6e;
  const amask = addr32 ? 0xffffffff : 0xffff;
  const count = rep ? m.reg("ecx") & amask : 1;
  if (count === 0) { m.eip = (m.eip + len) >>> 0; d.stats.emulated++; return true; }
  if (!guestIoOkay(d, port, size)) return false;
  // INS always writes ES:(E)DI; OUTS reads DS:(E)SI or its override.
  const seg = isIns ? SR_ES : segOverride >= 0 ? segOverride : SR_DS;
  const attr = m.field(L.S_SEG_ATTR + 4 * seg);
  const base = m.field(L.S_SEG_BASE + 4 * seg), limit = m.field(L.S_SEG_LIMIT + 4 * seg);
  const selNull = (m.field(L.S_SEG_SEL + 4 * seg) & 0xfffc) === 0;
  if (selNull || !(attr & 0x80)) return false; // !sreg.p: UNHANDLEABLE
  const code = (attr & 8) !== 0, rw = (attr & 2) !== 0, s = (attr & 0x10) !== 0;
  const segFault: EmulFault = { vector: seg === SR_SS ? 12 : 13, errorCode: 0 };
  if (!s || (isIns ? code || !rw : code && !rw)) return isIns ? { vector: 13, errorCode: 0 } : segFault;
  const idx = isIns ? "edi" : "esi";
  const step = (m.eflags & EF_DF) ? -size : size;
  let off = m.reg(idx) & amask, done = 0;
  let fault: EmulFault | null = null;
  const n = Math.min(count, REP_CHUNK);
  while (done < n) {
    // pv_emul_virt_to_linear: the element must lie within the limit (expand-up segments here).
    if (limit < size - 1 || off > limit - size + 1) { fault = segFault; break; }
    const lin = (base + off) >>> 0;
    try {
      if (isIns) {
        const data = guestIoRead(d, port, size);
        d.mem.write(lin, Uint8Array.from({ length: size }, (_, k) => (data >>> (8 * k)) & 0xff));
      } else {
        const bytes = d.mem.read(lin, size);
        guestIoWrite(d, port, size, bytes.reduce((a, x, k) => a | (x << (8 * k)), 0) >>> 0);
      }
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      fault = { vector: 14, errorCode: (isIns ? 2 : 0) | (d.cpl === 3 ? 4 : 0), cr2: e.lin };
      break;
    }
    done++;
    off = (off + step) & amask;
  }
  // Retire what was done: (E)DI/(E)SI moved, (E)CX counted down; EIP past the instruction once
  // the count is exhausted (or for a single INS/OUTS).
  const setPart = (r: "edi" | "esi" | "ecx", val: number) => m.setReg(r, ((m.reg(r) & ~amask) | (val & amask)) >>> 0);
  setPart(idx, off);
  if (rep) setPart("ecx", count - done);
  if (fault) return fault;
  d.stats.emulated++;
  if (!rep || done === count) m.eip = (m.eip + len) >>> 0;
  return true;
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
