// HYPERVISOR_grant_table_op (Xen common/grant_table.c), version 1 tables only: setup_table grows
// the domain's table to nr_frames and returns its machine frames (Xen-heap pages the guest then
// maps), query_size reports the size, get_version says 1, copy is grant-copy.ts.
// NOT implemented (-ENOSYS, logged): map_grant_ref / unmap_grant_ref (they install and remove
// host mappings of a granted frame and track them in the active table — only this domain exists,
// so nothing could map its grants but itself), transfer, set_version. Frames come from the domain
// builder's allocator (DomainConfig.allocFrame).
import type { Domain } from "./domain.ts";
import { ERRNO, GNTTABOP, GNTST } from "./abi.ts";
import { DOMID_SELF } from "./events.ts";
import { gnttabCopy } from "./grant-copy.ts";

/** Xen 4.17's default max_grant_frames. */
export const MAX_GRANT_FRAMES = 64;

export class GrantTable {
  frames: number[] = [];
  constructor(private readonly d: Domain, private readonly allocFrame?: () => number | null) {}

  private isSelf(dom: number): boolean { return dom === DOMID_SELF || dom === this.d.domid; }

  op(cmd: number, uop: number, count: number): number {
    const m = this.d.mem;
    switch (cmd) {
      case GNTTABOP.setup_table: {
        // {domid_t dom @0, uint32 nr_frames @4, int16 status @8 OUT, frame_list handle @12}
        if (count !== 1) return -ERRNO.EINVAL;
        const [domWord, nr, , list] = m.readU32s(uop, 4);
        let status: number = GNTST.okay;
        if (!this.isSelf(domWord & 0xffff)) status = GNTST.permission_denied;
        else if (nr > MAX_GRANT_FRAMES) status = GNTST.general_error;
        else {
          while (this.frames.length < nr) {
            const mfn = this.allocFrame?.() ?? null;
            if (mfn === null) { status = GNTST.general_error; break; }
            this.d.adoptXenFrame(mfn);
            this.frames.push(mfn);
          }
          if (status === GNTST.okay && nr > 0) {
            try { m.writeU32s(list, this.frames.slice(0, nr)); } catch { status = GNTST.bad_virt_addr; }
          }
        }
        m.writeU16(uop + 8, status & 0xffff);
        return 0;
      }
      case GNTTABOP.query_size: {
        // {domid_t dom @0, uint32 nr_frames @4 OUT, uint32 max_nr_frames @8 OUT, int16 status @12 OUT}
        if (count !== 1) return -ERRNO.EINVAL;
        const dom = m.readU16(uop);
        if (!this.isSelf(dom)) { m.writeU16(uop + 12, GNTST.bad_domain & 0xffff); return 0; }
        m.writeU32s(uop + 4, [this.frames.length, MAX_GRANT_FRAMES]);
        m.writeU16(uop + 12, GNTST.okay);
        return 0;
      }
      case GNTTABOP.get_version: {
        // {domid_t dom @0, uint32 version @4 OUT}
        if (count !== 1) return -ERRNO.EINVAL;
        if (!this.isSelf(m.readU16(uop))) return -ERRNO.ESRCH;
        m.writeU32(uop + 4, 1);
        return 0;
      }
      case GNTTABOP.copy:
        if ((count | 0) < 0) return -ERRNO.EINVAL;
        return gnttabCopy(this.d, uop, count >>> 0);
      case GNTTABOP.map_grant_ref: case GNTTABOP.unmap_grant_ref:
        this.d.logHv(`grant_table_op: ${cmd === GNTTABOP.map_grant_ref ? "map" : "unmap"}_grant_ref is not implemented (-ENOSYS)`);
        return -ERRNO.ENOSYS;
      default:
        return -ERRNO.ENOSYS;
    }
  }
}
