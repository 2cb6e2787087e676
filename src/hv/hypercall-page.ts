// The hypercall page a PV guest calls through (Xen: arch/x86/pv/hypercall.c,
// hypercall_page_initialise_ring1_kernel). 4096 bytes of int3 (0xCC), then 32 bytes per
// hypercall i = 0..127: `mov $i, %eax; int $0x82; ret`, except __HYPERVISOR_iret, which must not
// return: `push %eax; mov $23, %eax; int $0x82`.
import { HYPERCALL } from "./abi.ts";

export const HYPERCALL_PAGE_SIZE = 4096;
export const HYPERCALL_SLOT_SIZE = 32;
export const HYPERCALL_VECTOR = 0x82;

export function buildHypercallPage(): Uint8Array {
  const page = new Uint8Array(HYPERCALL_PAGE_SIZE).fill(0xcc);
  for (let i = 0; i < HYPERCALL_PAGE_SIZE / HYPERCALL_SLOT_SIZE; i++) {
    const at = i * HYPERCALL_SLOT_SIZE;
    if (i === HYPERCALL.iret) {
      page.set([0x50, 0xb8, i, 0, 0, 0, 0xcd, HYPERCALL_VECTOR], at);
    } else {
      page.set([0xb8, i, 0, 0, 0, 0xcd, HYPERCALL_VECTOR, 0xc3], at);
    }
  }
  return page;
}
