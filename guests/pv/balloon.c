/*
 * balloon: the balloon driver's memory_op calls (XEN-PV-ABI.md §4, Xen common/memory.c). The
 * guest gives pages back (unmap, invalidate its P2M entry, decrease_reservation), sees its
 * reservation shrink and the frames' M2P entries invalidated, takes memory again with
 * populate_physmap (the M2P follows) and increase_reservation (the M2P stays invalid until the
 * guest places the frame), finds the new frames scrubbed and uses them. Every refusal is Xen's:
 * reservation calls return the number of extents done (0 when refused), never an errno.
 */
#include <pv.h>

#define N 16
static char pages[N][4096] __attribute__((aligned(4096)));
static unsigned long list[N], saved_mfn[N];

#define M2P_INVALID 0xffffffffUL

static long cur(void) { return pv_reservation_info(XENMEM_current_reservation, DOMID_SELF); }

/* Give page i back: unmap it, invalidate its P2M entry, remember its mfn in list[k]. */
static unsigned long unmap_page(char *va) {
  unsigned long pfn = pv_virt_to_pfn(va), mfn = PV_P2M[pfn];
  HYPERVISOR_update_va_mapping((unsigned long)va, 0, UVMF_INVLPG);
  PV_P2M[pfn] = M2P_INVALID;
  return mfn;
}

static int map_page(char *va, unsigned long mfn) {
  return HYPERVISOR_update_va_mapping((unsigned long)va, (uint64_t)mfn << 12 | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG);
}

