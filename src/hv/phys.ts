// The hypervisor's access to machine memory: reads and writes by machine address, bypassing the
// guest's paging. Writes drop decoded code of the pages they touch (the core's store path does
// that for guest stores; host stores must do it themselves).
import type { Machine } from "../core/machine.ts";
import { L } from "../core/layout.gen.ts";
import { type Ma, type Mfn, mfnToMa, PAGE_SIZE, hex } from "./addr.ts";

export class PhysMem {
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  readonly bytes: number;

  constructor(readonly machine: Machine) {
    this.dv = machine.core.dv;
    this.u8 = machine.core.u8;
    this.bytes = machine.ramBytes;
  }

  private at(a: Ma, len: number): number {
    if (a < 0 || a + len > this.bytes) throw new RangeError(`${len} bytes at machine address ${hex(a)} are outside RAM`);
    return L.RAM_BASE + a;
  }
  private touched(a: Ma, len: number): void {
    for (let p = Math.floor(a / PAGE_SIZE); p <= Math.floor((a + len - 1) / PAGE_SIZE); p++) this.machine.invalidateCode(p);
  }

  read32(a: Ma): number { return this.dv.getUint32(this.at(a, 4), true); }
  read64(a: Ma): bigint { return this.dv.getBigUint64(this.at(a, 8), true); }
  write32(a: Ma, v: number): void { this.dv.setUint32(this.at(a, 4), v >>> 0, true); this.touched(a, 4); }
  write64(a: Ma, v: bigint): void { this.dv.setBigUint64(this.at(a, 8), v, true); this.touched(a, 8); }
  read(a: Ma, len: number): Uint8Array { const o = this.at(a, len); return this.u8.slice(o, o + len); }
  write(a: Ma, data: Uint8Array): void { if (data.length === 0) return; this.u8.set(data, this.at(a, data.length)); this.touched(a, data.length); }
  fillFrame(f: Mfn, byte: number): void {
    const a = mfnToMa(f);
    this.u8.fill(byte, this.at(a, PAGE_SIZE), this.at(a, PAGE_SIZE) + PAGE_SIZE);
    this.touched(a, PAGE_SIZE);
  }
  zeroFrame(f: Mfn): void { this.fillFrame(f, 0); }
}
