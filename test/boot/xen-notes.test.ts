import { describe, it, expect } from "vitest";
import { parseXenNotes, parseXenGuestString, wantsPae, XenNotesError } from "../../src/boot/xen-notes.ts";

function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const pad = (n: number) => (n + 3) & ~3;
  const nameBytes = new TextEncoder().encode(name + "\0");
  const out = new Uint8Array(12 + pad(nameBytes.length) + pad(desc.length));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nameBytes.length, true); dv.setUint32(4, desc.length, true); dv.setUint32(8, type, true);
  out.set(nameBytes, 12); out.set(desc, 12 + pad(nameBytes.length));
  return out;
}
const str = (s: string) => new TextEncoder().encode(s + "\0");
const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
const u64 = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };
const cat = (...parts: Uint8Array[]) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };

describe("Xen ELF notes", () => {
  it("reads the notes a PV kernel carries, 32- and 64-bit numbers alike", () => {
    const n = parseXenNotes(cat(
      note("Xen", 6, str("Mini-OS")), note("Xen", 5, str("xen-3.0")), note("GNU", 3, str("ignored")),
      note("Xen", 3, u32(0)), note("Xen", 1, u64(0x1000n)), note("Xen", 2, u32(0x2000)),
      note("Xen", 9, str("yes")), note("Xen", 10, str("!writable_page_tables|pae_pgdir_above_4gb")),
    ));
    expect(n).toMatchObject({ guestOs: "Mini-OS", xenVersion: "xen-3.0", virtBase: 0, entry: 0x1000, hypercallPage: 0x2000, paeMode: "yes" });
    expect(n.features).toEqual(["!writable_page_tables", "pae_pgdir_above_4gb"]);
    expect(wantsPae(n)).toBe(true);
  });
  it("rejects a truncated note and a 64-bit value above 4 GiB", () => {
    expect(() => parseXenNotes(note("Xen", 1, u32(1)).subarray(0, 14))).toThrow(XenNotesError);
    expect(() => parseXenNotes(note("Xen", 1, u64(0x100000000n)))).toThrow(/does not fit/);
  });
  it("reads the legacy __xen_guest string", () => {
    const n = parseXenGuestString("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x2,PAE=no\0");
    expect(n).toMatchObject({ guestOs: "linux", xenVersion: "xen-3.0", virtBase: 0xc0000000, hypercallPage: 2, paeMode: "no" });
    expect(wantsPae(n)).toBe(false);
  });
});
