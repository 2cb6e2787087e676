/*
 * mmubatch: mmu_update batches (Xen do_mmu_update): requests run in order and the batch stops at
 * the first that fails, returning its errno; the requests before it stay done and *pdone says how
 * many. The guest resubmits the rest and finishes the job. Also MMU_MACHPHYS_UPDATE of its own
 * frame, MMU_PT_UPDATE_PRESERVE_AD, an empty batch, a batch it cannot read, a foreign domain
 * that does not exist.
 */
#include <pv.h>

#define N 4
static char pages[N][4096] __attribute__((aligned(4096)));
static char others[N][4096] __attribute__((aligned(4096)));

#define ENTRY(mfn) ((uint64_t)(mfn) << 12 | PTE_P | PTE_RW | PTE_A | PTE_D)

int main(void) {
  volatile pte_t *e[N];
  pte_t orig[N];
  for (int i = 0; i < N; i++) {
    pages[i][0] = 'p';
    others[i][0] = 'a' + i;
    e[i] = pv_l1e((unsigned long)pages[i]);
    orig[i] = *e[i];
  }
  long max_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, 0);

  /* a batch of 4 whose third request maps a frame beyond RAM (-EPERM) */
  mmu_update_t req[N];
  for (int i = 0; i < N; i++) {
    req[i].ptr = pv_entry_ma(e[i]) | MMU_NORMAL_PT_UPDATE;
    req[i].val = ENTRY(pv_virt_to_mfn(others[i]));
  }
  req[2].val = ENTRY(max_page);
  unsigned done = 99;
  CHECK_EQ(HYPERVISOR_mmu_update(req, N, &done, DOMID_SELF), -XEN_EPERM, "a batch of 4 with a bad third request: -EPERM");
  CHECK_EQ(done, 2, "two requests done");
  CHECK(*e[0] == req[0].val && *e[1] == req[1].val, "requests 0 and 1 applied");
  CHECK(*e[2] == orig[2] && *e[3] == orig[3], "requests 2 and 3 not applied");
  pv_flush_tlb();
  CHECK(pages[0][0] == 'a' && pages[1][0] == 'b' && pages[2][0] == 'p' && pages[3][0] == 'p', "after a TLB flush the pages show it");

  /* fix the bad request and resubmit from it */
  req[2].val = ENTRY(pv_virt_to_mfn(others[2]));
  done = 99;
  CHECK_EQ(HYPERVISOR_mmu_update(req + 2, N - 2, &done, DOMID_SELF), 0, "the rest of the batch");
  CHECK_EQ(done, 2, "two more done");
  pv_flush_tlb();
  CHECK(pages[2][0] == 'c' && pages[3][0] == 'd', "all four pages remapped");

  /* PRESERVE_AD: the A and D bits the entry has are kept */
  pages[0][1] = 1; /* sets D (A is already set) */
  req[0].ptr = pv_entry_ma(e[0]) | MMU_PT_UPDATE_PRESERVE_AD;
  req[0].val = (uint64_t)pv_virt_to_mfn(others[0]) << 12 | PTE_P | PTE_RW;
  CHECK_EQ(HYPERVISOR_mmu_update(req, 1, 0, DOMID_SELF), 0, "MMU_PT_UPDATE_PRESERVE_AD without A/D in the new value (pdone NULL)");
  CHECK_EQ(*e[0] & (PTE_A | PTE_D), PTE_A | PTE_D, "the entry kept A and D");

  /* put everything back in one batch */
  for (int i = 0; i < N; i++) { req[i].ptr = pv_entry_ma(e[i]); req[i].val = orig[i]; }
  CHECK_EQ(HYPERVISOR_mmu_update(req, N, &done, DOMID_SELF), 0, "restoring batch");
  pv_flush_tlb();
  int back = 0;
  for (int i = 0; i < N; i++) back += *e[i] == orig[i] && pages[i][0] == 'p';
  CHECK_EQ(back, N, "all entries and pages back");

  /* MMU_MACHPHYS_UPDATE of a frame of ours */
  unsigned long mfn = pv_virt_to_mfn(others[3]), pfn = pv_virt_to_pfn(others[3]);
  CHECK_EQ(pv_mmu_update1((uint64_t)mfn << 12 | MMU_MACHPHYS_UPDATE, 12345), 0, "MMU_MACHPHYS_UPDATE of our own frame");
  CHECK_EQ(PV_M2P[mfn], 12345, "the M2P says so");
  CHECK_EQ(pv_mmu_update1((uint64_t)mfn << 12 | MMU_MACHPHYS_UPDATE, pfn), 0, "and back");
  CHECK_EQ(PV_M2P[mfn], pfn, "the M2P is right again");

  /* edges */
  done = 99;
  CHECK_EQ(HYPERVISOR_mmu_update(req, 0, &done, DOMID_SELF), 0, "an empty batch");
  CHECK_EQ(done, 0, "done = 0");
  CHECK_EQ(HYPERVISOR_mmu_update((mmu_update_t *)PV_HV_START, 1, 0, DOMID_SELF), -XEN_EFAULT, "requests in the hypervisor area: -EFAULT");
  CHECK_EQ(HYPERVISOR_mmu_update(req, 1, 0, 7), -XEN_ESRCH, "foreign domain 7 (none): -ESRCH");
  return 0;
}
