/*
 * attack: every forbidden thing of direct paging (XEN-PV-ABI.md §4, issue 5), each refused with
 * the errno Xen's arch/x86/mm.c returns, and nothing changed by the attempt. One line per attempt,
 * "attack <name>: <result>", which test/guests/pv-mem.test.ts checks against Xen's errnos; the
 * checks after each verify the state it tried to change is as it was.
 *
 * Xen's rules (get_page_from_l1e, mod_l?_entry, _get_page_type, pv_set_gdt, new_guest_cr3):
 *   a writable mapping of a page-table or descriptor frame           -EBUSY (no writable type)
 *   an entry mapping a frame the domain does not own (Xen's, freed)  -EBUSY
 *   an entry mapping a frame beyond RAM (I/O space, no rights)       -EPERM
 *   update_va_mapping at or above HYPERVISOR_VIRT_START              -EINVAL
 *   an L2 entry in Xen's slots                                       -EPERM
 *   PAE L3 slot 3 (Xen's mappings)                                   -EINVAL
 *   a table entry referencing a frame of the wrong type / level      -EINVAL ("Bad type")
 *   pinning or switching to (NEW_BASEPTR) a frame mapped writable    -EINVAL
 *   set_gdt on a frame mapped writable                               -EINVAL
 *   update_descriptor into a page table                              -EINVAL
 *   MMU_MACHPHYS_UPDATE / mmu_update on a frame not the domain's     -EINVAL
 * Freeing a pinned frame (decrease_reservation) is allowed: the pin and the allocation reference
 * go, but the frame lives on while any mapping refers to it.
 */
#include <pv.h>

static char victim[4096] __attribute__((aligned(4096)));
static char victim2[4096] __attribute__((aligned(4096)));
static char data_page[4096] __attribute__((aligned(4096)));
static char pt_page[4096] __attribute__((aligned(4096)));
static char gdt_rw[4096] __attribute__((aligned(4096)));
static char gdt_ro[4096] __attribute__((aligned(4096)));

#define RW_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D)
#define RO_FLAGS (PTE_P | PTE_A)

static long attack(const char *name, long rc, long want) {
  printk("attack %s: %d\n", name, (int)rc);
  CHECK_EQ(rc, want, name);
  return rc;
}

static long uvm(void *va, uint64_t e) { return HYPERVISOR_update_va_mapping((unsigned long)va, e, UVMF_INVLPG); }

