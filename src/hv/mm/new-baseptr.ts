// new_guest_cr3 (Xen arch/x86/mm.c; for a 32-bit guest the L3 goes into the compat L4, whose
// mod_l4_entry takes the same L3 type reference): switching the vCPU to another top-level table.
// The new base must be the domain's frame and validate as the layout's root type — L3 (PAE) or
// L2 (classic) — taking a type reference CR3 holds; the old base's reference is dropped (which
// may devalidate it and its whole tree). A failure leaves CR3 as it was.
import type { Domain } from "../domain.ts";
import { type Mfn, hex } from "../addr.ts";
import { L } from "../../core/layout.gen.ts";

export function newBaseptr(d: Domain, mfn: number): number {
  mfn >>>= 0;
  const old = d.baseMfn;
  if (mfn !== old) {
    const rc = d.paging.getPageAndTypeFromMfn(mfn, d.rootType, d.domid);
    if (rc) {
      d.logHv(`Error while installing new baseptr ${hex(mfn)}: ${rc}`);
      return rc;
    }
    d.baseMfn = mfn as Mfn;
  }
  d.machine.setField(L.S_CR3, mfn * 4096);
  d.machine.core.exports.tlbFlush(1); // write_ptbase: a CR3 write keeps global entries
  if (mfn !== old) d.paging.pages.putPageAndType(old);
  return 0;
}
