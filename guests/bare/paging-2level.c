/* paging-2level: two-level (non-PAE) paging with 4 KiB pages and 4 MiB PSE pages; the CPU sets
 * the Accessed bit on any access and the Dirty bit on a write (SDM 4.8), in the PTE for a 4 KiB
 * page and in the PDE itself for a 4 MiB page. */
#include "bare.h"
GUEST("paging-2level");

static volatile u32 target[1024] PAGE_ALIGNED;      /* the frame the 4 KiB alias maps */
#define ALIAS_4K 0x00800000u                         /* inside the identity map: PTE rewritten */
#define ALIAS_4M 0x01400000u                         /* PDE 5: a 4 MiB page onto 4..8 MiB */
#define PHYS_4M 0x00400000u

void test_main(void) {
  paging_identity(PG_P | PG_W | PG_U);
  u32 *pte = pte_of(ALIAS_4K);
  *pte = (u32)target | PG_P | PG_W;                  /* A = D = 0 */
  page_dir[ALIAS_4M >> 22] = PHYS_4M | PG_P | PG_W | PG_PS;
  write_cr4(read_cr4() | CR4_PSE);
  paging_on();
  check("CR0.PG is set", read_cr0() & CR0_PG);

  /* 4 KiB page: the alias and the frame are the same memory. */
  target[3] = 0xCAFEF00D;
  check_eq("4K alias reads the frame", 0xCAFEF00D, ((volatile u32 *)ALIAS_4K)[3]);
  check_eq("read sets PTE.A, not PTE.D", PG_A, *pte & (PG_A | PG_D));
  check("read sets PDE.A", page_dir[ALIAS_4K >> 22] & PG_A);
  ((volatile u32 *)ALIAS_4K)[5] = 0x5EED;
  check_eq("write through the alias lands in the frame", 0x5EED, target[5]);
  check_eq("write sets PTE.D", PG_A | PG_D, *pte & (PG_A | PG_D));
  /* A non-leaf PDE has no Dirty bit the CPU writes (bit 6 is ignored there). */
  check_eq("write leaves PDE bit 6 (ignored in a non-leaf PDE) clear", 0,
           page_dir[ALIAS_4K >> 22] & PG_D);

  /* 4 MiB page: bits 31:22 of the PDE are the frame; the offset is 22 bits. */
  *(volatile u32 *)(PHYS_4M + 0x123454) = 0x4A4A4A4A;
  check_eq("4M page reads at offset 0x123454", 0x4A4A4A4A, *(volatile u32 *)(ALIAS_4M + 0x123454));
  check_eq("4M read sets PDE.A only", PG_A, page_dir[ALIAS_4M >> 22] & (PG_A | PG_D));
  *(volatile u32 *)(ALIAS_4M + 0x3FFFFC) = 0x77;
  check_eq("4M write reaches the last dword", 0x77, *(volatile u32 *)(PHYS_4M + 0x3FFFFC));
  check_eq("4M write sets PDE.D", PG_A | PG_D, page_dir[ALIAS_4M >> 22] & (PG_A | PG_D));

  /* Without CR4.PSE the PS bit is ignored: the PDE points at a page table (SDM 4.3). Point the
   * PDE at `target` as if it were a page table whose entry 0 maps frame 0x00400000. */
  for (int i = 0; i < 1024; i++) target[i] = 0;
  target[0] = PHYS_4M | PG_P | PG_W;
  page_dir[ALIAS_4M >> 22] = (u32)target | PG_P | PG_W | PG_PS;
  write_cr4(read_cr4() & ~CR4_PSE); /* changing CR4.PSE flushes the TLB (SDM 4.10.4.1) */
  check_eq("PSE off: PS ignored, the PDE is a table", *(volatile u32 *)PHYS_4M,
           *(volatile u32 *)ALIAS_4M);
  fault_reset();
  asm volatile(ARM "movl (%0), %%eax" LAND ::"r"(ALIAS_4M + 0x1000) : "eax", "memory");
  expect_fault("PSE off: PTE 1 is not present: #PF(0)", 14, 0);
  check_eq("PSE off: CR2 is the faulting address", ALIAS_4M + 0x1000, fault.cr2);
  paging_off();
}
