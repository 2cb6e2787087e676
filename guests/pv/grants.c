/*
 * grants: GNTTABOP_copy (docs/HYPERVISOR.md, grant_table_op). The guest sets up its grant table,
 * copies between two of its own frames (DOMID_SELF, by frame number), grants a frame to itself
 * and copies through that grant, and checks each op's status for Xen's refusals: a frame for
 * another domain, a domain that does not exist, a frame not its own, a bad grant reference, a
 * write through a read-only grant, a page-table frame as the destination, a copy past the page.
 * map_grant_ref is not implemented (-ENOSYS).
 */
#include <pv.h>
#include <xen/grant_table.h>

static char src[4096] __attribute__((aligned(4096)));
static char dst[4096] __attribute__((aligned(4096)));
static char gt_window[4096] __attribute__((aligned(4096)));   /* remapped onto the grant table frame */
static struct gnttab_copy ops[10];

static long grant_table_op(unsigned cmd, void *uop, unsigned count) { return _hypercall3(grant_table_op, cmd, uop, count); }

static void by_frame(struct gnttab_copy_ptr *p, unsigned long mfn, unsigned off) { p->u.gmfn = mfn; p->domid = DOMID_SELF; p->offset = off; }
static void by_ref(struct gnttab_copy_ptr *p, grant_ref_t ref, domid_t dom, unsigned off) { p->u.ref = ref; p->domid = dom; p->offset = off; }

