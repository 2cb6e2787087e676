// MMU_MACHPHYS_UPDATE on a built domain (which has the machine's M2P), and update_va_mapping's
// flush flags: a vCPU bitmap is read (a fault is -EFAULT, replacing the update's result as in
// Xen's __do_update_va_mapping) and the flush happens even when the update failed.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePvKernel } from "../../../src/boot/xen-kernel.ts";
import { bootPvDomain } from "../../../src/boot/xen-domain.ts";
import { startPvDomain } from "../../../src/boot/xen-run.ts";
import { ERRNO, DOMID_SELF, UVMF_INVLPG, UVMF_TLB_FLUSH, UVMF_ALL } from "../../../src/hv/abi.ts";
import type { Gpfn, Mfn } from "../../../src/hv/addr.ts";
import { mmuUpdate } from "../../../src/hv/mm/mmu-update.ts";
import { updateVaMapping, l1EntryMa } from "../../../src/hv/mm/update-va-mapping.ts";
import { PV_GUEST_DIR } from "../../helpers/pv-guest.ts";

for (const layout of ["pae", "classic"] as const) {
  describe(`a built domain (${layout})`, () => {
    const kernel = parsePvKernel(readFileSync(join(PV_GUEST_DIR, `hello-${layout}.elf`)), "hello");
    const { pm, domain } = bootPvDomain(kernel, { nrPages: 1024 });
    const d = startPvDomain(pm, domain, { output: () => {} });
    const buf = domain.virt.bootStack.virt; // a writable page of the initial mappings
    const req = (ptr: number, val: number) => { d.mem.writeU32s(buf, [ptr, 0, val, 0]); return mmuUpdate(d, buf, 1, buf + 64, DOMID_SELF); };

    it("MACHPHYS_UPDATE sets the M2P entry of the domain's frame; another's -EINVAL", () => {
      const f = domain.p2m[700] as Mfn;
      expect(req(f * 4096 | 1, 12345)).toBe(0);
      expect(pm.m2p.get(f)).toBe(12345);
      expect(req(pm.m2p.baseMfn * 4096 | 1, 5)).toBe(-ERRNO.EINVAL);
      expect(d.paging.stats.machphysUpdates).toBe(1);
      pm.m2p.set(f, 700 as Gpfn);
    });

    it("update_va_mapping: a bitmap that faults gives -EFAULT; a good one gives 0 even for a refused update", () => {
      const va = domain.virt.virtBase + 700 * 4096;
      const f = domain.p2m[700];
      d.mem.writeU32(buf + 128, 1);
      expect(updateVaMapping(d, va, f * 4096 | 0x23, 0, UVMF_INVLPG | (buf + 128))).toBe(0);
      expect(updateVaMapping(d, va, f * 4096 | 0x23, 0, UVMF_TLB_FLUSH | UVMF_ALL)).toBe(0);
      expect(updateVaMapping(d, va, f * 4096 | 0x23, 0, UVMF_TLB_FLUSH | 0xf5900000)).toBe(-ERRNO.EFAULT);
      // Xen: the bitmap read's result replaces the update's (here a refused PCD entry)
      expect(updateVaMapping(d, va, f * 4096 | 0x33, 0, UVMF_INVLPG)).toBe(-ERRNO.EINVAL);
      expect(updateVaMapping(d, va, f * 4096 | 0x33, 0, UVMF_INVLPG | (buf + 128))).toBe(0);
      expect(d.readMachineU32(l1EntryMa(d, va)!)).toBe(f * 4096 | 0x23); // the refused entries changed nothing
    });
  });
}
