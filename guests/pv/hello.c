/*
 * hello: the greeting, then what the domain builder promised (XEN-PV-ABI.md §1): start_info's
 * magic and fields, the P2M list agreeing with the read-only M2P table, the hypercall page's
 * slots, shared_info's boot state, xen_version.
 */
#include <pv.h>

extern char _end[];

int main(void) {
  printk("Hello from a xenolith PV guest!\n");
  start_info_t *si = start_info;

  CHECK(pv_strcmp(si->magic, PV_MAGIC) == 0, "start_info magic is \"%s\" (got \"%s\")", PV_MAGIC, si->magic);
  CHECK(si->nr_pages >= 256, "nr_pages %u is at least 1 MiB", (unsigned)si->nr_pages);
  CHECK_EQ(si->flags, 0, "start_info.flags (an unprivileged domU)");
  CHECK((unsigned long)si % 4096 == 0 && (unsigned long)si >= (unsigned long)_end,
        "start_info %p is page-aligned, after the image (ends %p)", si, _end);
  CHECK(si->shared_info % 4096 == 0, "shared_info machine address 0x%x is page-aligned", (unsigned)si->shared_info);
  CHECK(si->console.domU.evtchn != 0 && si->store_evtchn != 0 && si->console.domU.evtchn != si->store_evtchn,
        "console (%u) and xenstore (%u) event channels are distinct ports", si->console.domU.evtchn, si->store_evtchn);
  CHECK(si->pt_base > (unsigned long)si && si->nr_pt_frames >= 2,
        "page tables at 0x%x (%u frames) after start_info", (unsigned)si->pt_base, (unsigned)si->nr_pt_frames);
  CHECK(si->cmd_line[MAX_GUEST_CMDLINE - 1] == 0, "the command line is NUL-terminated");
  printk("cmdline: \"%s\"\n", (const char *)si->cmd_line);

  /* The P2M list and the M2P table (mapped read-only at MACH2PHYS_VIRT_START) agree. */
  const unsigned long *p2m = (const unsigned long *)si->mfn_list;
  unsigned bad = 0, dup = 0;
  for (unsigned long pfn = 0; pfn < si->nr_pages; pfn++) {
    if (PV_M2P[p2m[pfn]] != pfn) bad++;
    if (pfn > 0 && p2m[pfn] == p2m[pfn - 1] + 1) dup++;
  }
  CHECK(bad == 0, "m2p[p2m[pfn]] == pfn for all %u pfns (%u wrong)", (unsigned)si->nr_pages, bad);
  CHECK(dup < si->nr_pages - 1, "machine frames are not one contiguous run");
  CHECK_EQ(pv_virt_to_mfn(si), p2m[((unsigned long)si - PV_VIRT_BASE) >> 12], "start_info's mfn from the P2M");

  /* Hypercall page: slot i = mov $i,%eax; int $0x82; ret; slot 23 (iret) pushes EAX first. */
  const unsigned char *slot0 = (const unsigned char *)hypercall_page;
  const unsigned char *slot18 = slot0 + 18 * 32, *slot23 = slot0 + 23 * 32;
  CHECK(slot18[0] == 0xb8 && slot18[1] == 18 && slot18[5] == 0xcd && slot18[6] == 0x82 && slot18[7] == 0xc3,
        "hypercall page slot 18 is mov $18,%%eax; int $0x82; ret");
  CHECK(slot23[0] == 0x50 && slot23[1] == 0xb8 && slot23[2] == 23 && slot23[6] == 0xcd && slot23[7] == 0x82,
        "hypercall page slot 23 is push %%eax; mov $23,%%eax; int $0x82");

  /* shared_info: events masked at boot */
  CHECK_EQ(shared_info->vcpu_info[0].evtchn_upcall_mask, 1, "vcpu_info[0].evtchn_upcall_mask at boot");

  long ver = HYPERVISOR_xen_version(XENVER_version, 0);
  CHECK(ver >= (3 << 16), "xen_version %u.%u is at least 3.0", (unsigned)(ver >> 16), (unsigned)(ver & 0xffff));
  xen_capabilities_info_t caps;
  pv_memset(caps, 0, sizeof caps);
  CHECK_EQ(HYPERVISOR_xen_version(XENVER_capabilities, caps), 0, "xen_version capabilities");
  CHECK(pv_strcmp(caps, PV_MAGIC) == 0 || pv_strcmp(caps, PV_MAGIC " ") == 0,
        "capabilities \"%s\" name this layout", caps);
  CHECK_EQ(HYPERVISOR_xen_version(XENVER_pagesize, 0), 4096, "xen_version pagesize");

  /* an unknown hypercall number: -ENOSYS (slot 60 is unused on x86) */
  long r;
  asm volatile("call hypercall_page + 60 * 32" : "=a"(r) : : "memory", "ebx", "ecx", "edx");
  CHECK_EQ(r, -38, "unknown hypercall 60 returns -ENOSYS");
  return 0;
}
