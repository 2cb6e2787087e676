// Guest memory as the hypervisor sees it: copy_from_guest / copy_to_guest (Xen
// include/asm-x86/guest_access.h, compat access_ok). A guest handle is a linear address in the
// guest's current address space, reached through the guest's own page tables with the guest
// kernel's rights: ring 1 is supervisor, CR0.WP is always on, so a read-only page stays read-only
// to the hypervisor too. Walking sets accessed bits (and dirty for writes) as the MMU would when
// Xen touches the page. An address range that reaches the hypervisor area, wraps, or is not mapped
// is a fault: the hypercall returns -EFAULT; a bounce frame that cannot be written kills the domain.
import type { Machine } from "../core/machine.ts";
import { L } from "../core/layout.gen.ts";

/** A guest access the hypervisor could not make (the hypercall returns -EFAULT). */
export class GuestFault extends Error {
  constructor(readonly lin: number, readonly write: boolean, why: string) {
    super(`guest ${write ? "write" : "read"} at 0x${(lin >>> 0).toString(16)}: ${why}`);
  }
}

const P = 1, RW = 2, A = 0x20, D = 0x40, PS = 0x80;
const CR0_PG = 1 << 31, CR4_PSE = 1 << 4, CR4_PAE = 1 << 5;

export class GuestMemory {
  private readonly dv: DataView;
  constructor(readonly machine: Machine, /** first linear address of the hypervisor area */ readonly hvStart: number) {
    this.dv = machine.core.dv;
  }

  private ramU32(ma: number): number { return this.dv.getUint32(L.RAM_BASE + ma, true); }
  private setRamU32(ma: number, v: number): void { this.dv.setUint32(L.RAM_BASE + ma, v >>> 0, true); }
  private inRam(ma: number, len: number): boolean { return ma >= 0 && ma + len <= this.machine.ramBytes; }

  /** Check that [lin, lin+len) lies below the hypervisor area and does not wrap (compat access_ok). */
  checkRange(lin: number, len: number, write: boolean): void {
    lin >>>= 0;
    if (len < 0 || lin + len > this.hvStart) throw new GuestFault(lin, write, "range reaches the hypervisor area");
  }

  /** Machine address of `lin` for a supervisor access, or a GuestFault. Sets A (and D) bits. */
  translate(lin: number, write: boolean): number {
    lin >>>= 0;
    if (lin >= this.hvStart) throw new GuestFault(lin, write, "hypervisor area");
    const m = this.machine;
    if (!(m.field(L.S_CR0) & CR0_PG)) return lin;
    const cr4 = m.field(L.S_CR4), cr3 = m.field(L.S_CR3);
    // Each level: present, writable for writes (WP on), within RAM; accessed bit set on use.
    const level = (ma: number, wide: boolean, leaf: (e: number) => boolean): number => {
      if (!this.inRam(ma, wide ? 8 : 4)) throw new GuestFault(lin, write, "page-table entry outside RAM");
      let e = this.ramU32(ma);
      if (wide && (this.ramU32(ma + 4) & 0x7fffffff) !== 0) throw new GuestFault(lin, write, "entry maps above 4 GiB");
      if (!(e & P)) throw new GuestFault(lin, write, "not present");
      if (write && !(e & RW)) throw new GuestFault(lin, write, "read-only");
      const last = leaf(e);
      const set = A | (write && last ? D : 0);
      if ((e & set) !== set) { e |= set; this.setRamU32(ma, e); }
      return e;
    };
    if (cr4 & CR4_PAE) {
      // The PV L3 is walked like any other level (XEN-PV-ABI.md §1).
      const l3 = level(((cr3 & ~0x1f) >>> 0) + (lin >>> 30) * 8, true, () => false);
      const l2 = level(((l3 & ~0xfff) >>> 0) + ((lin >>> 21) & 511) * 8, true, (e) => (e & PS) !== 0);
      if (l2 & PS) return ((l2 & 0xffe00000) >>> 0) + (lin & 0x1fffff);
      const l1 = level(((l2 & ~0xfff) >>> 0) + ((lin >>> 12) & 511) * 8, true, () => true);
      return ((l1 & ~0xfff) >>> 0) + (lin & 0xfff);
    }
    const pde = level(((cr3 & ~0xfff) >>> 0) + (lin >>> 22) * 4, false, (e) => (e & PS) !== 0 && (cr4 & CR4_PSE) !== 0);
    if ((pde & PS) && (cr4 & CR4_PSE)) return ((pde & 0xffc00000) >>> 0) + (lin & 0x3fffff);
    const pte = level(((pde & ~0xfff) >>> 0) + ((lin >>> 12) & 1023) * 4, false, () => true);
    return ((pte & ~0xfff) >>> 0) + (lin & 0xfff);
  }

