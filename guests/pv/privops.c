/*
 * privops: privileged instructions Xen emulates for a PV kernel (docs/HYPERVISOR.md
 * "Exceptions"): RDMSR/WRMSR by Xen's PV MSR policy (TSC readable, MISC_ENABLE's fixed view,
 * writes a domU may make dropped, unknown MSRs #GP(0)), the hypercall-page MSR, and IN/OUT,
 * INS/OUTS (with REP) under the virtual IOPL or the set_iobitmap bitmap: a domU reads all ones,
 * except Xen's RTC index (port 0x70) and PCI CONFIG_ADDRESS (0xcf8) registers.
 */
#include <pv.h>
#include <pv-traps.h>

static uint8_t buf[64];
static char page[4096] __attribute__((aligned(4096)));
static uint8_t iobmp[8192];

static uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return (uint64_t)hi << 32 | lo; }

static void expect_gp(unsigned long before, const char *what) {
  CHECK(pv_seen.count == before + 1 && pv_seen.vector == 13 && pv_seen.error_code == 0, "%s: #GP(0) (%u faults, vector %u, ec 0x%x)",
        what, (unsigned)(pv_seen.count - before), (unsigned)pv_seen.vector, (unsigned)pv_seen.error_code);
}

int main(void) {
  pv_traps_install();

  /* ---- MSRs ---- */
  uint64_t tsc0 = rdmsr(0x10), tsc1 = rdmsr(0x10);
  CHECK(tsc1 > tsc0, "RDMSR IA32_TSC counts (%u -> %u)", (unsigned)tsc0, (unsigned)tsc1);
  CHECK(rdmsr(0x1a0) == 0x801800, "RDMSR IA32_MISC_ENABLE: BTS/PEBS unavailable, xTPR disabled");
  CHECK(rdmsr(0xc0000080) == 0, "RDMSR EFER: no LME/LMA/SCE for a 32-bit guest, no NX");
  unsigned long n = pv_seen.count;
  TRY("wrmsr", "c"(0x199), "a"(1), "d"(0));
  CHECK(pv_seen.count == n, "WRMSR IA32_PERF_CTL from a domU is dropped without a fault");
  TRY("rdmsr", "c"(0x12345678));
  expect_gp(n, "RDMSR of an MSR Xen does not handle");
  n = pv_seen.count;
  TRY("wrmsr", "c"(0x10), "a"(0), "d"(0));
  expect_gp(n, "WRMSR IA32_TSC");

  /* The hypercall-page MSR (CPUID leaf 0x40000002 names it) fills a page of ours. */
  unsigned long mfn = pv_virt_to_mfn(page);
  n = pv_seen.count;
  TRY("wrmsr", "c"(0x40000000), "a"(mfn << 12), "d"(0));
  CHECK(pv_seen.count == n && page[0] == (char)0xb8 && page[5] == (char)0xcd && page[6] == (char)0x82,
        "WRMSR 0x40000000 wrote a hypercall page (mov $0,%%eax; int $0x82)");
  long ver;
  asm volatile("call *%1" : "=a"(ver) : "r"(page + __HYPERVISOR_xen_version * 32), "b"(XENVER_version), "c"(0) : "memory", "edx");
  CHECK(ver >= (4 << 16), "xen_version through the new page: 0x%x", (unsigned)ver);
  TRY("wrmsr", "c"(0x40000000), "a"(mfn << 12 | 1), "d"(0));
  expect_gp(n, "WRMSR 0x40000000 with a page index");

  /* ---- I/O at virtual IOPL 0: not allowed ---- */
  n = pv_seen.count;
  TRY("inb $0x80, %%al", "i"(0));
  expect_gp(n, "IN with IOPL 0 and no bitmap");

  /* ---- IOPL 1: the kernel may do I/O ---- */
  struct physdev_set_iopl iopl = { .iopl = 1 };
  CHECK_EQ(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl), 0, "set_iopl 1");
  pv_memset(buf, 0x11, sizeof buf);
  void *di = buf;
  unsigned long cx = 6;
  asm volatile("rep insb" : "+D"(di), "+c"(cx) : "d"(0x80) : "memory");
  CHECK(di == buf + 6 && cx == 0 && buf[0] == 0xff && buf[5] == 0xff && buf[6] == 0x11,
        "REP INSB from port 0x80: six bytes of all ones, EDI and ECX retired");
  di = buf + 8; cx = 2;
  asm volatile("rep insl" : "+D"(di), "+c"(cx) : "d"(0x80) : "memory");
  CHECK(di == buf + 16 && *(uint32_t *)(buf + 12) == 0xffffffff, "REP INSL: two dwords");
  buf[32] = 0x0e;
  const void *si = buf + 32;
  asm volatile("outsb" : "+S"(si) : "d"(0x70) : "memory");
  uint8_t idx;
  asm volatile("inb $0x70, %0" : "=a"(idx));
  CHECK(si == buf + 33 && idx == 0x0e, "OUTSB to the RTC index, read back by IN: 0x%x", idx);
  uint32_t cf8;
  asm volatile("outl %%eax, %%dx" : : "a"(0x8000f810), "d"(0xcf8));
  asm volatile("inl %%dx, %%eax" : "=a"(cf8) : "d"(0xcf8));
  CHECK_EQ(cf8, 0x8000f810, "PCI CONFIG_ADDRESS (0xcf8) keeps a dword write");
  uint32_t cfc;
  asm volatile("inl %%dx, %0" : "=a"(cfc) : "d"(0xcfc));
  CHECK_EQ(cfc, 0xffffffff, "PCI config data reads all ones for a domU");

  /* INS into a read-only page: #PF at the faulting byte; Xen's rep_ins reports only
   * PFEC_write_access (not the present bit) whatever the cause. */
  n = pv_seen.count;
  unsigned long ro = (unsigned long)start_info->pt_base;   /* the page tables are mapped read-only */
  TRY("rep insb", "D"(ro), "c"(2), "d"(0x80));
  CHECK(pv_seen.count == n + 1 && pv_seen.vector == 14 && pv_seen.error_code == 2 && pv_seen.cr2 == ro,
        "INS into a read-only page: #PF (error code: write) at its address (ec 0x%x, cr2 %p)", (unsigned)pv_seen.error_code,
        (void *)pv_seen.cr2);

  /* ---- the I/O bitmap at IOPL 0: only the ports it opens ---- */
  iopl.iopl = 0;
  CHECK_EQ(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl), 0, "set_iopl 0");
  pv_memset(iobmp, 0xff, sizeof iobmp);
  iobmp[0x80 / 8] &= ~1;                                    /* port 0x80 only */
  struct physdev_set_iobitmap bm = { .nr_ports = 0x400 };
  set_xen_guest_handle(bm.bitmap, iobmp);
  CHECK_EQ(HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm), 0, "set_iobitmap opening port 0x80");
  n = pv_seen.count;
  uint8_t v8 = 0;
  asm volatile("inb $0x80, %0" : "=a"(v8));
  CHECK(pv_seen.count == n && v8 == 0xff, "IN from port 0x80 through the bitmap");
  TRY("inw $0x80, %%ax", "i"(0));
  expect_gp(n, "IN of ports 0x80-0x81 (0x81 closed)");
  bm.nr_ports = 65537;
  CHECK_EQ(HYPERVISOR_physdev_op(PHYSDEVOP_set_iobitmap, &bm), -22, "set_iobitmap of 65537 ports: -EINVAL");
  return 0;
}
