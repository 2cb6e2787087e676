/*
 * ldt: the guest's LDT (MMUEXT_SET_LDT, docs/HYPERVISOR.md "LDT"). The LDT page is mapped
 * read-only; the first load of an LDT selector faults into the hypervisor, which maps the page
 * into its LDT window after validating it as a descriptor page (check_descriptor rewrites DPL 0 to
 * 1 and truncates a flat limit, in place) and restarts the load. A call gate in the LDT is
 * emulated like a GDT one. Faults: not present #NP(sel), beyond the LDT #GP(sel), an LDT page the
 * guest still maps writable #PF at that LDT address, no LDT #GP(sel). SET_LDT's argument checks.
 */
#include <pv.h>
#include <pv-traps.h>

#if PV_PAE
#define M2P_END __MACH2PHYS_VIRT_END_PAE
#else
#define M2P_END __MACH2PHYS_VIRT_END_NONPAE
#endif

static uint64_t ldt[512] __attribute__((aligned(4096)));
static uint64_t ldt2[512] __attribute__((aligned(4096)));
static volatile unsigned long probe;
void ldt_gate_target(void);
asm(".text\nldt_gate_target: movl $0x1d7, %eax; lret\n");

static long set_ldt(const void *va, unsigned ents) {
  struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };
  op.arg1.linear_addr = (unsigned long)va;
  op.arg2.nr_ents = ents;
  return _hypercall4(mmuext_op, &op, 1, 0, DOMID_SELF);
}

static void load_es(unsigned sel, unsigned long *at) {
  asm volatile("movl $1f, pv_resume; movl $0f, %0; 0: movl %1, %%es; 1: movl %2, %%es"
               : "=m"(*at) : "r"(sel), "r"(FLAT_KERNEL_DS) : "memory");
}

static void expect_fault(unsigned long before, unsigned vector, unsigned long ec, unsigned long eip, const char *what) {
  CHECK(pv_seen.count == before + 1 && pv_seen.vector == vector && pv_seen.error_code == ec && pv_seen.eip == eip,
        "%s: vector %u error code 0x%x (got %u faults, vector %u, ec 0x%x)", what, vector, (unsigned)ec,
        (unsigned)(pv_seen.count - before), (unsigned)pv_seen.vector, (unsigned)pv_seen.error_code);
}

int main(void) {
  pv_traps_install();
  CHECK_EQ(set_ldt((char *)ldt + 8, 16), -22, "SET_LDT at a misaligned address: -EINVAL");
  CHECK_EQ(set_ldt(ldt, 8193), -22, "SET_LDT of 8193 entries: -EINVAL");

  /* entry 1: flat data with DPL 0 (Xen raises it to 1); entry 2: a call gate (DPL 1) to the
   * kernel's code; entry 3: not present. Written while the page is still ours to write. */
  ldt[1] = 0x00cf92000000ffffULL;
  unsigned long g = (unsigned long)ldt_gate_target;
  ldt[2] = (uint64_t)((g & 0xffff0000) | 0xac00) << 32 | (uint32_t)(FLAT_KERNEL_CS << 16 | (g & 0xffff));
  ldt[3] = 0x00cf32000000ffffULL;   /* DPL 1: a DPL below CPL would be #GP first */
  unsigned long mfn = pv_virt_to_mfn(ldt);
  CHECK_EQ(HYPERVISOR_update_va_mapping((unsigned long)ldt, (uint64_t)mfn << 12 | PTE_P | PTE_A, UVMF_INVLPG), 0,
           "LDT page mapped read-only");
  CHECK_EQ(set_ldt(ldt, 16), 0, "SET_LDT: 16 entries");

  unsigned long n = pv_seen.count, at;
  load_es(0x0d, &at);
  CHECK(pv_seen.count == n, "LDT selector 0x0d loads (the page was mapped on the first access)");
  uint32_t hi = (uint32_t)(ldt[1] >> 32), lo = (uint32_t)ldt[1];
  CHECK(((hi >> 13) & 3) == 1 && ((hi & 0xf0000) | (lo & 0xffff)) == (M2P_END >> 12) - 1,
        "entry 1 rewritten in place: DPL 1, limit at the end of the M2P (0x%x%08x)", (unsigned)hi, (unsigned)lo);
  CHECK(hi & 0x100, "the load set its accessed bit");
  asm volatile("movl %0, %%es; movl $0xfeedf00d, %%es:probe; movl %1, %%es" : : "r"(0x0d), "r"(FLAT_KERNEL_DS) : "memory");
  CHECK_EQ(probe, 0xfeedf00d, "a store through it lands");

  long r;
  asm volatile("lcall $0x15, $0" : "=a"(r) : : "memory", "edx");
  CHECK_EQ(r, 0x1d7, "lcall through the LDT's call gate (emulated)");

  n = pv_seen.count; load_es(0x1d, &at);
  expect_fault(n, 11, 0x1c, at, "LDT entry 3 not present: #NP(selector with TI)");
  n = pv_seen.count; load_es(0xa5, &at);
  expect_fault(n, 13, 0xa4, at, "LDT selector beyond its 16 entries: #GP");

  /* An LDT page still mapped writable cannot become a descriptor page: #PF at its address. */
  ldt2[1] = 0x00cf92000000ffffULL;
  CHECK_EQ(set_ldt(ldt2, 16), 0, "SET_LDT on a page still mapped writable");
  n = pv_seen.count; load_es(0x0d, &at);
  CHECK(pv_seen.count == n + 1 && pv_seen.vector == 14 && pv_seen.cr2 == (unsigned long)ldt2 + 8 && pv_seen.eip == at,
        "its first use: #PF at the LDT entry's address (cr2 %p, ec 0x%x)", (void *)pv_seen.cr2, (unsigned)pv_seen.error_code);

  CHECK_EQ(set_ldt(0, 0), 0, "SET_LDT 0 entries: no LDT");
  n = pv_seen.count; load_es(0x0d, &at);
  expect_fault(n, 13, 0x0c, at, "an LDT selector without an LDT: #GP");
  CHECK_EQ(HYPERVISOR_update_va_mapping((unsigned long)ldt, (uint64_t)mfn << 12 | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG), 0,
           "once the LDT is gone its page may be writable again");
  return 0;
}
