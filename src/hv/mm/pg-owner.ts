// get_pg_owner (Xen arch/x86/mm.c): whose frames a batched MMU hypercall works on. DOMID_SELF is
// the caller; naming itself by number, DOMID_XEN or an unknown domain is -ESRCH. DOMID_IO (I/O
// mappings for privileged domains) is not implemented: -ENOSYS, loudly.
import type { Domain } from "../domain.ts";
import { DOMID_IO, DOMID_SELF, ERRNO } from "../abi.ts";

/** 0 when the caller is the owner, else -errno. */
export function checkPgOwner(d: Domain, domid: number, call: string): number {
  domid &= 0xffff;
  if (domid === DOMID_SELF) return 0;
  if (domid === d.domid) {
    d.logHv(`${call}: Cannot specify itself as foreign domain`);
    return -ERRNO.ESRCH;
  }
  if (domid === DOMID_IO) {
    d.logHv(`${call}: foreign domain DOMID_IO is not implemented (-ENOSYS)`);
    return -ERRNO.ENOSYS;
  }
  d.logHv(`${call}: unknown domain d${domid}`);
  return -ERRNO.ESRCH;
}