  /** Translate every page of [lin, lin+len) first, so a fault leaves guest memory untouched. */
  private pages(lin: number, len: number, write: boolean): { ma: number; n: number }[] {
    this.checkRange(lin, len, write);
    const out: { ma: number; n: number }[] = [];
    let at = lin >>> 0, left = len;
    while (left > 0) {
      const n = Math.min(left, 0x1000 - (at & 0xfff));
      const ma = this.translate(at, write);
      if (!this.inRam(ma, n)) throw new GuestFault(at, write, "maps outside RAM");
      out.push({ ma, n });
      at += n; left -= n;
    }
    return out;
  }

  /** copy_from_guest */
  read(lin: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let o = 0;
    for (const { ma, n } of this.pages(lin, len, false)) {
      out.set(this.machine.u8.subarray(L.RAM_BASE + ma, L.RAM_BASE + ma + n), o);
      o += n;
    }
    return out;
  }

  /** copy_to_guest (all pages are checked before any byte is written) */
  write(lin: number, data: Uint8Array): void {
    let o = 0;
    for (const { ma, n } of this.pages(lin, data.length, true)) {
      this.machine.writePhys(ma, data.subarray(o, o + n));
      o += n;
    }
  }

  readU8(lin: number): number { return this.read(lin, 1)[0]; }
  readU16(lin: number): number { const b = this.read(lin, 2); return b[0] | (b[1] << 8); }
  readU32(lin: number): number { const b = this.read(lin, 4); return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0; }
  writeU8(lin: number, v: number): void { this.write(lin, Uint8Array.of(v)); }
  writeU16(lin: number, v: number): void { this.write(lin, Uint8Array.of(v, v >>> 8)); }
  writeU32(lin: number, v: number): void { this.write(lin, u32le(v)); }
  /** Several u32 words at once (one fault check for the whole range). */
  readU32s(lin: number, count: number): number[] {
    const out = new Array<number>(count);
    const ma = this.samePage(lin, count * 4, false);
    if (ma >= 0) {
      for (let i = 0; i < count; i++) out[i] = this.dv.getUint32(L.RAM_BASE + ma + i * 4, true);
      return out;
    }
    const b = this.read(lin, count * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
    return out;
  }
  writeU32s(lin: number, words: number[]): void {
    const ma = this.samePage(lin, words.length * 4, true);
    if (ma >= 0) {
      for (let i = 0; i < words.length; i++) this.dv.setUint32(L.RAM_BASE + ma + i * 4, words[i] >>> 0, true);
      this.machine.invalidateCode(ma >>> 12);
      return;
    }
    const b = new Uint8Array(words.length * 4);
    const dv = new DataView(b.buffer);
    words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    this.write(lin, b);
  }

  /** The common case: a range within one page. Its machine address, or -1 when it crosses. */
  private samePage(lin: number, len: number, write: boolean): number {
    lin >>>= 0;
    if (len === 0 || (lin & 0xfff) + len > 0x1000) return -1;
    this.checkRange(lin, len, write);
    const ma = this.translate(lin, write);
    if (!this.inRam(ma, len)) throw new GuestFault(lin, write, "maps outside RAM");
    return ma;
  }
}

export function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}
