/*
 * multicall: a batch of hypercalls in one entry (XEN-PV-ABI.md §2): every entry runs, its result
 * written back into the entry; a failing entry does not stop the others; a nested multicall is
 * refused.
 */
#include <pv.h>

static char msg[] = "multicall: console_io from inside a batch\n";
static xen_capabilities_info_t caps;

int main(void) {
  static multicall_entry_t calls[5];
  pv_memset(calls, 0, sizeof calls);
  calls[0].op = __HYPERVISOR_xen_version;  calls[0].args[0] = XENVER_version;
  calls[1].op = __HYPERVISOR_console_io;   calls[1].args[0] = CONSOLEIO_write;
  calls[1].args[1] = sizeof msg - 1;       calls[1].args[2] = (unsigned long)msg;
  calls[2].op = 60;                        /* no such hypercall */
  calls[3].op = __HYPERVISOR_multicall;    calls[3].args[0] = (unsigned long)calls; calls[3].args[1] = 1;
  calls[4].op = __HYPERVISOR_xen_version;  calls[4].args[0] = XENVER_capabilities; calls[4].args[1] = (unsigned long)caps;
  for (int i = 0; i < 5; i++) calls[i].result = 0x5a5a5a5a;

  long rc = _hypercall2(multicall, calls, 5);
  CHECK_EQ(rc, 0, "multicall of 5 entries");
  CHECK(calls[0].result >= (3 << 16), "entry 0 xen_version: 0x%x", (unsigned)calls[0].result);
  CHECK_EQ(calls[1].result, 0, "entry 1 console_io (Xen: 0 once written)");
  CHECK_EQ(calls[2].result, (unsigned long)-38, "entry 2 unknown hypercall -ENOSYS");
  CHECK_EQ(calls[3].result, (unsigned long)-22, "entry 3 nested multicall -EINVAL");
  CHECK_EQ(calls[4].result, 0, "entry 4 xen_version capabilities (after the failures)");
  CHECK(pv_strcmp(caps, PV_MAGIC) == 0, "capabilities written by entry 4: \"%s\"", caps);

  CHECK_EQ(_hypercall2(multicall, calls, 0), 0, "an empty multicall");
  return 0;
}
