/*
 * badstack: an exception bounced onto a kernel stack that cannot be written. Xen kills the domain
 * when it cannot write the bounce frame (XEN-PV-ABI.md §3: "double fault during exception
 * virtualization terminates the guest"); nothing after the faulting instruction runs. The test
 * expects the domain killed (exit status 1), the lines before it, and never the final line.
 */
#include <pv.h>

void trap_ud_never(void);
asm(".text\ntrap_ud_never:\n  ud2\n");   /* never reached: the frame cannot be pushed */

static const struct trap_info traps[] = {
  { 6, 0, FLAT_KERNEL_CS, (unsigned long)trap_ud_never },
  { 0, 0, 0, 0 },
};

int main(void) {
  CHECK_EQ(HYPERVISOR_set_trap_table(traps), 0, "set_trap_table with a #UD handler");
  printk("badstack: raising #UD with ESP in an unmapped page; the domain must die now\n");
  asm volatile("movl $0xD0001000, %%esp\n\tud2" ::: "memory");
  printk("badstack: still running after the bounce: WRONG\n");
  return 0;
}
