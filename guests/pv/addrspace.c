/*
 * addrspace: a ring-3 process in an address space of its own, built the way a PV kernel must
 * (XEN-PV-ABI.md §4): the kernel fills page-table frames while it still maps them writable,
 * maps them read-only, pins the top-level table (Xen validates the whole tree then: an L2 behind
 * PAE L3 slot 3 or the classic L2 gets the hypervisor's slots), switches to it with
 * MMUEXT_NEW_BASEPTR, runs the program in ring 3, switches back, unpins — which tears the tree's
 * page types down — and can map the frames writable again and build the next process in them.
 */
#include <pv.h>

#define USER_CODE 0x00400000UL
#define USER_DATA 0x00401000UL

extern const char user_prog[], user_prog_end[];
void enter_user(void);
void user_exit(void);

/* the new tree: top (L3 or L2), PAE's L2s for slots 0 and 3, the L1, the program's two pages */
enum { TOP, L2_HI, L2_LO, L1, CODE, DATA, NPAGES };
static char frame[NPAGES][4096] __attribute__((aligned(4096)));
static char kernel_stack[4096] __attribute__((aligned(16)));

#define TABLE(i) ((pte_t *)frame[i])
#define MFN(i) pv_virt_to_mfn(frame[i])
#define TABLE_FLAGS (PTE_P | PTE_RW | PTE_U | PTE_A)

static long remap(int i, unsigned flags) {
  return HYPERVISOR_update_va_mapping((unsigned long)frame[i], (uint64_t)MFN(i) << 12 | flags, UVMF_INVLPG);
}

static int round;
static void check_round(unsigned long got, unsigned long want, const char *what, int line) {
  if (got == want) pv_check(1, __FILE__, line, "round %d: %s == 0x%x", round, what, (unsigned)want);
  else pv_check(0, __FILE__, line, "round %d: %s: got 0x%x, want 0x%x", round, what, (unsigned)got, (unsigned)want);
}
#define CHECK_R(got, want, what) check_round((unsigned long)(got), (unsigned long)(want), what, __LINE__)

/* Run the program with `input` in a fresh address space built in `frame`; returns its result. */
static unsigned long run_process(unsigned long input) {
  round++;
  pv_memset(frame, 0, sizeof frame);
  const unsigned long n = user_prog_end - user_prog;
  for (unsigned long i = 0; i < n; i++) frame[CODE][i] = user_prog[i];
  ((volatile unsigned long *)frame[DATA])[0] = input;

  /* the L1: the program's code (read-only) and its data + stack page */
  TABLE(L1)[(USER_CODE >> 12) & (PTES_PER_PAGE - 1)] = (pte_t)MFN(CODE) << 12 | PTE_P | PTE_U | PTE_A;
  TABLE(L1)[(USER_DATA >> 12) & (PTES_PER_PAGE - 1)] = (pte_t)MFN(DATA) << 12 | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
#if PV_PAE
  /* L3 slot 0 -> an L2 with the user L1; slot 3 -> a copy of the kernel's guest slots of its L2 3 */
  TABLE(L2_LO)[(USER_CODE >> 21) & 511] = (pte_t)MFN(L1) << 12 | TABLE_FLAGS;
  const pte_t *cur_l3 = (const pte_t *)start_info->pt_base;
  const pte_t *cur_l2_hi = pv_mfn_to_virt(pte_mfn(cur_l3[3]));
  for (unsigned i = 0; i < ((PV_HV_START >> 21) & 511); i++) TABLE(L2_HI)[i] = cur_l2_hi[i];
  TABLE(TOP)[0] = (pte_t)MFN(L2_LO) << 12 | (cur_l3[3] & 0xfff);
  TABLE(TOP)[3] = (pte_t)MFN(L2_HI) << 12 | (cur_l3[3] & 0xfff);
  const int tables[] = { TOP, L2_HI, L2_LO, L1 };
#else
  /* the L2: the kernel's guest slots, and slot 1 -> the user L1 */
  const pte_t *cur_l2 = (const pte_t *)start_info->pt_base;
  for (unsigned i = 0; i < (PV_HV_START >> 22); i++) TABLE(TOP)[i] = cur_l2[i];
  TABLE(TOP)[USER_CODE >> 22] = (pte_t)MFN(L1) << 12 | TABLE_FLAGS;
  const int tables[] = { TOP, L1 };
#endif
  const int ntables = sizeof tables / sizeof tables[0];

  int ro = 0;
  for (int i = 0; i < ntables; i++) ro += remap(tables[i], PTE_P | PTE_A) == 0;
  CHECK_R(ro, ntables, "the new tables mapped read-only");
  CHECK_R(pv_mmuext_mfn(PV_PAE ? MMUEXT_PIN_L3_TABLE : MMUEXT_PIN_L2_TABLE, MFN(TOP)), 0, "top-level table pinned (the tree validated)");
  CHECK_R(remap(L1, PTE_P | PTE_RW | PTE_A | PTE_D), -XEN_EBUSY, "the pinned tree's L1 cannot be mapped writable");

  unsigned long cr3_before;
  asm volatile("movl %%cr3, %0" : "=r"(cr3_before));
  CHECK_R(pv_mmuext_mfn(MMUEXT_NEW_BASEPTR, MFN(TOP)), 0, "NEW_BASEPTR to it");
  unsigned long cr3;
  asm volatile("movl %%cr3, %0" : "=r"(cr3));
  CHECK_R(cr3, MFN(TOP) << 12, "CR3 reads the new table");
  CHECK_R(*(volatile unsigned char *)USER_CODE, (unsigned char)user_prog[0], "the kernel sees the program at 0x400000");

  enter_user();

  CHECK_R(pv_mmuext_mfn(MMUEXT_NEW_BASEPTR, cr3_before >> 12), 0, "NEW_BASEPTR back to the kernel's tables");
  volatile unsigned long *data = (volatile unsigned long *)frame[DATA];
  CHECK_R(data[2], 0x55, "the program's stack worked");
  CHECK_R(data[3] & 3, 3, "the program ran in ring 3");

  CHECK_R(pv_mmuext_mfn(MMUEXT_UNPIN_TABLE, MFN(TOP)), 0, "unpinned");
  int rw = 0;
  for (int i = 0; i < ntables; i++) rw += remap(tables[i], PTE_P | PTE_RW | PTE_A | PTE_D) == 0;
  CHECK_R(rw, ntables, "torn down: every table frame can be mapped writable again");
  return data[1];
}

int main(void) {
  static const struct trap_info traps[] = { { 0x80, 3, FLAT_KERNEL_CS, (unsigned long)user_exit }, { 0, 0, 0, 0 } };
  CHECK_EQ(HYPERVISOR_set_trap_table(traps), 0, "int $0x80 (DPL 3) leads back to the kernel");
  CHECK_EQ(HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack + sizeof kernel_stack), 0, "stack_switch");
  CHECK_EQ(run_process(5), 5 * 3 + 7, "round 1: the program computed 5 * 3 + 7");
  CHECK_EQ(run_process(1000), 1000 * 3 + 7, "round 2, in the same frames: 1000 * 3 + 7");
  return 0;
}