int main(void) {
  volatile pte_t *ve = pv_l1e((unsigned long)victim);
  victim[0] = 0; /* sets the dirty bit now, before the entry is compared */
  const pte_t v0 = *ve;
  unsigned long l1_mfn = pte_mfn(*pv_l2e((unsigned long)victim));
  unsigned long top_mfn = pv_virt_to_mfn((void *)start_info->pt_base);
  long max_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, 0);
  unsigned long m2p_mfn = pte_mfn(*pv_l2e(PV_M2P_START));
  unsigned long hv_l1_mfn = pte_mfn(*pv_l2e(PV_PERDOMAIN_START));
  const long nr = pv_reservation_info(XENMEM_current_reservation, DOMID_SELF);

  /* ---- writable mappings of page tables ---- */
  attack("update_va_mapping: the L1 mapped writable", uvm(victim, (uint64_t)l1_mfn << 12 | RW_FLAGS), -XEN_EBUSY);
  CHECK(*ve == v0, "victim's entry unchanged");
  attack("update_va_mapping: the top-level table mapped writable", uvm(victim, (uint64_t)top_mfn << 12 | RW_FLAGS), -XEN_EBUSY);
  CHECK(*ve == v0, "victim's entry unchanged");
  attack("mmu_update: the L1 mapped writable", pv_mmu_update1(pv_entry_ma(ve), (uint64_t)l1_mfn << 12 | RW_FLAGS), -XEN_EBUSY);
  CHECK(*ve == v0, "victim's entry unchanged");

  /* ---- frames that are not the domain's ---- */
  attack("update_va_mapping: the M2P's machine frame (read-only)", uvm(victim, (uint64_t)m2p_mfn << 12 | RO_FLAGS), -XEN_EBUSY);
  attack("update_va_mapping: the hypervisor's per-domain L1 frame", uvm(victim, (uint64_t)hv_l1_mfn << 12 | RO_FLAGS), -XEN_EBUSY);
  attack("update_va_mapping: a frame beyond RAM", uvm(victim, (uint64_t)max_page << 12 | RO_FLAGS), -XEN_EPERM);
  CHECK(*ve == v0, "victim's entry unchanged");
  /* a frame the domain gave back is no longer its own */
  unsigned long gone = pv_virt_to_mfn(victim2);
  uvm(victim2, 0);
  PV_P2M[pv_virt_to_pfn(victim2)] = ~0UL;
  CHECK_EQ(pv_reservation(XENMEM_decrease_reservation, &gone, 1, 0, 0, DOMID_SELF), 1, "victim2's frame given back");
  attack("update_va_mapping: a frame given back (free)", uvm(victim, (uint64_t)gone << 12 | RO_FLAGS), -XEN_EBUSY);
  CHECK(*ve == v0, "victim's entry unchanged");
  CHECK_EQ(pv_reservation_info(XENMEM_current_reservation, DOMID_SELF), nr - 1, "the reservation is only one frame down");
  attack("mmu_update: MMU_MACHPHYS_UPDATE of the M2P's frame", pv_mmu_update1((uint64_t)m2p_mfn << 12 | MMU_MACHPHYS_UPDATE, 7), -XEN_EINVAL);
  CHECK_EQ(PV_M2P[m2p_mfn], ~0UL, "its M2P entry still invalid");
  attack("mmu_update: a write into the M2P's frame", pv_mmu_update1((uint64_t)m2p_mfn << 12, 0), -XEN_EINVAL);

  /* ---- the hypervisor area ---- */
  const pte_t hv_l2e = *pv_l2e(PV_HV_START);
  attack("update_va_mapping at HYPERVISOR_VIRT_START", HYPERVISOR_update_va_mapping(PV_HV_START, (uint64_t)pv_virt_to_mfn(data_page) << 12 | RO_FLAGS, UVMF_INVLPG), -XEN_EINVAL);
  attack("mmu_update: an L2 entry in Xen's slots", pv_mmu_update1(pv_entry_ma(pv_l2e(PV_HV_START)), (uint64_t)l1_mfn << 12 | PTE_P | PTE_RW | PTE_A), -XEN_EPERM);
  CHECK(*pv_l2e(PV_HV_START) == hv_l2e, "the hypervisor's L2 entry unchanged");
#if PV_PAE
  volatile pte_t *l3 = (volatile pte_t *)start_info->pt_base;
  const pte_t l3_3 = l3[3];
  attack("mmu_update: PAE L3 slot 3", pv_mmu_update1(pv_entry_ma(&l3[3]), l3[3]), -XEN_EINVAL);
  CHECK(l3[3] == l3_3, "L3 slot 3 unchanged");
#endif

  /* ---- wrong types and levels ---- */
  /* an empty guest L2 slot: 0x40000000 (PAE: in the L2 behind L3 slot 1) */
  volatile pte_t *slot = pv_l2e(0x40000000UL);
  unsigned long slot_l2 = pte_mfn(pv_entry_ma(slot));
  CHECK(*slot == 0, "the L2 slot for 0x40000000 is empty");
  attack("mmu_update: recursive L2 entry (the L2 itself, writable)", pv_mmu_update1(pv_entry_ma(slot), (uint64_t)slot_l2 << 12 | PTE_P | PTE_RW | PTE_A), -XEN_EINVAL);
  attack("mmu_update: L2 entry to a data page mapped writable (not an L1)", pv_mmu_update1(pv_entry_ma(slot), (uint64_t)pv_virt_to_mfn(data_page) << 12 | PTE_P | PTE_RW | PTE_A), -XEN_EINVAL);
#if PV_PAE
  attack("mmu_update: L3 entry to an L1 (wrong level)", pv_mmu_update1(pv_entry_ma(&l3[1]), (uint64_t)l1_mfn << 12 | PTE_P), -XEN_EINVAL);
  CHECK(pte_mfn(l3[1]) == slot_l2, "L3 slot 1 unchanged");
