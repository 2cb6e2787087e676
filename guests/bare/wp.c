/* wp: CR0.WP. With WP = 0 a supervisor write to a read-only page succeeds; with WP = 1 it
 * faults with #PF(P|W) (SDM 4.6.1). User writes to read-only pages fault either way. */
#include "bare.h"
GUEST("wp");

static volatile u32 page[1024] PAGE_ALIGNED;

static u32 user_write(void) {
  asm volatile(ARM "movl $3, (%0)" LAND ::"r"(page) : "memory");
  return 0;
}

void test_main(void) {
  u32 *pte = pte_of((u32)page);
  paging_identity(PG_P | PG_W | PG_U);
  *pte = (u32)page | PG_P | PG_U; /* read-only */
  write_cr0(read_cr0() & ~CR0_WP);
  paging_on();

  fault_reset();
  asm volatile(ARM "movl $1, (%0)" LAND ::"r"(page) : "memory");
  expect_no_fault("WP=0: ring 0 write to a read-only page is allowed");
  check_eq("WP=0: the write landed", 1, page[0]);
  check("WP=0: the write set PTE.D", *pte & PG_D);
  fault_reset();
  user_run(user_write, user_stack_top);
  expect_fault("WP=0: ring 3 write to a read-only page: #PF(P|W|U)", 14, 7);

  /* The TLB now holds the translation (dirty); WP applies at access time all the same. */
  write_cr0(read_cr0() | CR0_WP);
  fault_reset();
  asm volatile(ARM "movl $2, 4(%0)" LAND ::"r"(page) : "memory");
  expect_fault("WP=1: ring 0 write to a read-only page: #PF(P|W)", 14, 3);
  check_eq("WP=1: CR2", (u32)page + 4, fault.cr2);
  check_eq("WP=1: nothing was written", 0, page[1]);
  fault_reset();
  (void)page[2];
  expect_no_fault("WP=1: ring 0 read of a read-only page is fine");

  /* A read-only PDE also counts: W must be 1 at both levels (SDM 4.6.1). Use 12 MiB, whose
   * 4 MiB region (PDE 3) holds nothing else, so the guest's own code and stack stay writable. */
  volatile u32 *far = (volatile u32 *)0x00C00000;
  page_dir[3] &= ~PG_W;
  write_cr3(read_cr3());
  fault_reset();
  asm volatile(ARM "movl $5, 8(%0)" LAND ::"r"(far) : "memory");
  expect_fault("WP=1: PTE writable but PDE read-only: #PF(P|W)", 14, 3);
  write_cr0(read_cr0() & ~CR0_WP);
  fault_reset();
  asm volatile(ARM "movl $5, 8(%0)" LAND ::"r"(far) : "memory");
  expect_no_fault("WP=0: read-only PDE does not stop ring 0");
  check_eq("WP=0: that write landed", 5, far[2]);
  page_dir[3] |= PG_W;
  paging_off();
}
