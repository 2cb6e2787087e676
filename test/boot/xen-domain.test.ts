// The domain builder against XEN-PV-ABI.md §1, in both layouts: every start_info field, the
// initial page tables walked by the core's own MMU (translate()), P2M/M2P consistency, scattered
// owned frames, the hypervisor area, and a tiny kernel that runs at ring 1 on what was built.
import { describe, it, expect } from "vitest";
import { parsePvKernel, type PvKernel } from "../../src/boot/xen-kernel.ts";
import { bootPvDomain, planVirtLayout, DomainMemoryError, type PvDomain, type PvMachine } from "../../src/boot/xen-domain.ts";
import { decodeStartInfo } from "../../src/boot/xen-start-info.ts";
import { countPageTables } from "../../src/boot/xen-pagetables.ts";
import { buildHypercallPage } from "../../src/hv/hypercall-page.ts";
import { SHARED_INFO, VCPU_INFO, DOMID_XEN, FLAT_RING1_CS, FLAT_RING1_DS } from "../../src/hv/abi.ts";
import { type Ma, mfn, mfnToMa } from "../../src/hv/addr.ts";
import { L } from "../../src/core/layout.gen.ts";
import { buildPvKernel, standardNotes } from "../helpers/pv-kernel.ts";

const ACC_WRITE = 1, ACC_USER = 2;
const NO_MA = 0xffffffff;
const PAGE = 4096;

/** ring-1 probe: reads through the new mappings, reloads DS from the hypervisor's GDT, then writes a page table */
const probeCode = (m2pStart: number) => `
  mov %esi, %ebp
  mov 68(%esi), %ebx          # start_info.mfn_list
  mov (%ebx), %ebx            # p2m[0]
  mov 0x${m2pStart.toString(16)}(,%ebx,4), %ecx   # m2p[p2m[0]]
  mov hypercall_page, %edx
  push $0x12345678            # the boot stack is writable
  pop %edi
  mov $0xe021, %eax
  mov %eax, %ds
  mov %ds, %eax
  mov 60(%esi), %esi          # start_info.pt_base
  movl $1, (%esi)             # page tables are read-only: #PF
`;

function kernelFor(pae: boolean, opts: { virtBase?: number; bss?: number } = {}): PvKernel {
  const virtBase = opts.virtBase ?? 0;
  return parsePvKernel(buildPvKernel({
    code: probeCode(pae ? 0xf5800000 : 0xfc000000), base: virtBase, lmaOffset: virtBase, bss: opts.bss,
    notes: standardNotes({ pae, virtBase }),
  }));
}

function translate(pm: PvMachine, lin: number, acc: number): number {
  return pm.machine.core.exports.translate(lin >>> 0, acc) >>> 0;
}
/** read through the guest's mappings, page by page */
function readLin(pm: PvMachine, lin: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let done = 0; done < len;) {
    const a = translate(pm, lin + done, 0);
    expect(a, `linear ${(lin + done).toString(16)} mapped`).not.toBe(NO_MA);
    const n = Math.min(len - done, PAGE - ((lin + done) % PAGE));
    out.set(pm.mem.read(a as Ma, n), done);
    done += n;
  }
  return out;
}

