// Driving direct paging from the host: a hand-built PV domain (test/helpers/pv.ts) that does not
// run; requests are written into its DATA page and the hypercall handlers called directly, so a
// test can look at every count before and after.
import { pvDomain, PRELUDE, DATA, mfnOf, PT_PFNS } from "./pv.ts";
import type { Layout } from "../../src/hv/domain.ts";
import { DOMID_SELF } from "../../src/hv/abi.ts";
import type { Mfn } from "../../src/hv/addr.ts";
import { mmuUpdate } from "../../src/hv/mm/mmu-update.ts";
import { mmuextOp } from "../../src/hv/mm/mmuext-op.ts";
import { updateVaMapping } from "../../src/hv/mm/update-va-mapping.ts";

const REQS = DATA + 0x200, DONE = DATA + 0x1f0;

export function mmDomain(layout: Layout = "pae") {
  const t = pvDomain(`${PRELUDE}\n SHUTDOWN 0`, layout);
  const d = t.d, pages = d.paging.pages;
  const esz = layout === "pae" ? 8 : 4;
  // The hypervisor's own accesses to DATA set accessed/dirty bits in the tables: set them now so
  // that snapshots compare only what the hypercalls under test change.
  d.mem.writeU32s(REQS, new Array(64).fill(0));
  d.mem.writeU32(DONE, 0);
  const [top, l2, l1] = PT_PFNS.map((p) => mfnOf(p) as Mfn);
  /** machine address of entry i of table f */
  const ea = (f: number, i: number) => f * 4096 + i * esz;
  const entry = (f: number, i: number): [number, number] => {
    const [lo, hi] = d.paging.readEntry(f as Mfn, i);
    return [lo, hi];
  };
  /** mmu_update: [ptr, lo, hi?] requests; returns [rc, done] */
  const mmu = (reqs: [number, number, number?][], foreigndom = DOMID_SELF): [number, number] => {
    d.mem.writeU32(DONE, 0xdead);
    d.mem.writeU32s(REQS, reqs.flatMap(([ptr, lo, hi = 0]) => [ptr, 0, lo, hi]));
    const rc = mmuUpdate(d, REQS, reqs.length, DONE, foreigndom);
    return [rc, d.mem.readU32(DONE)];
  };
  /** mmuext_op: [cmd, arg1, arg2?] ops; returns [rc, done] */
  const ext = (ops: [number, number, number?][], foreigndom = DOMID_SELF): [number, number] => {
    d.mem.writeU32(DONE, 0xdead);
    d.mem.writeU32s(REQS, ops.flatMap(([cmd, a1, a2 = 0]) => [cmd, a1, a2]));
    const rc = mmuextOp(d, REQS, ops.length, DONE, foreigndom);
    return [rc, d.mem.readU32(DONE)];
  };
  const uvm = (lin: number, lo: number, hi = 0, flags = 0) => updateVaMapping(d, lin, lo, hi, flags);
  /** everything direct paging knows about these frames, and the page-table pages' contents */
  const snap = (frames: number[] = []) => ({
    info: frames.map((f) => f < pages.frameCount && pages.owner(f as Mfn) !== 0xffff
      ? [pages.refCount(f as Mfn), pages.typeInfo(f as Mfn), pages.typeCountOf(f as Mfn), pages.isValidated(f as Mfn), pages.isPinned(f as Mfn)]
      : "free"),
    tables: [top, l2, l1].map((f) => Array.from(d.machine.readPhys(f * 4096, 4096))),
    cr3: d.baseMfn,
  });
  return { t, d, pages, esz, top, l2, l1, ea, entry, mmu, ext, uvm, snap, mfnOf };
}