int main(void) {
  /* Our own domain id, as alloc_unbound records a DOMID_SELF remote end. */
  struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound");
  struct evtchn_status st = { .dom = DOMID_SELF, .port = au.port };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0, "its status");
  domid_t self = st.u.unbound.dom;
  CHECK(self != DOMID_SELF, "our domain id: %u", self);

  unsigned long gframe = 0;
  struct gnttab_setup_table su = { .dom = DOMID_SELF, .nr_frames = 1 };
  set_xen_guest_handle(su.frame_list, &gframe);
  CHECK(grant_table_op(GNTTABOP_setup_table, &su, 1) == 0 && su.status == GNTST_okay, "setup_table: 1 frame (mfn 0x%x)", (unsigned)gframe);
  CHECK_EQ(HYPERVISOR_update_va_mapping((unsigned long)gt_window, (uint64_t)gframe << 12 | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG), 0,
           "the grant table frame mapped");
  grant_entry_v1_t *gt = (grant_entry_v1_t *)gt_window;

  unsigned long smfn = pv_virt_to_mfn(src), dmfn = pv_virt_to_mfn(dst);
  for (int i = 0; i < 4096; i++) src[i] = (char)(i * 7 + 1);

  /* 0: frame to frame */
  pv_memset(ops, 0, sizeof ops);
  by_frame(&ops[0].source, smfn, 100); by_frame(&ops[0].dest, dmfn, 200); ops[0].len = 50;
  CHECK_EQ(grant_table_op(GNTTABOP_copy, ops, 1), 0, "copy by frame numbers");
  int same = 1;
  for (int i = 0; i < 50; i++) if (dst[200 + i] != src[100 + i]) same = 0;
  CHECK(ops[0].status == GNTST_okay && same && dst[199] == 0 && dst[250] == 0, "50 bytes landed at offset 200 (status %d)", ops[0].status);

  /* a grant of src to ourselves, read-write; one of dst read-only */
  gt[5].domid = self; gt[5].frame = smfn; gt[5].flags = GTF_permit_access;
  gt[6].domid = self; gt[6].frame = dmfn; gt[6].flags = GTF_permit_access | GTF_readonly;
  gt[7].domid = self + 1; gt[7].frame = smfn; gt[7].flags = GTF_permit_access;   /* for someone else */

  pv_memset(ops, 0, sizeof ops);
  by_ref(&ops[0].source, 5, DOMID_SELF, 0); by_frame(&ops[0].dest, dmfn, 0); ops[0].len = 16; ops[0].flags = GNTCOPY_source_gref;
  by_frame(&ops[1].source, smfn, 0); by_frame(&ops[1].dest, dmfn, 0); ops[1].source.domid = 7; ops[1].len = 1;
  by_ref(&ops[2].source, 5, 7, 0); by_frame(&ops[2].dest, dmfn, 0); ops[2].len = 1; ops[2].flags = GNTCOPY_source_gref;
  by_frame(&ops[3].source, 0xfffff, 0); by_frame(&ops[3].dest, dmfn, 0); ops[3].len = 1;
  by_ref(&ops[4].source, 9999, DOMID_SELF, 0); by_frame(&ops[4].dest, dmfn, 0); ops[4].len = 1; ops[4].flags = GNTCOPY_source_gref;
  by_frame(&ops[5].source, smfn, 0); by_ref(&ops[5].dest, 6, DOMID_SELF, 0); ops[5].len = 1; ops[5].flags = GNTCOPY_dest_gref;
  by_frame(&ops[6].source, smfn, 0); by_frame(&ops[6].dest, pv_virt_to_mfn((void *)start_info->pt_base), 0); ops[6].len = 1;
  by_frame(&ops[7].source, smfn, 4000); by_frame(&ops[7].dest, dmfn, 0); ops[7].len = 100;
  by_ref(&ops[8].source, 7, DOMID_SELF, 0); by_frame(&ops[8].dest, dmfn, 0); ops[8].len = 1; ops[8].flags = GNTCOPY_source_gref;
  by_ref(&ops[9].source, 5, self, 16); by_ref(&ops[9].dest, 5, DOMID_SELF, 32); ops[9].len = 8; ops[9].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
  CHECK_EQ(grant_table_op(GNTTABOP_copy, ops, 10), 0, "a batch of 10 copies: the call itself succeeds");
  CHECK(ops[0].status == GNTST_okay && dst[0] == src[0] && dst[15] == src[15], "through grant 5: okay (%d)", ops[0].status);
  CHECK_EQ(ops[1].status, (unsigned long)GNTST_permission_denied, "a frame of another domain: permission_denied");
  CHECK_EQ(ops[2].status, (unsigned long)GNTST_bad_domain, "a grant of a domain that does not exist: bad_domain");
  CHECK_EQ(ops[3].status, (unsigned long)GNTST_bad_page, "a frame not ours: bad_page");
  CHECK_EQ(ops[4].status, (unsigned long)GNTST_bad_gntref, "grant ref 9999: bad_gntref");
  CHECK_EQ(ops[5].status, (unsigned long)GNTST_general_error, "writing through a read-only grant: general_error");
  CHECK_EQ(ops[6].status, (unsigned long)GNTST_general_error, "a page-table frame as the destination: general_error");
  CHECK_EQ(ops[7].status, (unsigned long)GNTST_bad_copy_arg, "offset 4000 + 100 bytes: bad_copy_arg");
  CHECK_EQ(ops[8].status, (unsigned long)GNTST_general_error, "a grant to another domain: general_error");
  CHECK(ops[9].status == GNTST_okay && src[32] == (char)(16 * 7 + 1) && src[39] == (char)(23 * 7 + 1),
        "grant to grant within the page, by our numeric domid too (%d)", ops[9].status);
  CHECK(gt[5].flags == GTF_permit_access && gt[6].flags == (GTF_permit_access | GTF_readonly),
        "the entries' reading/writing flags are clear again (0x%x)", gt[5].flags);

  struct gnttab_map_grant_ref map = { .host_addr = (unsigned long)dst, .flags = GNTMAP_host_map, .ref = 5, .dom = self };
  CHECK_EQ(grant_table_op(GNTTABOP_map_grant_ref, &map, 1), -38, "map_grant_ref: -ENOSYS (not implemented)");
  return 0;
}