int main(void) {
  unsigned long nr = start_info->nr_pages;
  CHECK_EQ(cur(), nr, "current_reservation = nr_pages");
  CHECK_EQ(pv_reservation_info(XENMEM_maximum_reservation, DOMID_SELF), nr, "maximum_reservation = nr_pages");
  long max_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, 0);
  unsigned long top = 0;
  for (unsigned long pfn = 0; pfn < nr; pfn++) if (PV_P2M[pfn] > top) top = PV_P2M[pfn];
  CHECK(max_page > 0 && (unsigned long)max_page > top, "maximum_ram_page %ld is above every frame we own (highest 0x%x)", max_page, (unsigned)top);
  shared_info->arch.max_pfn = nr;
  CHECK_EQ(pv_reservation_info(XENMEM_maximum_gpfn, DOMID_SELF), nr - 1, "maximum_gpfn = shared_info max_pfn - 1");
  CHECK_EQ(HYPERVISOR_memory_op(XENMEM_maximum_ram_page | (1 << 6), 0), (unsigned long)-XEN_EINVAL,
           "maximum_ram_page with a start extent -EINVAL");

  /* At the maximum: nothing can be added. */
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 1, 0, 0, DOMID_SELF), 0, "increase_reservation at max_pages: 0 extents");

  /* ---- give N pages back ---- */
  for (int i = 0; i < N; i++) {
    pv_memset(pages[i], 0xa5, 4096);
    saved_mfn[i] = list[i] = unmap_page(pages[i]);
  }
  CHECK_EQ(pv_reservation(XENMEM_decrease_reservation, list, N, 0, 0, DOMID_SELF), N, "decrease_reservation of 16 frames");
  CHECK_EQ(cur(), nr - N, "current_reservation dropped by 16");
  int inval = 0;
  for (int i = 0; i < N; i++) inval += PV_M2P[saved_mfn[i]] == M2P_INVALID;
  CHECK_EQ(inval, N, "their M2P entries are invalid");
  CHECK_EQ(pv_reservation(XENMEM_decrease_reservation, list, N, 0, 0, DOMID_SELF), 0,
           "decreasing them again: 0 extents (no longer ours: -ENXIO stops the loop)");
  unsigned long beyond[2] = { (unsigned long)max_page, 0 };
  CHECK_EQ(pv_reservation(XENMEM_decrease_reservation, beyond, 1, 0, 0, DOMID_SELF), 0, "decreasing a frame beyond RAM: 0 extents");
  CHECK_EQ(cur(), nr - N, "current_reservation unchanged by the refusals");

  /* Refusals that leave everything as it was: Xen returns the start extent (0), not an errno. */
  list[0] = 0;
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 1, 0, 0, 7), 0, "increase_reservation for domain 7: 0");
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 1, 10, 0, DOMID_SELF), 0,
           "increase_reservation of order 10 (above the domU limit 9): 0");
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 1, 0, XENMEMF_address_bits(12), DOMID_SELF), 0,
           "increase_reservation with 12 address bits: 0");
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 1, 0, XENMEMF_exact_node(0), DOMID_SELF), 0,
           "increase_reservation with an exact node request (domU): 0");
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, (unsigned long *)PV_HV_START, 1, 0, 0, DOMID_SELF), 0,
           "increase_reservation with a list in the hypervisor area: 0");
  CHECK_EQ(HYPERVISOR_memory_op(XENMEM_increase_reservation, (void *)PV_HV_START), 0,
           "increase_reservation with the reservation in the hypervisor area: 0 (not -EFAULT)");
  CHECK_EQ(pv_reservation_info(XENMEM_current_reservation, 7), (unsigned long)-XEN_ESRCH, "current_reservation of domain 7 -ESRCH");
  CHECK_EQ(HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)PV_HV_START), (unsigned long)-XEN_EFAULT,
           "current_reservation with its domid in the hypervisor area -EFAULT");
  CHECK_EQ(cur(), nr - N, "current_reservation unchanged by the refusals");

  /* ---- take 8 back with populate_physmap: the M2P says where they are ---- */
  for (int i = 0; i < 8; i++) list[i] = pv_virt_to_pfn(pages[i]);
  CHECK_EQ(pv_reservation(XENMEM_populate_physmap, list, 8, 0, 0, DOMID_SELF), 8, "populate_physmap of 8 frames");
  CHECK_EQ(cur(), nr - N + 8, "current_reservation up by 8");
  int m2p_ok = 0, map_ok = 0, zero_ok = 0, use_ok = 0;
  for (int i = 0; i < 8; i++) {
    m2p_ok += PV_M2P[list[i]] == pv_virt_to_pfn(pages[i]);
    PV_P2M[pv_virt_to_pfn(pages[i])] = list[i];
    map_ok += map_page(pages[i], list[i]) == 0;
    int z = 1;
    for (int b = 0; b < 4096; b++) z &= pages[i][b] == 0;
    zero_ok += z;
    pv_memset(pages[i], i + 1, 4096);
    use_ok += pages[i][0] == i + 1 && pages[i][4095] == i + 1;
  }
  CHECK_EQ(m2p_ok, 8, "each new frame's M2P entry names the gpfn asked for");
  CHECK_EQ(map_ok, 8, "each new frame maps (it is ours)");
  CHECK_EQ(zero_ok, 8, "each new frame was scrubbed (all zero)");
  CHECK_EQ(use_ok, 8, "each new frame holds what we write");
  CHECK_EQ(pv_virt_to_mfn(pages[3]), list[3], "pv_virt_to_mfn follows the updated P2M");

  /* ---- 6 more with increase_reservation: ours, but not placed in the M2P ---- */
  pv_memset(list, 0, sizeof list);
  CHECK_EQ(pv_reservation(XENMEM_increase_reservation, list, 6, 0, 0, DOMID_SELF), 6, "increase_reservation of 6 frames");
  int fresh = 0;
  for (int i = 0; i < 6; i++) fresh += list[i] != 0 && list[i] < (unsigned long)max_page && PV_M2P[list[i]] == M2P_INVALID;
  CHECK_EQ(fresh, 6, "their mfns were written back; their M2P entries are invalid until the guest sets them");
  CHECK_EQ(cur(), nr - 2, "current_reservation = nr_pages - 2");
  for (int i = 0; i < 6; i++) {
    PV_P2M[pv_virt_to_pfn(pages[8 + i])] = list[i];
    map_ok += map_page(pages[8 + i], list[i]) == 0;
  }
  CHECK_EQ(map_ok, 14, "and they map");
  pages[13][100] = 42;
  CHECK_EQ(pages[13][100] + pages[13][101], 42, "and hold data");

  /* ---- an order-1 extent: two contiguous frames, the first 2-aligned ---- */
  unsigned long pair = pv_virt_to_pfn(pages[14]);
  CHECK_EQ(pair & 1, 0, "pages[14] is at an even pfn");
  list[0] = pair;
  CHECK_EQ(pv_reservation(XENMEM_populate_physmap, list, 1, 1, 0, DOMID_SELF), 1, "populate_physmap of one order-1 extent");
  CHECK(list[0] % 2 == 0 && PV_M2P[list[0]] == pair && PV_M2P[list[0] + 1] == pair + 1,
        "it starts at an even mfn 0x%x and the M2P maps both frames", (unsigned)list[0]);
  CHECK_EQ(cur(), nr, "back at nr_pages");
  CHECK_EQ(pv_reservation(XENMEM_populate_physmap, list + 1, 1, 0, 0, DOMID_SELF), 0, "at max_pages again: populate_physmap does 0");
  /* and give the pair back as one extent */
  CHECK_EQ(pv_reservation(XENMEM_decrease_reservation, list, 1, 1, 0, DOMID_SELF), 1, "decrease_reservation of the order-1 extent");
  CHECK_EQ(cur(), nr - 2, "current_reservation down by 2");

  /* a list the guest cannot read stops at that extent: unmap the page holding extent 1 */
  static unsigned long split[2048] __attribute__((aligned(4096)));
  split[1023] = pair;
  HYPERVISOR_update_va_mapping((unsigned long)&split[1024], 0, UVMF_INVLPG);
  CHECK_EQ(pv_reservation(XENMEM_populate_physmap, &split[1023], 2, 0, 0, DOMID_SELF), 1,
           "populate_physmap whose second gpfn is unmapped: 1 extent done");
  CHECK_EQ(cur(), nr - 1, "one frame taken");
  return 0;
}
