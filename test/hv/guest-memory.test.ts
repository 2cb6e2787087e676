// copy_from_guest / copy_to_guest through the guest's page tables with ring-1 rights.
import { describe, it, expect } from "vitest";
import { pvDomain, DATA, va, mfnOf, PT_PFNS } from "../helpers/pv.ts";
import { GuestFault } from "../../src/hv/guest-memory.ts";
import { L } from "../../src/core/layout.gen.ts";

for (const layout of ["pae", "classic"] as const) {
  describe(`guest memory (${layout})`, () => {
    it("reads and writes across a page boundary through scattered frames, setting A and D", () => {
      const { d, m } = pvDomain("nop", layout);
      const at = DATA + 4094;
      d.mem.write(at, Uint8Array.of(1, 2, 3, 4));
      expect([...d.mem.read(at, 4)]).toEqual([1, 2, 3, 4]);
      // the bytes landed in the machine frames the P2M says
      const pfn = (DATA - 0xc0000000) / 4096;
      expect([...m.readPhys(mfnOf(pfn) * 4096 + 4094, 2)]).toEqual([1, 2]);
      expect([...m.readPhys(mfnOf(pfn + 1) * 4096, 2)]).toEqual([3, 4]);
      const esz = layout === "pae" ? 8 : 4;
      const pte = m.core.dv.getUint32(L.RAM_BASE + mfnOf(PT_PFNS[2]) * 4096 + (pfn + 1) * esz, true);
      expect(pte & 0x60).toBe(0x60);
    });

    it("faults on unmapped pages, read-only pages for writes, and the hypervisor area, writing nothing", () => {
      const { d } = pvDomain("nop", layout);
      expect(() => d.mem.read(0xc0300000, 4)).toThrow(GuestFault);
      expect(() => d.mem.write(va(PT_PFNS[0]), Uint8Array.of(1))).toThrow(GuestFault);
      expect(d.mem.read(va(PT_PFNS[0]), 1)).toHaveLength(1); // readable
      expect(() => d.mem.read(d.hvStart - 2, 4)).toThrow(GuestFault);
      // a write whose second page faults leaves the first untouched
      const at = va(PT_PFNS[0]) - 2;
      d.mem.write(at, Uint8Array.of(9, 9));
      expect(() => d.mem.write(at, Uint8Array.of(7, 7, 7, 7))).toThrow(GuestFault);
      expect([...d.mem.read(at, 2)]).toEqual([9, 9]);
    });
  });
}
