// Descriptor pages (Xen PGT_seg_desc_page): a frame the CPU loads descriptors from — a GDT frame
// (set_gdt) or an LDT frame (MMUEXT_SET_LDT) — holds a descriptor-page type reference while in
// use, so no writable mapping of it can exist (get_page_from_l1e gives -EBUSY) and it cannot be a
// page table. Taking the first such reference validates the page: every one of its 512
// descriptors passes check_descriptor (rewritten in place), else -EINVAL (alloc_segdesc_page).
import type { Domain } from "../domain.ts";
import { ERRNO } from "../abi.ts";
import type { Mfn } from "../addr.ts";
import { PGT } from "../page-info.ts";

/** get_page_and_type(mfn, d, PGT_seg_desc_page): 0, or -EINVAL (not the domain's, in use as another type, a bad descriptor). */
export function getDescriptorPage(d: Domain, mfn: number): number {
  return d.paging.getPageAndTypeFromMfn(mfn >>> 0, PGT.seg_desc, d.domid) === 0 ? 0 : -ERRNO.EINVAL;
}

/** put_page_and_type on a descriptor page taken with getDescriptorPage. */
export function putDescriptorPage(d: Domain, mfn: number): void {
  d.paging.pages.putPageAndType((mfn >>> 0) as Mfn);
}
