/*
 * preempt: long batches are preempted and restarted (hypercall continuations, docs/HYPERVISOR.md).
 * The guest cannot tell, except by the argument registers: mmuext_op of 1000 operations returns 0
 * with *pdone = 1000; a multicall of 300 entries fills in every result; a multicall whose
 * mmuext_op entry is preempted finishes it. test/guests/pv.test.ts counts the restarts.
 */
#include <pv.h>

#define NOPS 1000
#define NMC 300
static struct mmuext_op ops[NOPS];
static multicall_entry_t mc[NMC];

int main(void) {
  for (int i = 0; i < NOPS; i++) { ops[i].cmd = MMUEXT_TLB_FLUSH_LOCAL; ops[i].arg1.linear_addr = 0; }
  unsigned done = 12345;
  long rc = _hypercall4(mmuext_op, ops, NOPS, &done, DOMID_SELF);
  CHECK_EQ(rc, 0, "mmuext_op of 1000 TLB flushes");
  CHECK_EQ(done, NOPS, "*pdone counts all of them across the restarts");

  pv_memset(mc, 0, sizeof mc);
  for (int i = 0; i < NMC; i++) { mc[i].op = __HYPERVISOR_xen_version; mc[i].args[0] = XENVER_version; mc[i].result = 0x5a5a5a5a; }
  CHECK_EQ(_hypercall2(multicall, mc, NMC), 0, "multicall of 300 xen_version entries");
  int all = 1;
  for (int i = 0; i < NMC; i++) if (mc[i].result != mc[0].result || mc[i].result < (4 << 16)) all = 0;
  CHECK(all, "every entry's result written (0x%x)", (unsigned)mc[0].result);

  pv_memset(mc, 0, 3 * sizeof mc[0]);
  done = 0;
  mc[0].op = __HYPERVISOR_xen_version; mc[0].args[0] = XENVER_version;
  mc[1].op = __HYPERVISOR_mmuext_op; mc[1].args[0] = (unsigned long)ops; mc[1].args[1] = 600;
  mc[1].args[2] = (unsigned long)&done; mc[1].args[3] = DOMID_SELF;
  mc[2].op = __HYPERVISOR_xen_version; mc[2].args[0] = XENVER_version;
  CHECK_EQ(_hypercall2(multicall, mc, 3), 0, "multicall with a 600-op mmuext_op inside");
  CHECK(mc[1].result == 0 && done == 600, "the mmuext_op entry finished: result %d, done %u", (int)mc[1].result, done);
  CHECK(mc[2].result >= (4 << 16), "the entry after it ran");
  return 0;
}