#endif
  attack("mmu_update: L2 superpage entry (PSE)", pv_mmu_update1(pv_entry_ma(slot), (uint64_t)pv_virt_to_mfn(data_page) << 12 | PTE_P | PTE_PS | PTE_A), -XEN_EINVAL);
  CHECK(*slot == 0, "the L2 slot is still empty");
  attack("MMUEXT_PIN_L1_TABLE of a data page mapped writable", pv_mmuext_mfn(MMUEXT_PIN_L1_TABLE, pv_virt_to_mfn(data_page)), -XEN_EINVAL);
  attack("MMUEXT_PIN_L2_TABLE of a data page mapped writable", pv_mmuext_mfn(MMUEXT_PIN_L2_TABLE, pv_virt_to_mfn(data_page)), -XEN_EINVAL);
  attack("MMUEXT_NEW_BASEPTR to a data page mapped writable", pv_mmuext_mfn(MMUEXT_NEW_BASEPTR, pv_virt_to_mfn(data_page)), -XEN_EINVAL);
  data_page[7] = 7;
  CHECK_EQ(data_page[7], 7, "the data page is still an ordinary writable page");
  attack("MMUEXT_UNPIN_TABLE of a frame not pinned", pv_mmuext_mfn(MMUEXT_UNPIN_TABLE, pv_virt_to_mfn(data_page)), -XEN_EINVAL);

  /* ---- descriptor pages ---- */
  unsigned long g = pv_virt_to_mfn(gdt_rw);
  attack("set_gdt on a frame still mapped writable", HYPERVISOR_set_gdt(&g, 16), -XEN_EINVAL);
  gdt_rw[0] = 1;
  CHECK_EQ(gdt_rw[0], 1, "the frame stays writable");
  unsigned long gro = pv_virt_to_mfn(gdt_ro);
  CHECK_EQ(uvm(gdt_ro, (uint64_t)gro << 12 | RO_FLAGS), 0, "a GDT frame mapped read-only");
  CHECK_EQ(HYPERVISOR_set_gdt(&gro, 16), 0, "set_gdt on it");
  attack("update_va_mapping: the GDT frame mapped writable", uvm(gdt_rw, (uint64_t)gro << 12 | RW_FLAGS), -XEN_EBUSY);
  CHECK(pte_mfn(*pv_l1e((unsigned long)gdt_rw)) == g, "gdt_rw still maps its own frame");
  attack("update_descriptor into an L1 page table", HYPERVISOR_update_descriptor(pv_entry_ma(ve), 0x00cf92000000ffffULL), -XEN_EINVAL);
  CHECK(*ve == v0, "victim's entry unchanged");

  /* ---- freeing a pinned page table ---- */
  unsigned long pt = pv_virt_to_mfn(pt_page);
  CHECK_EQ(uvm(pt_page, (uint64_t)pt << 12 | RO_FLAGS), 0, "an empty page mapped read-only");
  CHECK_EQ(pv_mmuext_mfn(MMUEXT_PIN_L1_TABLE, pt), 0, "pinned as an L1");
  attack("update_va_mapping: the pinned L1 mapped writable", uvm(victim, (uint64_t)pt << 12 | RW_FLAGS), -XEN_EBUSY);
  attack("decrease_reservation of the pinned L1 (extents done)", pv_reservation(XENMEM_decrease_reservation, &pt, 1, 0, 0, DOMID_SELF), 1);
  CHECK_EQ(pv_reservation_info(XENMEM_current_reservation, DOMID_SELF), nr - 1, "the frame is not freed while our read-only mapping holds it");
  CHECK_EQ(pt_page[0] | pt_page[4095], 0, "and still reads as it was");
  CHECK_EQ(pv_mmuext_mfn(MMUEXT_UNPIN_TABLE, pt), -XEN_EINVAL, "the pin went with the allocation: unpin -EINVAL");
  CHECK_EQ(uvm(pt_page, 0), 0, "our last mapping of it removed");
  CHECK_EQ(pv_reservation_info(XENMEM_current_reservation, DOMID_SELF), nr - 2, "now it is freed");
  CHECK_EQ(PV_M2P[pt], ~0UL, "and its M2P entry invalid");
  CHECK_EQ(uvm(pt_page, (uint64_t)pt << 12 | RO_FLAGS), -XEN_EBUSY, "it can no longer be mapped");

  CHECK(*ve == v0, "victim's entry unchanged by all of it");
  victim[0] = 1;
  CHECK_EQ(victim[0], 1, "victim still writable");
  return 0;
}
