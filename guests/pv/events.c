/*
 * events: event channels and the virtual timer (XEN-PV-ABI.md §2, §3 "Events"). The guest
 * registers its event callback, binds VIRQ_TIMER and an IPI port, and checks: an upcall for a
 * send to itself; no upcall while events are masked, one as soon as they are unmasked and the
 * hypervisor is entered; a set_timer_op deadline waking SCHEDOP_block with VIRQ_TIMER at or
 * after the deadline, by the vCPU's system time.
 */
#include <pv.h>

void hypervisor_callback(void);

static volatile unsigned upcalls, timer_fires, ipi_fires, other_fires;
static evtchn_port_t timer_port, ipi_port;

/* Called with events masked: collect pending, unmasked ports (2-level ABI). */
void do_upcall(void) {
  volatile struct vcpu_info *v = &shared_info->vcpu_info[0];
  upcalls++;
  v->evtchn_upcall_pending = 0;
  unsigned long sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
  while (sel) {
    unsigned w = __builtin_ctzl(sel);
    sel &= sel - 1;
    unsigned long bits = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w];
    while (bits) {
      unsigned b = __builtin_ctzl(bits);
      bits &= bits - 1;
      __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
      evtchn_port_t port = w * 32 + b;
      if (port == timer_port) timer_fires++;
      else if (port == ipi_port) ipi_fires++;
      else other_fires++;
    }
  }
}

int main(void) {
  volatile struct vcpu_info *v = &shared_info->vcpu_info[0];

  struct callback_register cb = { .type = CALLBACKTYPE_event, .flags = 0,
                                  .address = { .cs = FLAT_KERNEL_CS, .eip = (unsigned long)hypervisor_callback } };
  CHECK_EQ(HYPERVISOR_callback_op(CALLBACKOP_register, &cb), 0, "callback_op register event");

  struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), 0, "bind_virq VIRQ_TIMER");
  timer_port = bv.port;
  struct evtchn_bind_ipi bi = { .vcpu = 0 };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi), 0, "bind_ipi");
  ipi_port = bi.port;
  CHECK(timer_port != 0 && ipi_port != 0 && timer_port != ipi_port
        && timer_port != start_info->console.domU.evtchn && ipi_port != start_info->store_evtchn,
        "fresh ports: timer %u, ipi %u", timer_port, ipi_port);

  /* Masked (the boot state): a send makes the port pending but delivers nothing. */
  CHECK_EQ(v->evtchn_upcall_mask, 1, "events masked at boot");
  struct evtchn_send send = { .port = ipi_port };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_send, &send), 0, "send to the ipi port");
  CHECK(upcalls == 0 && v->evtchn_upcall_pending == 1
        && (shared_info->evtchn_pending[ipi_port / 32] >> (ipi_port % 32) & 1),
        "while masked: port pending, upcall pending, no upcall (%u)", upcalls);

  /* Unmask, then enter the hypervisor (as Linux's force_evtchn_callback does): the upcall runs
   * on the way back. */
  v->evtchn_upcall_mask = 0;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  HYPERVISOR_xen_version(XENVER_version, 0);
  CHECK(upcalls == 1 && ipi_fires == 1 && other_fires == 0, "unmasked: one upcall for the ipi (%u upcalls, %u ipi)",
        upcalls, ipi_fires);
  CHECK_EQ(v->evtchn_upcall_mask, 0, "events unmasked again after the callback's iret");

  /* A port masked in evtchn_mask: pending, but no upcall even with events unmasked. */
  __atomic_fetch_or(&shared_info->evtchn_mask[ipi_port / 32], 1UL << (ipi_port % 32), __ATOMIC_SEQ_CST);
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_send, &send), 0, "send to the masked ipi port");
  CHECK(upcalls == 1, "a masked port raises no upcall (%u)", upcalls);
  struct evtchn_unmask um = { .port = ipi_port };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um), 0, "EVTCHNOP_unmask");
  CHECK(upcalls == 2 && ipi_fires == 2, "unmasking the pending port delivers it (%u upcalls)", upcalls);

  /* The timer: block until VIRQ_TIMER, 5 ms of system time ahead. */
  v->evtchn_upcall_mask = 1;
  uint64_t t0 = pv_system_time(), deadline = t0 + 5000000;
  CHECK_EQ(HYPERVISOR_set_timer_op(deadline), 0, "set_timer_op 5 ms ahead");
  CHECK_EQ(HYPERVISOR_sched_op(SCHEDOP_block, 0), 0, "SCHEDOP_block");
  uint64_t t1 = pv_system_time();
  CHECK(timer_fires == 1, "VIRQ_TIMER fired once (%u)", timer_fires);
  CHECK(t1 >= deadline, "woke %u ns after arming a 5000000 ns timer", (unsigned)(t1 - t0));
  CHECK_EQ(v->evtchn_upcall_mask, 0, "SCHEDOP_block left events unmasked");

  struct evtchn_close cl = { .port = ipi_port };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl), 0, "close the ipi port");
  CHECK(HYPERVISOR_event_channel_op(EVTCHNOP_send, &send) == -22, "send on a closed port is -EINVAL");
  return 0;
}
