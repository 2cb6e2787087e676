/*
 * traps: a trap table (set_trap_table) with #DE, #UD, #GP and #PF handlers; each exception is
 * raised once, the handler sees the vector, the error code, the faulting EIP and (for #PF) CR2
 * through shared_info's vcpu_info.arch.cr2, and execution resumes after the faulting instruction
 * (XEN-PV-ABI.md §3). Also: int n is delivered by the registered DPL, else #GP((n<<3)|2); the
 * forced-emulation prefix runs CPUID.
 */
#include <pv.h>
#include <pv-traps.h>   /* pv_trap_handler records the exception in pv_seen, resumes at pv_resume */

void trap_de(void), trap_ud(void), trap_gp(void), trap_pf(void), trap_soft41(void), trap_soft42(void);

static const struct trap_info traps[] = {
  { 0,  0, FLAT_KERNEL_CS, (unsigned long)trap_de },
  { 6,  0, FLAT_KERNEL_CS, (unsigned long)trap_ud },
  { 13, 0, FLAT_KERNEL_CS, (unsigned long)trap_gp },
  { 14, 0, FLAT_KERNEL_CS, (unsigned long)trap_pf },
  { 0x41, 1, FLAT_KERNEL_CS, (unsigned long)trap_soft41 },  /* int $0x41 allowed from ring 1 */
  { 0x42, 0, FLAT_KERNEL_CS, (unsigned long)trap_soft42 },  /* DPL 0: not even from the kernel */
  { 0, 0, 0, 0 },
};

/* Run `setup`, then `insn` with pv_resume after it; fault_eip receives insn's address.
 * Inputs start at %1; EAX and EDX are free for the instructions. */
#define RAISE(setup, insn, fault_eip, ...)                                   \
  asm volatile("movl $1f, pv_resume\n\t"                                     \
               "movl $0f, %0\n\t"                                            \
               setup "\n"                                                    \
               "0: " insn "\n"                                               \
               "1:" : "=m"(fault_eip) : __VA_ARGS__ : "memory", "eax", "edx")

static void expect_trap(unsigned long before, unsigned vector, unsigned long ec, unsigned long eip, const char *what) {
  /* the saved CS carries the event mask at the time of the exception in bits 16-23 (Xen's
   * compat_create_bounce_frame); events are masked throughout this guest */
  int ok = pv_seen.count == before + 1 && pv_seen.vector == vector && pv_seen.error_code == ec
           && pv_seen.eip == eip && pv_seen.cs == (FLAT_KERNEL_CS | 1 << 16);
  if (ok) CHECK(1, "%s: vector %u, error code 0x%x at its EIP", what, vector, (unsigned)ec);
  else CHECK(0, "%s: want vector %u ec 0x%x EIP %p; got %u traps, vector %u ec 0x%x EIP %p CS 0x%x", what,
             vector, (unsigned)ec, (void *)eip, (unsigned)(pv_seen.count - before), (unsigned)pv_seen.vector,
             (unsigned)pv_seen.error_code, (void *)pv_seen.eip, (unsigned)pv_seen.cs);
}

int main(void) {
  CHECK_EQ(HYPERVISOR_set_trap_table(traps), 0, "set_trap_table");
  unsigned long at, before;

  before = pv_seen.count;
  RAISE("movl $1, %%eax; xorl %%edx, %%edx", "divl %1", at, "r"(0));
  expect_trap(before, 0, 0, at, "#DE from divl by zero");

  before = pv_seen.count;
  RAISE("", "ud2", at);
  expect_trap(before, 6, 0, at, "#UD from ud2");

  before = pv_seen.count;
  RAISE("", "hlt", at);
  expect_trap(before, 13, 0, at, "#GP(0) from hlt at ring 1");

  before = pv_seen.count;
  RAISE("", "int $0x40", at);
  expect_trap(before, 13, (0x40 << 3) | 2, at, "#GP(0x202) from int $0x40 with no DPL registered");

  /* software interrupts by the registered DPL: delivered as a trap (EIP after the int) when
   * DPL >= the caller's ring (the kernel counts as 1), else #GP((n<<3)|2) at the int */
  before = pv_seen.count;
  RAISE("", "int $0x41", at);
  expect_trap(before, 0x41, 0, at + 2, "int $0x41 registered with DPL 1, from ring 1");
  before = pv_seen.count;
  RAISE("", "int $0x42", at);
  expect_trap(before, 13, (0x42 << 3) | 2, at, "int $0x42 registered with DPL 0: #GP(0x212)");

  /* read of an unmapped page: error code 0 (not present, read, supervisor) */
  volatile unsigned long *unmapped = (unsigned long *)0xD0000000;
  before = pv_seen.count;
  RAISE("", "movl (%1), %%eax", at, "r"(unmapped));
  expect_trap(before, 14, 0, at, "#PF reading an unmapped page");
  CHECK_EQ(pv_seen.cr2, (unsigned long)unmapped, "vcpu_info.arch.cr2 after the read");

  /* write to a page table, which the builder maps read-only: error code P|W = 3 */
  volatile unsigned long *pt = (unsigned long *)(start_info->pt_base + 8);
  before = pv_seen.count;
  RAISE("movl (%1), %%eax", "movl %%eax, (%1)", at, "r"(pt));
  expect_trap(before, 14, 3, at, "#PF writing the read-only page table");
  CHECK_EQ(pv_seen.cr2, (unsigned long)pt, "vcpu_info.arch.cr2 after the write");

  /* the forced-emulation prefix: ud2a; "xen"; cpuid runs CPUID (Xen's leaf 0x40000000) */
  unsigned long eax = 0x40000000, ebx, ecx = 0, edx;
  before = pv_seen.count;
  asm volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
  CHECK(pv_seen.count == before && ebx == 0x566e6558 && ecx == 0x65584d4d && edx == 0x4d4d566e,
        "forced-emulation cpuid leaf 0x40000000 says XenVMMXenVMM without a trap");

  /* a trap taken with events masked comes back with them still masked */
  CHECK_EQ(shared_info->vcpu_info[0].evtchn_upcall_mask, 1, "events still masked after the traps");
  return 0;
}
