/*
 * timers: the periodic timer and the wall clock (docs/HYPERVISOR.md "Events and time"). A PV
 * vCPU starts with a 100 Hz periodic timer (Xen's default); VCPUOP_set_periodic_timer takes a
 * period of at least 1 ms and VCPUOP_stop_periodic_timer stops it; VIRQ_TIMER wakes a
 * SCHEDOP_poll on its port. The wall clock in shared_info (wc_sec/wc_nsec, wc_version even when
 * consistent) plus system time is the time of day; xenolith fixes system time 0 at
 * 2026-01-01T00:00:00Z (1767225600 s) so runs are reproducible.
 */
#include <pv.h>

static evtchn_port_t timer_port;

/* Sleep until the timer port fires, then consume the event; the system time on waking. */
static uint64_t wait_tick(void) {
  struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
  set_xen_guest_handle(p.ports, &timer_port);
  HYPERVISOR_sched_op(SCHEDOP_poll, &p);
  __atomic_fetch_and(&shared_info->evtchn_pending[timer_port / 32], ~(1UL << (timer_port % 32)), __ATOMIC_SEQ_CST);
  shared_info->vcpu_info[0].evtchn_upcall_pending = 0;
  shared_info->vcpu_info[0].evtchn_pending_sel = 0;
  return pv_system_time();
}

int main(void) {
  /* The wall clock: a consistent snapshot has an even version. */
  uint32_t ver, sec, nsec;
  do {
    ver = shared_info->wc_version;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sec = shared_info->wc_sec;
    nsec = shared_info->wc_nsec;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
  } while ((ver & 1) || ver != shared_info->wc_version);
  CHECK(ver != 0 && (ver & 1) == 0, "wc_version %u: published and even", ver);
  CHECK_EQ(sec, 1767225600, "wc_sec: system time 0 is 2026-01-01T00:00:00Z");
  CHECK_EQ(nsec, 0, "wc_nsec");
  CHECK_EQ(shared_info->arch.wc_sec_hi, 0, "arch.wc_sec_hi");
  uint64_t now = pv_system_time();
  unsigned long secs = sec + (unsigned long)(now >> 30);   /* whole seconds, roughly (no 64-bit division here) */
  CHECK(secs >= 1767225600 && secs < 1767225600 + 60, "time of day = wall clock + system time (%u s)", (unsigned)secs);

  struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
  CHECK_EQ(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), 0, "bind_virq VIRQ_TIMER");
  timer_port = bv.port;

  /* The default 100 Hz ticker: the first tick is 10 ms after the start. */
  uint64_t t = wait_tick();
  CHECK(t >= 10000000 && t < 11000000, "first default tick at %u ns (10 ms period)", (unsigned)t);

  struct vcpu_set_periodic_timer per = { .period_ns = 999999 };
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), -22, "set_periodic_timer below 1 ms: -EINVAL");
  per.period_ns = 2000000;
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 1, &per), -2, "set_periodic_timer on vCPU 1: -ENOENT");
  uint64_t t0 = pv_system_time();
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), 0, "set_periodic_timer 2 ms");
  uint64_t prev = t0;
  int spaced = 1;
  for (int i = 0; i < 5; i++) {
    uint64_t ti = wait_tick();
    if (ti - prev < 2000000 || ti - prev > 2100000) spaced = 0;
    prev = ti;
  }
  CHECK(spaced, "five ticks 2 ms apart (the last %u ns after setting)", (unsigned)(prev - t0));

  /* A single-shot timer with the 'future' flag for a past time is refused. */
  struct vcpu_set_singleshot_timer ss = { .timeout_abs_ns = pv_system_time() - 1, .flags = VCPU_SSHOTTMR_future };
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), -62, "singleshot in the past with VCPU_SSHOTTMR_future: -ETIME");

  /* Stop the periodic timer: only a single-shot timer 3 ms ahead wakes the poll now. */
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0, "stop_periodic_timer");
  t0 = pv_system_time();
  ss.timeout_abs_ns = t0 + 3000000;
  ss.flags = VCPU_SSHOTTMR_future;
  CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0, "singleshot 3 ms ahead");
  t = wait_tick();
  CHECK(t >= t0 + 3000000 && t < t0 + 3100000, "woke by the single-shot timer %u ns later", (unsigned)(t - t0));
  return 0;
}
