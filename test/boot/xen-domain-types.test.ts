// The domain builder types its frames as libxc + Xen do: the top-level table pinned (validating
// the whole initial tree) and referenced by CR3, every page-table frame validated and never
// writable, every other mapped frame holding one writable reference, shared_info shared, the
// hypervisor's frames unmappable. Both layouts.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePvKernel } from "../../src/boot/xen-kernel.ts";
import { bootPvDomain } from "../../src/boot/xen-domain.ts";
import { startPvDomain } from "../../src/boot/xen-run.ts";
import { PGT, PGT_PAE_XEN_L2 } from "../../src/hv/page-info.ts";
import { DOMID_XEN } from "../../src/hv/abi.ts";
import type { Mfn } from "../../src/hv/addr.ts";
import { PV_GUEST_DIR } from "../helpers/pv-guest.ts";

for (const layout of ["pae", "classic"] as const) {
  describe(`builder page types (${layout})`, () => {
    const kernel = parsePvKernel(readFileSync(join(PV_GUEST_DIR, `hello-${layout}.elf`)), "hello");
    const { pm, domain } = bootPvDomain(kernel, { nrPages: 2048 });
    const d = startPvDomain(pm, domain, { output: () => {} });
    const pages = pm.pages;
    const pt = domain.virt.pageTables;
    const ptMfns = Array.from({ length: pt.pages }, (_, i) => domain.p2m[pt.pfn + i] as Mfn);

    it("the top-level table is pinned and CR3 holds a type reference on it", () => {
      const top = domain.topTableMfn;
      expect(d.baseMfn).toBe(top);
      expect([pages.typeOf(top), pages.isPinned(top), pages.typeCountOf(top), pages.isValidated(top)])
        .toEqual([layout === "pae" ? PGT.l3 : PGT.l2, true, 2, true]);
      expect(d.hvLog).toEqual([]);
    });

    it("every page-table frame is a validated table referenced once; none is writable", () => {
      const [top, ...rest] = ptMfns;
      expect(top).toBe(domain.topTableMfn);
      const l2s = layout === "pae" ? rest.slice(0, 4) : [];
      const l1s = layout === "pae" ? rest.slice(4) : rest;
      l2s.forEach((f, i) => expect([pages.typeInfo(f), pages.typeCountOf(f), pages.isValidated(f)])
        .toEqual([PGT.l2 | (i === 3 ? PGT_PAE_XEN_L2 : 0), 1, true]));
      for (const f of l1s) expect([pages.typeOf(f), pages.typeCountOf(f), pages.isValidated(f)]).toEqual([PGT.l1, 1, true]);
      // mapped read-only by the initial mappings: a general reference each, besides the allocation
      for (const f of ptMfns) expect(pages.refCount(f)).toBeGreaterThanOrEqual(2);
    });

    it("every other mapped frame holds one writable reference; unmapped frames none", () => {
      const mapped = (domain.virt.mappedEnd - domain.virt.virtBase) / 4096;
      for (let pfn = 0; pfn < domain.nrPages; pfn++) {
        const f = domain.p2m[pfn] as Mfn;
        if (pfn >= pt.pfn && pfn < pt.pfn + pt.pages) continue;
        const want = pfn < mapped ? [PGT.writable, 1, 2] : [PGT.none, 0, 1];
        expect([pages.typeOf(f), pages.typeCountOf(f), pages.refCount(f)]).toEqual(want);
      }
    });

    it("shared_info is shared writable; the M2P and the hypervisor's frames are Xen's, unreferenced", () => {
      const si = domain.sharedInfoMfn;
      expect([pages.typeOf(si), pages.typeCountOf(si), pages.owner(si)]).toEqual([PGT.writable, 1, domain.domid]);
      const m2p = pm.m2p.baseMfn;
      expect([pages.owner(m2p), pages.refCount(m2p)]).toEqual([DOMID_XEN, 0]);
      expect(pages.getPage(m2p, domain.domid)).toBe(false);
    });
  });
}
