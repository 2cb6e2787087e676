/* paging-pae: PAE paging (CR4.PAE): 4 KiB and 2 MiB pages, and the execute-disable bit (bit 63)
 * with EFER.NXE: an instruction fetch from an XD page faults with I/D (bit 4) set in the #PF
 * error code (SDM 4.7); with EFER.NXE = 0 bit 63 is reserved and sets RSVD (bit 3). */
#include "bare.h"
GUEST("paging-pae");

#define PAE_XD (1ull << 63)
static u64 pdpt[4] __attribute__((aligned(32)));
static u64 pd[512] PAGE_ALIGNED;   /* 0..1 GiB */
static u64 pt[512] PAGE_ALIGNED;   /* 16..18 MiB in 4 KiB pages */
static volatile u8 code_page[4096] PAGE_ALIGNED;
static volatile u32 frame4k[1024] PAGE_ALIGNED;

#define VA_4K 0x01000000u   /* pt[0] -> frame4k */
#define VA_CODE 0x01001000u /* pt[1] -> code_page, XD */
#define VA_2M 0x01400000u   /* pd[10]: a 2 MiB page onto 2..4 MiB */
#define PHYS_2M 0x00200000u

static void cpuid(u32 leaf, u32 *a, u32 *d) {
  u32 b, c;
  asm volatile("cpuid" : "=a"(*a), "=b"(b), "=c"(c), "=d"(*d) : "a"(leaf), "c"(0));
}

void test_main(void) {
  u32 a, d;
  cpuid(0x80000000u, &a, &d);
  u32 nx = 0;
  if (a >= 0x80000001u) { cpuid(0x80000001u, &a, &d); nx = d & (1u << 20); }
  check("CPUID reports NX (0x80000001 EDX bit 20)", nx);

  /* Identity map 0..16 MiB with 2 MiB pages; PDPTEs have only P (bits 1, 2 are reserved). */
  pdpt[0] = (u32)pd | PG_P;
  for (u32 i = 0; i < 8; i++) pd[i] = (u64)(i << 21) | PG_P | PG_W | PG_PS;
  pd[8] = (u32)pt | PG_P | PG_W;
  pt[0] = (u32)frame4k | PG_P | PG_W;
  pt[1] = (u32)code_page | PG_P | PG_W;
  pd[VA_2M >> 21] = PHYS_2M | PG_P | PG_W | PG_PS;
  code_page[0] = 0xB8; /* mov $0x600DC0DE, %eax; ret */
  *(volatile u32 *)&code_page[1] = 0x600DC0DE;
  code_page[5] = 0xC3;

  write_cr4(read_cr4() | CR4_PAE);
  write_cr3((u32)pdpt);
  write_cr0(read_cr0() | CR0_PG);
  check("PAE paging is on", (read_cr0() & CR0_PG) && (read_cr4() & CR4_PAE));

  frame4k[7] = 0x12345678;
  check_eq("4K page reads its frame", 0x12345678, ((volatile u32 *)VA_4K)[7]);
  check_eq("read sets PTE.A only", PG_A, (u32)pt[0] & (PG_A | PG_D));
  ((volatile u32 *)VA_4K)[8] = 0x9ABC;
  check_eq("write sets PTE.D", PG_A | PG_D, (u32)pt[0] & (PG_A | PG_D));

  *(volatile u32 *)(PHYS_2M + 0x1FFFF8) = 0xD00DFEED;
  check_eq("2M page: offset is 21 bits", 0xD00DFEED, *(volatile u32 *)(VA_2M + 0x1FFFF8));
  check_eq("2M read sets PDE.A only", PG_A, (u32)pd[VA_2M >> 21] & (PG_A | PG_D));
  *(volatile u32 *)(VA_2M + 4) = 1;
  check_eq("2M write sets PDE.D", PG_A | PG_D, (u32)pd[VA_2M >> 21] & (PG_A | PG_D));

  u32 (*code)(void) = (u32 (*)(void))VA_CODE;
  check_eq("code page executes (XD clear)", 0x600DC0DE, code());

  if (nx) {
    wrmsr(EFER_MSR, rdmsr(EFER_MSR) | EFER_NXE);
    pt[1] |= PAE_XD;
    invlpg((void *)VA_CODE);
    fault_reset();
    u32 got = 0;
    /* The CALL pushed its return address before the fetch faulted: restore ESP from ESI. */
    asm volatile("mov %%esp, %%esi\n\t" ARM "call *%1" LAND "mov %%esi, %%esp"
                 : "+a"(got) : "r"(VA_CODE) : "esi", "memory");
    expect_fault("fetch from XD page: #PF(P|I/D = 0x11)", 14, 0x11);
    check_eq("fetch fault CR2 is the page address", VA_CODE, fault.cr2);
    check_eq("fetch fault EIP is the target (nothing ran)", VA_CODE, fault.eip);
    check_eq("the faulting fetch ran nothing", 0, got);
    check_eq("XD page is still readable", 0xB8, *(volatile u8 *)VA_CODE);

    /* A not-present page fetched: I/D is set without P. */
    pt[1] &= ~(u64)PG_P;
    invlpg((void *)VA_CODE);
    fault_reset();
    asm volatile("mov %%esp, %%esi\n\t" ARM "call *%0" LAND "mov %%esi, %%esp"
                 ::"r"(VA_CODE) : "eax", "esi", "memory");
    expect_fault("fetch from not-present page: #PF(I/D = 0x10)", 14, 0x10);
    pt[1] |= PG_P;

    /* NXE off: bit 63 becomes a reserved bit (SDM 4.4.2): any access faults with RSVD set, and
     * P set because the entry is present (SDM 4.7: P = 0 only when some entry had P = 0).
     * QEMU 7.2 TCG reports 0x8 (P clear): a known QEMU divergence; the SDM wins. */
    wrmsr(EFER_MSR, rdmsr(EFER_MSR) & ~(u64)EFER_NXE);
    invlpg((void *)VA_CODE);
    fault_reset();
    asm volatile(ARM "movl (%0), %%eax" LAND ::"r"(VA_CODE) : "eax", "memory");
    expect_fault("XD bit with NXE off: #PF(RSVD|P = 0x9)", 14, 0x9);
  }
  write_cr0(read_cr0() & ~CR0_PG);
}
