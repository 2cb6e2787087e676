// Timers and the wall clock (src/hv/time.ts, vcpu-op.ts): the periodic timer (100 Hz from the
// start, VCPUOP_set/stop_periodic_timer with Xen's limits), the single-shot timer, and the
// shared_info wall clock fixed at BOOT_EPOCH_SEC.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, SHARED_INFO_VA } from "../helpers/pv.ts";
import { SHARED_INFO } from "../../src/hv/abi.ts";
import { BOOT_EPOCH_SEC, DEFAULT_PERIOD_NS } from "../../src/hv/time.ts";

const ARG = DATA + 0x200;
const BIND_TIMER = `
  movl $0, ${ARG}; movl $0, ${ARG + 4}
  movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32          /* bind_virq VIRQ_TIMER */
  movl ${ARG + 8}, %eax; movl %eax, ${ARG + 0x40}         /* the port, also the poll list */
`;
/* SCHEDOP_poll on the timer port without a timeout, then clear what the event set */
const POLL = `
  movl $${ARG + 0x40}, ${ARG + 0x20}; movl $1, ${ARG + 0x24}; movl $0, ${ARG + 0x28}; movl $0, ${ARG + 0x2c}
  movl $3, %ebx; movl $${ARG + 0x20}, %ecx; HYPERCALL 29
  movl ${ARG + 0x40}, %eax; btrl %eax, ${SHARED_INFO_VA + 2048}
  movb $0, ${SHARED_INFO_VA}; movl $0, ${SHARED_INFO_VA + 4}   /* upcall_pending, pending_sel */
`;

describe("timers", () => {
  it("a PV vCPU starts with a 100 Hz periodic timer", () => {
    const t = pvDomain(`${PRELUDE}
      ${BIND_TIMER}
      ${POLL}
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown" });
    // The poll slept until the first tick, 10 ms after the start.
    expect(t.d.clock.now()).toBeGreaterThanOrEqual(DEFAULT_PERIOD_NS);
    expect(t.d.clock.now()).toBeLessThan(DEFAULT_PERIOD_NS + 10_000n);
  });

  it("set_periodic_timer: ticks every period; < 1 ms is -EINVAL; stop leaves nothing to wake a block", () => {
    const t = pvDomain(`${PRELUDE}
      ${BIND_TIMER}
      movl $999999, ${ARG + 0x60}; movl $0, ${ARG + 0x64}
      movl $6, %ebx; xorl %ecx, %ecx; movl $${ARG + 0x60}, %edx; HYPERCALL 24; RESULT 0
      movl $2000000, ${ARG + 0x60}
      movl $6, %ebx; xorl %ecx, %ecx; movl $${ARG + 0x60}, %edx; HYPERCALL 24; RESULT 1
      movl $6, %ebx; movl $1, %ecx; movl $${ARG + 0x60}, %edx; HYPERCALL 24; RESULT 2   /* vCPU 1 */
      ${POLL}
      ${POLL}
      ${POLL}
      movl $7, %ebx; xorl %ecx, %ecx; xorl %edx, %edx; HYPERCALL 24; RESULT 3           /* stop */
      movl $1, %ebx; xorl %ecx, %ecx; HYPERCALL 29                                      /* block */
      SHUTDOWN 0
    `);
    const end = t.run();
    expect(end).toMatchObject({ kind: "killed", reason: expect.stringContaining("can never wake") });
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([-22 >>> 0, 0, -2 >>> 0, 0]);
    // Three ticks 2 ms apart, counted from the set_periodic_timer call.
    expect(t.d.clock.now()).toBeGreaterThanOrEqual(6_000_000n);
    expect(t.d.clock.now()).toBeLessThan(6_010_000n);
  });

  it("the single-shot timer fires before the periodic one when it is earlier", () => {
    const t = pvDomain(`${PRELUDE}
      ${BIND_TIMER}
      movl $3000000, %ebx; xorl %ecx, %ecx; HYPERCALL 15                                 /* set_timer_op(3 ms) */
      ${POLL}
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.clock.now()).toBeGreaterThanOrEqual(3_000_000n);
    expect(t.d.clock.now()).toBeLessThan(3_010_000n);
  });
});

describe("wall clock", () => {
  it("shared_info says system time 0 is BOOT_EPOCH_SEC, with an even wc_version", () => {
    const t = pvDomain(`${PRELUDE}
      movl ${SHARED_INFO_VA + SHARED_INFO.wc_version}, %eax; RESULT 0
      movl ${SHARED_INFO_VA + SHARED_INFO.wc_sec}, %eax; RESULT 1
      movl ${SHARED_INFO_VA + SHARED_INFO.wc_nsec}, %eax; RESULT 2
      movl ${SHARED_INFO_VA + SHARED_INFO.wc_sec_hi}, %eax; RESULT 3
      SHUTDOWN 0
    `);
    t.run();
    const [ver, sec, nsec, hi] = t.d.mem.readU32s(DATA, 4);
    expect(ver % 2).toBe(0);
    expect(ver).toBeGreaterThan(0);
    expect([sec, nsec, hi]).toEqual([BOOT_EPOCH_SEC, 0, 0]);
    expect(new Date(BOOT_EPOCH_SEC * 1000).toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });
});
