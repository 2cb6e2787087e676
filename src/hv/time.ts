// Time (Xen common/timer.c, common/sched/core.c, arch/x86/time.c): a deterministic virtual clock.
// System time in nanoseconds is the number of retired instructions plus the time the vCPU spent
// blocked (1 instruction = 1 ns), and the TSC the guest is told about runs at the same rate, so
// vcpu_time_info says tsc_to_system_mul = 2^31, tsc_shift = 1 (system = (tsc << 1) * 2^31 >> 32).
// The same image and flags always see the same times.
//
// Two timers per vCPU, as in Xen: the single-shot timer (set_timer_op and
// VCPUOP_set/stop_singleshot_timer share it) and the periodic timer (VCPUOP_set/stop_periodic_timer;
// a PV vCPU starts with a 100 Hz one, pv_vcpu_initialise). Both raise VIRQ_TIMER.
// The wall clock (shared_info wc_*) says the domain's system time 0 is BOOT_EPOCH_SEC: a fixed,
// documented instant instead of the host's clock, so runs stay reproducible.
import type { Domain } from "./domain.ts";
import { SHARED_INFO, VCPU_INFO, VCPU_TIME_INFO, VIRQ_TIMER } from "./abi.ts";
import { L } from "../core/layout.gen.ts";

/** Timeouts wrapped negative or more than 2^50 ns ahead fire after 100 ms (do_set_timer_op). */
const STIME_FAR = 1n << 50n;
const MS_100 = 100_000_000n;
/** PV guests by default have a 100 Hz ticker (Xen pv_vcpu_initialise: MILLISECS(10)). */
export const DEFAULT_PERIOD_NS = 10_000_000n;
/** VCPUOP_set_periodic_timer refuses periods below 1 ms or above STIME_DELTA_MAX. */
export const MIN_PERIOD_NS = 1_000_000n;
export const STIME_DELTA_MAX = (1n << 62n) - 1n;
/** The wall-clock time at system time 0: 2026-01-01T00:00:00Z (seconds since the Unix epoch). */
export const BOOT_EPOCH_SEC = 1767225600;

export class VirtualClock {
  /** nanoseconds the vCPU spent blocked (time passes without instructions) */
  idleNs = 0n;
  private version = 0;
  /** the periodic timer: period (0 = stopped) and the time of its last event (Xen periodic_*) */
  periodNs = DEFAULT_PERIOD_NS;
  periodicLast = 0n;
  constructor(private readonly d: Domain) {}

  /** Current system time (ns since the domain started). */
  now(): bigint { return this.d.machine.u64Field(L.S_INSNS) + this.idleNs; }
  /** The guest's TSC: equal to system time (1 GHz). */
  tsc(): bigint { return this.now(); }

  /** Let a blocked vCPU's time pass until `t`. */
  advanceTo(t: bigint): void { const n = this.now(); if (t > n) this.idleNs += t - n; }

  /** Publish vcpu_info.time (version odd while writing, even when done: the guest retries). */
  publish(): void {
    const d = this.d, base = d.sharedInfoMa + SHARED_INFO.vcpu_info + VCPU_INFO.time;
    const dv = d.machine.core.dv, at = L.RAM_BASE + base;
    const t = this.now();
    this.version = (this.version + 1) >>> 0;
    dv.setUint32(at + VCPU_TIME_INFO.version, this.version | 1, true);
    dv.setBigUint64(at + VCPU_TIME_INFO.tsc_timestamp, t, true);
    dv.setBigUint64(at + VCPU_TIME_INFO.system_time, t, true);
    dv.setUint32(at + VCPU_TIME_INFO.tsc_to_system_mul, 0x80000000, true);
    dv.setInt8(at + VCPU_TIME_INFO.tsc_shift, 1);
    this.version = (this.version | 1) + 1;
    dv.setUint32(at + VCPU_TIME_INFO.version, this.version, true);
  }

  /** HYPERVISOR_set_timer_op(timeout): absolute system time, 0 cancels. */
  setTimer(lo: number, hi: number): number {
    const timeout = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    const v = this.d.vcpu, now = this.now();
    if (timeout === 0n) v.timerDeadline = null;
    else if (timeout < 0n || timeout - now >= STIME_FAR) v.timerDeadline = now + MS_100;
    else v.timerDeadline = timeout; // a time in the past fires at once
    return 0;
  }

  /** vcpu_set_periodic_timer: 0 stops it; a new period counts from now. */
  setPeriodic(ns: bigint): void {
    if (ns === this.periodNs) return;
    this.periodNs = ns;
    this.periodicLast = this.now();
  }

  /** The next time a timer fires, or null when none is armed. */
  nextDeadline(): bigint | null {
    const s = this.d.vcpu.timerDeadline;
    const p = this.periodNs !== 0n ? this.periodicLast + this.periodNs : null;
    if (s === null) return p;
    return p === null || s < p ? s : p;
  }

  /** Fire the timers whose time has come (VIRQ_TIMER; several at once make one event). */
  poll(): void {
    const v = this.d.vcpu, now = this.now();
    if (v.timerDeadline !== null && now >= v.timerDeadline) {
      v.timerDeadline = null;
      this.d.events.sendVirq(VIRQ_TIMER);
    }
    // vcpu_periodic_timer_fn: the next period counts from when this one was noticed.
    if (this.periodNs !== 0n && now >= this.periodicLast + this.periodNs) {
      this.periodicLast = now;
      this.d.events.sendVirq(VIRQ_TIMER);
    }
  }

  /** update_domain_wallclock_time: wc_version odd while writing, even when done. */
  publishWallClock(): void {
    const d = this.d;
    const ver = d.sharedU32(SHARED_INFO.wc_version);
    d.setSharedU32(SHARED_INFO.wc_version, (ver + 1) | 1);
    d.setSharedU32(SHARED_INFO.wc_sec, BOOT_EPOCH_SEC);
    d.setSharedU32(SHARED_INFO.wc_nsec, 0);
    d.setSharedU32(SHARED_INFO.wc_sec_hi, 0);
    d.setSharedU32(SHARED_INFO.wc_version, ((ver + 1) | 1) + 1);
  }
}
