/*
 * descriptors: the guest's own GDT (set_gdt on a frame it maps read-only) and descriptors
 * written through update_descriptor, rewritten as Xen's check_descriptor does (XEN-PV-ABI.md §3,
 * docs/HYPERVISOR.md "Descriptors"): DPL 0 raised to 1, a flat 4 KiB-granular segment truncated
 * at the end of the read-only M2P, 64-bit code refused; the rewritten segment loads and works.
 */
#include <pv.h>

#if PV_PAE
#define M2P_END __MACH2PHYS_VIRT_END_PAE
#else
#define M2P_END __MACH2PHYS_VIRT_END_NONPAE
#endif

static uint64_t gdt[512] __attribute__((aligned(4096)));
static volatile unsigned long probe;

#define DESC(hi, lo) ((uint64_t)(hi) << 32 | (lo))

int main(void) {
  unsigned long mfn = pv_virt_to_mfn(gdt);
  /* GDT frames are never writable by the guest: map ours read-only first */
  CHECK_EQ(HYPERVISOR_update_va_mapping((unsigned long)gdt, (uint64_t)mfn << 12 | PTE_P | PTE_A, UVMF_INVLPG), 0,
           "GDT page mapped read-only");
  CHECK_EQ(HYPERVISOR_set_gdt(&mfn, 16), 0, "set_gdt with 16 entries in one frame");
  CHECK_EQ(HYPERVISOR_set_gdt(&mfn, FIRST_RESERVED_GDT_ENTRY + 1), (unsigned long)-22,
           "set_gdt past the reserved entries -EINVAL");

  uint64_t ma = (uint64_t)mfn << 12;
  /* entry 1: flat data, DPL 0, 4 KiB granular, limit 0xfffff, accessed bit clear: the first load
   * sets it through the hypervisor's per-domain GDT mapping, which Xen maps writable
   * (__PAGE_HYPERVISOR_RW in pv_set_gdt) — the guest's own mappings of the frame stay read-only. */
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 8, DESC(0x00cf9200, 0x0000ffff)), 0, "update_descriptor flat DPL-0 data");
  uint32_t hi = (uint32_t)(gdt[1] >> 32), lo = (uint32_t)gdt[1];
  CHECK_EQ((hi >> 13) & 3, 1, "its DPL raised to 1");
  unsigned long limit_pages = (hi & 0x000f0000) | (lo & 0xffff);
  CHECK_EQ(limit_pages, (M2P_END >> 12) - 1, "its limit (pages) ends at the end of the M2P");
  CHECK_EQ(hi & ~0x000f6000u, 0x00c09200 & ~0x000f6000u, "its other bits unchanged (accessed still clear)");

  /* the rewritten segment loads at ring 1 and addresses memory */
  unsigned long limit_bytes = 0;
  asm volatile("lsll %1, %0" : "=r"(limit_bytes) : "r"(0x09));
  CHECK_EQ(limit_bytes, M2P_END - 1, "lsl of selector 0x09");
  asm volatile("movl %1, %%es\n\t"
               "movl $0x600dc0de, %%es:probe\n\t"
               "movl %2, %%es" : : "a"(0), "r"(0x09), "r"(FLAT_KERNEL_DS) : "memory");
  CHECK_EQ(probe, 0x600dc0de, "a store through %es = 0x09 lands");
  CHECK_EQ((uint32_t)(gdt[1] >> 32) & 0x100, 0x100, "the load set the accessed bit in the guest's GDT frame");

  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 16, DESC(0x00af9a00, 0x0000ffff)), (unsigned long)-22,
           "64-bit code descriptor -EINVAL");
  CHECK_EQ(gdt[2], 0, "and entry 2 left empty");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 12, DESC(0x00cf9200, 0x0000ffff)), (unsigned long)-22,
           "unaligned machine address -EINVAL");
  return 0;
}