for (const pae of [true, false]) {
  const name = pae ? "PAE" : "classic";
  describe(`PV domain builder, ${name} layout`, () => {
    const nrPages = 2048; // 8 MiB
    const cmdline = "console=hvc0 xenolith=yes";
    const boot = (k: PvKernel) => bootPvDomain(k, { nrPages, cmdline });

    it("lays the pages out in libxc's order after the kernel and maps up to a 4 MiB boundary", () => {
      const k = kernelFor(pae);
      const v = planVirtLayout(k, nrPages);
      const kend = Math.ceil(k.virtKend / PAGE) * PAGE;
      expect(v.p2m.virt).toBe(kend);
      expect(v.p2m.pages).toBe(2); // 2048 * 4 bytes
      expect(v.startInfo.virt).toBe(kend + 2 * PAGE);
      expect(v.xenstore.virt).toBe(kend + 3 * PAGE);
      expect(v.console.virt).toBe(kend + 4 * PAGE);
      expect(v.pageTables.virt).toBe(kend + 5 * PAGE);
      expect(v.bootStack.virt).toBe(v.pageTables.virt + v.pageTables.pages * PAGE);
      expect(v.stackTop).toBe(v.bootStack.virt + PAGE);
      expect(v.mappedEnd % (4 << 20)).toBe(0);
      expect(v.mappedEnd - v.stackTop).toBeGreaterThanOrEqual(512 * 1024);
      expect(v.mappedEnd - v.stackTop).toBeLessThan(512 * 1024 + (4 << 20));
      // PAE: L3 + 4 L2 + one L1 per 2 MiB; classic: L2 + one L1 per 4 MiB
      expect(v.pageTables.pages).toBe(pae ? 1 + 4 + v.mappedEnd / (2 << 20) : 1 + v.mappedEnd / (4 << 20));
      for (const r of [v.p2m, v.startInfo, v.xenstore, v.console, v.pageTables, v.bootStack]) expect(r.virt).toBe(r.pfn * PAGE);
    });

    it("fills every start_info field", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      const si = decodeStartInfo(readLin(pm, d.virt.startInfo.virt, PAGE));
      expect(si).toEqual({
        magic: pae ? "xen-3.0-x86_32p" : "xen-3.0-x86_32",
        nrPages,
        sharedInfo: mfnToMa(d.sharedInfoMfn),
        flags: 0,
        storeMfn: d.p2m[d.virt.startInfo.pfn + 1],
        storeEvtchn: 1,
        consoleMfn: d.p2m[d.virt.startInfo.pfn + 2],
        consoleEvtchn: 2,
        ptBase: d.virt.startInfo.virt + 3 * PAGE,
        nrPtFrames: countPageTables(d.layout, 0, d.virt.mappedEnd).total,
        mfnList: Math.ceil(d.kernel.virtKend / PAGE) * PAGE,
        modStart: 0,
        modLen: 0,
        cmdLine: cmdline,
        firstP2mPfn: 0,
        nrP2mFrames: 0,
      });
      // the raw bytes: magic NUL-padded, command line NUL-terminated
      const raw = readLin(pm, d.virt.startInfo.virt, PAGE);
      expect(raw.subarray(pae ? 15 : 14, 32).every((b) => b === 0)).toBe(true);
      expect(raw[80 + cmdline.length]).toBe(0);
    });

    it("cuts the command line to 1023 bytes as libxc does", () => {
      const { pm, domain: d } = bootPvDomain(kernelFor(pae), { nrPages, cmdline: "x".repeat(2000) });
      expect(decodeStartInfo(readLin(pm, d.virt.startInfo.virt, PAGE)).cmdLine).toBe("x".repeat(1023));
    });

    it("gives the domain scattered machine frames it owns; the P2M list and the M2P table agree", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      expect(d.p2m.length).toBe(nrPages);
      expect(new Set(d.p2m).size).toBe(nrPages);
      expect([...d.p2m].filter((f, i) => f === i).length).toBeLessThan(16);                       // not identity
      expect([...d.p2m].filter((f, i) => i > 0 && f === d.p2m[i - 1] + 1).length).toBeLessThan(16); // not contiguous
      for (const f of d.p2m) expect(pm.frames.owner(mfn(f))).toBe(d.domid);
      expect(pm.frames.current(d.domid)).toBe(nrPages);
      expect(pm.frames.max(d.domid)).toBe(nrPages);
      // the guest's P2M list, read through its own mappings
      const list = readLin(pm, d.virt.p2m.virt, nrPages * 4);
      expect(new Uint32Array(list.buffer, list.byteOffset, nrPages)).toEqual(d.p2m);
      // M2P: each domain frame maps back; frames of nobody and the M2P's own are invalid
      for (let pfn = 0; pfn < nrPages; pfn++) expect(pm.m2p.get(mfn(d.p2m[pfn]))).toBe(pfn);
      expect(pm.m2p.get(d.sharedInfoMfn)).toBe(0xffffffff);
      expect(pm.m2p.get(pm.m2p.baseMfn)).toBe(0xffffffff);
      expect(pm.m2p.get(mfn(pm.frames.count))).toBe(0xffffffff); // past RAM
      expect(pm.frames.owner(pm.m2p.baseMfn)).toBe(DOMID_XEN);
    });

    it("maps [virt_base, mapped_end) to p2m[pfn], writable and supervisor-only, page tables read-only", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      const pt = d.virt.pageTables;
      for (let va = 0; va < d.virt.mappedEnd; va += PAGE) {
        const pfn = va / PAGE;
        expect(translate(pm, va + 0x123, 0)).toBe(mfnToMa(mfn(d.p2m[pfn])) + 0x123);
        const isPt = pfn >= pt.pfn && pfn < pt.pfn + pt.pages;
        expect(translate(pm, va, ACC_WRITE) === NO_MA, `write to ${va.toString(16)}`).toBe(isPt);
        if (va % (256 * PAGE) === 0) expect(translate(pm, va, ACC_USER)).toBe(NO_MA);
      }
      // nothing past the initial mappings, though the domain has those frames
      expect(translate(pm, d.virt.mappedEnd, 0)).toBe(NO_MA);
      expect(translate(pm, 0x40000000, 0)).toBe(NO_MA);
      expect(d.nrPages * PAGE).toBeGreaterThan(d.virt.mappedEnd);
      // the top table is the first page-table frame, and pt_base maps to it
      expect(d.topTableMfn).toBe(d.p2m[pt.pfn]);
      expect(pm.machine.field(L.S_CR3)).toBe(mfnToMa(d.topTableMfn));
    });

    it("writes the top-level entries as the ABI says", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      const top = mfnToMa(d.topTableMfn);
      const ptMfn = (i: number) => d.p2m[d.virt.pageTables.pfn + i];
      if (pae) {
        for (let i = 0; i < 4; i++) expect(pm.mem.read64((top + i * 8) as Ma)).toBe(BigInt(ptMfn(1 + i) * PAGE | 0x67)); // P|RW|U|A|D
      } else {
        // L2[0] → first L1, P|RW|U|A|D (the core's walk may have set nothing else: no access yet)
        expect(pm.mem.read32(top as Ma)).toBe(ptMfn(1) * PAGE | 0x67);
      }
    });

    it("maps the M2P table read-only and user-readable at MACH2PHYS_VIRT_START, and the GDT's reserved page", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      const m2pVirt = pae ? 0xf5800000 : 0xfc000000;
      const f = d.p2m[5];
      expect(translate(pm, m2pVirt + f * 4, ACC_USER)).toBe(pm.m2p.baseMa + f * 4);
      expect(new DataView(readLin(pm, m2pVirt + f * 4, 4).buffer).getUint32(0, true)).toBe(5);
      expect(translate(pm, m2pVirt, ACC_WRITE)).toBe(NO_MA);
      // one superpage: 2 MiB (PAE), 4 MiB (classic); the rest of the 16 MiB PAE area is not present
      const span = pae ? 2 << 20 : 4 << 20;
      expect(translate(pm, m2pVirt + span - 4, ACC_USER)).toBe(pm.m2p.baseMa + span - 4);
      if (pae) expect(translate(pm, m2pVirt + span, 0)).toBe(NO_MA);
      // GDT: pages 0-13 (the guest's, none yet) the zero page, page 14 Xen's reserved page;
      // read-only, supervisor only
      const gdt = pae ? 0xf6800000 : 0xfc400000;
      expect(pm.machine.field(L.S_GDTR_BASE)).toBe(gdt);
      expect(pm.machine.field(L.S_GDTR_LIMIT)).toBe(15 * PAGE - 1);
      for (let p = 0; p < 14; p++) expect(translate(pm, gdt + p * PAGE, 0)).toBe(mfnToMa(d.hvArea.zeroPage));
      expect(pm.mem.read(mfnToMa(d.hvArea.zeroPage), PAGE).every((b) => b === 0)).toBe(true);
      expect(translate(pm, gdt + 14 * PAGE, 0)).toBe(mfnToMa(d.hvArea.gdtReserved));
      expect(translate(pm, gdt + 14 * PAGE, ACC_WRITE)).toBe(NO_MA);
      expect(translate(pm, gdt + 3 * PAGE, ACC_WRITE)).toBe(NO_MA);
      expect(translate(pm, gdt + 14 * PAGE, ACC_USER)).toBe(NO_MA);
      expect(translate(pm, gdt + 15 * PAGE, 0)).toBe(NO_MA);
      const limitPages = pae ? 0xf67ff : 0xfc3ff;
      const desc = (sel: number) => pm.mem.read64((mfnToMa(d.hvArea.gdtReserved) + (sel & 0xff8) ) as Ma);
      // base 0, G, D, the layout's flat limit, DPL 1/3 code and data, accessed
      expect(desc(FLAT_RING1_CS)).toBe(0x00c0bb0000000000n | BigInt(limitPages & 0xffff) | (BigInt(limitPages >> 16) << 48n));
      expect(desc(FLAT_RING1_DS)).toBe(0x00c0b30000000000n | BigInt(limitPages & 0xffff) | (BigInt(limitPages >> 16) << 48n));
      expect(desc(0xe02b)).toBe(0x00c0fb0000000000n | BigInt(limitPages & 0xffff) | (BigInt(limitPages >> 16) << 48n));
      expect(desc(0xe033)).toBe(0x00c0f30000000000n | BigInt(limitPages & 0xffff) | (BigInt(limitPages >> 16) << 48n));
      expect(desc(0xe008)).toBe(0x00cf9b000000ffffn);
      expect(pm.frames.owner(d.hvArea.gdtReserved)).toBe(DOMID_XEN);
    });

    it("fills the hypercall page and zeroes shared_info with every vCPU's events masked", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      expect(readLin(pm, d.kernel.hypercallPage!, PAGE)).toEqual(buildHypercallPage());
      const si = pm.mem.read(mfnToMa(d.sharedInfoMfn), PAGE);
      for (let i = 0; i < PAGE; i++) {
        const vcpu = Math.floor((i - SHARED_INFO.vcpu_info) / VCPU_INFO.size);
        const isMask = vcpu < 32 && i % VCPU_INFO.size === VCPU_INFO.evtchn_upcall_mask;
        expect(si[i], `shared_info byte ${i}`).toBe(isMask ? 1 : 0);
      }
      expect(pm.frames.owner(d.sharedInfoMfn)).toBe(d.domid);
      expect(pm.frames.isXenHeap(d.sharedInfoMfn)).toBe(true);
      // console and xenstore pages start zeroed (xencons_interface: all indexes 0)
      expect(readLin(pm, d.virt.console.virt, PAGE).every((b) => b === 0)).toBe(true);
      expect(readLin(pm, d.virt.xenstore.virt, PAGE).every((b) => b === 0)).toBe(true);
    });

    it("starts vCPU 0 at ring 1 as the ABI says and the kernel runs on the built tables", () => {
      const { pm, domain: d } = boot(kernelFor(pae));
      const m = pm.machine;
      expect(d.vcpu).toMatchObject({
        eip: d.kernel.entry, esp: d.virt.stackTop, esi: d.virt.startInfo.virt, eflags: 0x200,
        cs: FLAT_RING1_CS, ds: FLAT_RING1_DS, cpl: 1, dr6: 0xffff0ff0, dr7: 0x400,
        guestCr3: (d.topTableMfn << 12 | d.topTableMfn >>> 20) >>> 0, guestCr4: pae ? 0x20 : 0,
        kernelSs: FLAT_RING1_DS, kernelSp: d.virt.stackTop,
      });
      expect(m.reg("eax") | m.reg("ebx") | m.reg("ecx") | m.reg("edx") | m.reg("edi") | m.reg("ebp")).toBe(0);
      expect(m.field(L.S_CPL)).toBe(1);
      expect(m.field(L.S_SEG_SEL + 4)).toBe(FLAT_RING1_CS);
      for (const s of [0, 2, 3, 4, 5]) expect(m.field(L.S_SEG_SEL + 4 * s)).toBe(FLAT_RING1_DS);
      expect(m.field(L.S_SEG_LIMIT + 4)).toBe(pae ? 0xf67fffff : 0xfc3fffff);
      expect(m.eflags & 0x200).toBe(0x200);

      const exit = m.run(1000n);
      expect(exit).toBe("EXCEPTION");
      const si = d.virt.startInfo;
      expect(m.field(L.S_EXC_VECTOR)).toBe(14);
      expect(m.field(L.S_EXC_CODE)).toBe(3); // present, write, supervisor (ring 1)
      expect(m.field(L.S_CR2)).toBe(si.virt + 3 * PAGE);
      expect(m.reg("ebp")).toBe(si.virt);
      expect(m.reg("ebx")).toBe(d.p2m[0]);
      expect(m.reg("ecx")).toBe(0);
      expect(m.reg("edx")).toBe(0x000000b8); // mov $0, %eax opens slot 0
      expect(m.reg("edi")).toBe(0x12345678);
      expect(m.reg("esp")).toBe(d.virt.stackTop);
      expect(m.reg("eax")).toBe(FLAT_RING1_DS);
    });
  });
}

