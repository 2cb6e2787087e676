import { describe, it, expect } from "vitest";
import { parsePvKernel, isPvKernel, PvKernelError } from "../../src/boot/xen-kernel.ts";
import { parseElf32 } from "../../src/boot/elf.ts";
import { BadImageError } from "../../src/boot/errors.ts";
import { ELFNOTE } from "../../src/hv/abi.ts";
import { buildPvKernel, standardNotes, type NoteValue } from "../helpers/pv-kernel.ts";
import { assemble } from "../helpers/asm.ts";

const withNotes = (notes: [number, NoteValue][], extra: Partial<Parameters<typeof buildPvKernel>[0]> = {}) =>
  buildPvKernel({ code: "ud2", notes, ...extra });

describe("PV kernel images", () => {
  it("reads a PAE kernel's notes: layout, entry, hypercall page, image bounds, features", () => {
    const img = withNotes(standardNotes({ pae: true, features: "!pae_pgdir_above_4gb|writable_descriptor_tables|no_such_feature" }));
    const elf = parseElf32(img);
    expect(isPvKernel(elf)).toBe(true);
    const k = parsePvKernel(elf);
    expect(k.source).toBe("notes");
    expect(k.layout.name).toBe("pae");
    expect(k.layout.magic).toBe("xen-3.0-x86_32p");
    expect(k.virtBase).toBe(0);
    expect(k.entry).toBe(0);
    expect(k.hypercallPage).toBe(0x1000); // after one page of text
    expect(k.virtKstart).toBe(0);
    expect(k.virtKend).toBe(elf.loadSegments[0].paddr + elf.loadSegments[0].memsz);
    expect(k.features).toEqual({ supported: ["pae_pgdir_above_4gb", "writable_descriptor_tables"], required: ["pae_pgdir_above_4gb"] });
  });

  it("chooses the layout from PAE_MODE: yes and bimodal are PAE; no or none is classic", () => {
    const mode = (pae: boolean | string) => parsePvKernel(withNotes(standardNotes({ pae }))).layout.name;
    expect(mode("yes")).toBe("pae");
    expect(mode("bimodal")).toBe("pae");
    expect(mode("yes,bimodal")).toBe("pae");
    expect(mode("no")).toBe("classic");
    expect(mode(false)).toBe("classic");
  });

  it("loads at p_paddr + virt_base - paddr_offset (libelf), with notes and with PADDR_OFFSET", () => {
    // p_paddr = vaddr - 0xC0000000, no PADDR_OFFSET: offset 0, segments land at their vaddrs
    const a = parsePvKernel(withNotes(standardNotes({ pae: true, virtBase: 0xc0000000 }), { base: 0xc0000000, lmaOffset: 0xc0000000, twoSegments: true }));
    expect(a.virtKstart).toBe(0xc0000000);
    expect(a.segments.map((s) => s.virt)).toEqual([0xc0000000, 0xc0003000]);
    expect(a.entry).toBe(0xc0000000);
    // p_paddr = vaddr with PADDR_OFFSET = virt_base: the same addresses
    const b = parsePvKernel(withNotes([...standardNotes({ pae: true, virtBase: 0xc0000000 }), [ELFNOTE.PADDR_OFFSET, 0xc0000000]], { base: 0xc0000000 }));
    expect(b.virtKstart).toBe(0xc0000000);
    expect(b.paddrOffset).toBe(0xc0000000);
  });

  it("reads the legacy __xen_guest string: paddr offset defaults to VIRT_BASE, HYPERCALL_PAGE is a page number", () => {
    const img = buildPvKernel({ code: "ud2", base: 0xc0000000, xenGuest: "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x1,PAE=no" });
    expect(isPvKernel(parseElf32(img))).toBe(true);
    const k = parsePvKernel(img);
    expect(k.source).toBe("__xen_guest");
    expect(k.layout.name).toBe("classic");
    expect(k.virtKstart).toBe(0xc0000000);
    expect(k.hypercallPage).toBe(0xc0001000);
    expect(k.entry).toBe(0xc0000000); // e_entry
  });

  it("is not a PV kernel without notes or __xen_guest", () => {
    const img = buildPvKernel({ code: "ud2" });
    expect(isPvKernel(parseElf32(img))).toBe(false);
    expect(() => parsePvKernel(img, "plain.elf")).toThrow(/plain.elf: not a Xen PV kernel/);
    expect(() => parsePvKernel(assemble("ud2"))).toThrow(BadImageError); // not even an ELF
  });

  it("refuses what Xen refuses, naming the reason", () => {
    const base = standardNotes({ pae: true });
    const replace = (type: number, v: NoteValue) => base.map(([t, x]) => [t, t === type ? v : x] as [number, NoteValue]);
    const bad = (notes: [number, NoteValue][], re: RegExp, extra = {}) => {
      const err = (() => { try { parsePvKernel(withNotes(notes, extra)); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(PvKernelError);
      expect((err as Error).message).toMatch(re);
      expect((err as PvKernelError).exitCode).toBe(2);
    };
    bad(replace(ELFNOTE.LOADER, "elf").concat(), /generic loader or Linux/);
    bad(replace(ELFNOTE.XEN_VERSION, "xen-2.0"), /xen-3.0/);
    bad(replace(ELFNOTE.ENTRY, 0x100000), /entry out of bounds/);
    bad(replace(ELFNOTE.VIRT_BASE, 0x1000), /out of bounds/);
    bad(replace(ELFNOTE.VIRT_BASE, 0x10), /not page-aligned/);
    bad(replace(ELFNOTE.HYPERCALL_PAGE, 0x800000), /hypercall page .* outside the image/);
    bad(replace(ELFNOTE.HYPERCALL_PAGE, 0x10), /not page-aligned/);
    bad([...base, [ELFNOTE.FEATURES, "!writable_page_tables"]], /requires the Xen feature 'writable_page_tables', which xenolith does not provide/);
    bad([...base, [ELFNOTE.FEATURES, "!frobnicate"]], /unknown Xen feature 'frobnicate'/);
    bad([...base, [ELFNOTE.VIRT_BASE, { u64: 0x100000000n }]], /does not fit a 32-bit guest/);
    // an image reaching into the hypervisor area
    bad(standardNotes({ pae: false, virtBase: 0xfc000000 }), /inside the hypervisor area/, { base: 0xfc000000, lmaOffset: 0xfc000000 });
    // p_paddr = vaddr with VIRT_BASE and no PADDR_OFFSET: the image would land at paddr + virt_base
    bad(standardNotes({ pae: true, virtBase: 0xc0000000 }), /does not fit the 32-bit address space/, { base: 0xc0000000 });
  });
});