describe("PV domain builder: other kernels and limits", () => {
  it("builds a kernel linked at 0xC0000000 (VIRT_BASE) with pfn = (va - virt_base) >> 12", () => {
    const k = kernelFor(true, { virtBase: 0xc0000000 });
    const { pm, domain: d } = bootPvDomain(k, { nrPages: 4096 });
    expect(d.virt.startInfo.virt - 0xc0000000).toBe(d.virt.startInfo.pfn * PAGE);
    // run first: a failed host-side translate() leaves a #PF pending in the core
    expect(pm.machine.run(1000n)).toBe("EXCEPTION");
    expect(pm.machine.field(L.S_EXC_VECTOR)).toBe(14);
    expect(pm.machine.reg("ebx")).toBe(d.p2m[0]);
    expect(translate(pm, 0xc0000000, 0)).toBe(mfnToMa(mfn(d.p2m[0])));
    expect(translate(pm, 0, 0)).toBe(NO_MA);
  });

  it("builds a legacy __xen_guest kernel in the classic layout", () => {
    const k = parsePvKernel(buildPvKernel({
      code: probeCode(0xfc000000), base: 0xc0000000,
      xenGuest: "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x1,PAE=no",
    }));
    const { pm, domain: d } = bootPvDomain(k, { nrPages: 1024 });
    expect(readLin(pm, 0xc0001000, PAGE)).toEqual(buildHypercallPage());
    expect(pm.machine.run(1000n)).toBe("EXCEPTION");
    expect(pm.machine.reg("edx")).toBe(0xb8);
    expect(pm.machine.field(L.S_CR2)).toBe(d.virt.pageTables.virt);
  });

  it("maps a kernel larger than 4 MiB with as many L1 tables as it needs", () => {
    const k = kernelFor(true, { bss: 6 << 20 });
    const { pm, domain: d } = bootPvDomain(k, { nrPages: 4096 });
    expect(d.virt.mappedEnd).toBe(8 << 20);
    expect(d.virt.pageTables.pages).toBe(1 + 4 + 4);
    expect(translate(pm, (8 << 20) - PAGE, ACC_WRITE)).toBe(mfnToMa(mfn(d.p2m[2047])));
  });

  it("refuses memory too small for the initial mappings", () => {
    expect(() => bootPvDomain(kernelFor(true), { nrPages: 512 })).toThrow(DomainMemoryError);
    expect(() => bootPvDomain(kernelFor(true), { nrPages: 512 })).toThrow(/cannot hold the initial mappings: they need 1024 pages/);
    expect(() => bootPvDomain(kernelFor(false), { nrPages: 1024 })).not.toThrow();
  });

  it("is deterministic: the same seed gives the same machine frames", () => {
    const a = bootPvDomain(kernelFor(true), { nrPages: 1024, seed: 42 }).domain as PvDomain;
    const b = bootPvDomain(kernelFor(true), { nrPages: 1024, seed: 42 }).domain as PvDomain;
    const c = bootPvDomain(kernelFor(true), { nrPages: 1024, seed: 43 }).domain as PvDomain;
    expect(a.p2m).toEqual(b.p2m);
    expect(a.p2m).not.toEqual(c.p2m);
  });
});
