// Events and time: event channels (alloc_unbound, bind_virq, send, status, close, unmask), the
// upcall to the event callback on return to the guest, VIRQ_TIMER from set_timer_op with
// SCHEDOP_block, vcpu_time_info from the virtual clock, and the PV console ring back end.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, SHARED_INFO_VA, CONSOLE_VA, CONSOLE_EVTCHN } from "../helpers/pv.ts";
import { ERRNO, EVTCHNSTAT, SHARED_INFO, VCPU_INFO, VCPU_TIME_INFO, XENCONS } from "../../src/hv/abi.ts";

const neg = (e: number) => (-e) >>> 0;
const ARG = DATA + 0x200;

describe("event channels", () => {
  it("alloc_unbound, bind_virq, status, close, send and their errors", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0x7ff07ff0, ${ARG}              /* dom = remote = DOMID_SELF */
      movl $6, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 0
      movl ${ARG + 4}, %eax; RESULT 1       /* the port */
      movl $0, ${ARG}; movl $0, ${ARG + 4}  /* bind_virq TIMER on vCPU 0 */
      movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 2
      movl ${ARG + 8}, %eax; RESULT 3
      movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 4   /* again: -EEXIST */
      movl $24, ${ARG}
      movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 5   /* virq 24: -EINVAL */
      movl $1, ${ARG}; movl $1, ${ARG + 4}
      movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 6   /* vcpu 1: -ENOENT */
      movl $0x7ff0, ${ARG}; movl ${DATA + 12}, %eax; movl %eax, ${ARG + 4}
      movl $5, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 7   /* status of the virq port */
      movl ${ARG + 8}, %eax; RESULT 8
      movl ${ARG + 16}, %eax; RESULT 9
      movl ${DATA + 12}, %eax; movl %eax, ${ARG}
      movl $4, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 10  /* send on a virq port: -EINVAL */
      movl $3, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 11  /* close */
      movl $3, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 12  /* close again: -EINVAL */
      movl $1024, ${ARG}
      movl $4, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 13  /* port 1024: -EINVAL */
      movl $99, %ebx; movl $${ARG}, %ecx; HYPERCALL 32; RESULT 14 /* unknown op */
      movl $5, %ebx; movl $0xc0300000, %ecx; HYPERCALL 32; RESULT 15 /* bad pointer */
      SHUTDOWN 0
    `);
    t.run();
    const r = t.d.mem.readU32s(DATA, 16);
    expect(r[0]).toBe(0);
    const unbound = r[1], virq = r[3];
    expect(unbound).toBe(3);       // 0 reserved, 1 xenstore, 2 console
    expect(r[2]).toBe(0);
    expect(virq).toBe(4);
    expect(r.slice(4, 8)).toEqual([neg(ERRNO.EEXIST), neg(ERRNO.EINVAL), neg(ERRNO.ENOENT), 0]);
    expect([r[8], r[9]]).toEqual([EVTCHNSTAT.virq, 0]);
    expect(r.slice(10)).toEqual([neg(ERRNO.EINVAL), 0, neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), neg(ERRNO.ENOSYS), neg(ERRNO.EFAULT)]);
  });

  it("set_timer_op + SCHEDOP_block: VIRQ_TIMER wakes the vCPU and the event callback runs", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0xe019, %ebx; movl $evcb, %ecx; movl $0xe019, %edx; movl $failsafe, %esi
      HYPERCALL 4                          /* set_callbacks */
      movl $0, ${ARG}; movl $0, ${ARG + 4}
      movl $1, %ebx; movl $${ARG}, %ecx; HYPERCALL 32   /* bind_virq TIMER */
      movl ${ARG + 8}, %eax; RESULT 0
      movl ${SHARED_INFO_VA + 32 + 16}, %ebx           /* time.system_time (low) */
      movl %ebx, ${DATA + 4}
      addl $5000000, %ebx                              /* 5 ms ahead */
      xorl %ecx, %ecx
      HYPERCALL 15                                     /* set_timer_op */
      movl $1, %ebx; xorl %ecx, %ecx
      HYPERCALL 29                                     /* SCHEDOP_block: unmasks events */
      movl $0x99, ${DATA + 16}
      SHUTDOWN 0
    evcb:
      movl ${SHARED_INFO_VA + 32 + 16}, %eax           /* time when the callback runs */
      movl %eax, ${DATA + 8}
      movl 4(%esp), %eax; movl %eax, ${DATA + 12}      /* CS word: saved mask in bits 16-23 */
      movl $0, ${SHARED_INFO_VA + SHARED_INFO.evtchn_pending}
      movb $0, ${SHARED_INFO_VA + VCPU_INFO.evtchn_upcall_pending}
      pushl %eax
      HYPERCALL 23                                     /* iret */
    failsafe:
      SHUTDOWN 3
    `);
    const r = t.run();
    expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [port, t0, tcb, csWord, after] = t.d.mem.readU32s(DATA, 5);
    expect(port).toBe(3);
    expect(tcb - t0).toBeGreaterThanOrEqual(5_000_000);   // the clock ran to the deadline while blocked
    expect(tcb - t0).toBeLessThan(5_000_100);
    expect(csWord).toBe(0xe019);                          // events were unmasked by block
    expect(after).toBe(0x99);
    expect(t.d.stats.upcalls).toBe(1);
    // vcpu_time_info: a 1 GHz TSC (mul 2^31, shift 1) and an even version
    const ti = SHARED_INFO.vcpu_info + VCPU_INFO.time;
    const dv = new DataView(t.d.mem.read(SHARED_INFO_VA + ti, 32).buffer);
    expect(dv.getUint32(VCPU_TIME_INFO.version, true) % 2).toBe(0);
    expect(dv.getUint32(VCPU_TIME_INFO.tsc_to_system_mul, true)).toBe(0x80000000);
    expect(dv.getInt8(VCPU_TIME_INFO.tsc_shift)).toBe(1);
  });

  it("SCHEDOP_block with nothing to wake it kills the domain", () => {
    const t = pvDomain(`${PRELUDE}
      movl $1, %ebx; xorl %ecx, %ecx
      HYPERCALL 29
    `);
    expect(t.run()).toMatchObject({ kind: "killed", reason: expect.stringContaining("can never wake") });
  });

  it("a masked port stays off the upcall until unmask", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, ${ARG}                       /* bind_ipi on vCPU 0 */
      movl $7, %ebx; movl $${ARG}, %ecx; HYPERCALL 32
      movl ${ARG + 4}, %eax; RESULT 0
      orl $(1 << 3), ${SHARED_INFO_VA + SHARED_INFO.evtchn_mask}   /* mask port 3 */
      movl %eax, ${ARG}
      movl $4, %ebx; movl $${ARG}, %ecx; HYPERCALL 32   /* send: pending but masked */
      movzbl ${SHARED_INFO_VA}, %eax; RESULT 1          /* upcall_pending */
      movl $9, %ebx; movl $${ARG}, %ecx; HYPERCALL 32   /* unmask */
      movzbl ${SHARED_INFO_VA}, %eax; RESULT 2
      movl ${SHARED_INFO_VA + VCPU_INFO.evtchn_pending_sel}, %eax; RESULT 3
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([3, 0, 1, 1]);
  });
});

describe("PV console ring", () => {
  it("send on the console port drains the ring to the output and notifies the guest", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, %esi
    1: movb msg(%esi), %al
      movl ${CONSOLE_VA + XENCONS.out_prod}, %edi
      andl $${XENCONS.out_size - 1}, %edi
      movb %al, ${CONSOLE_VA + XENCONS.out}(%edi)
      incl ${CONSOLE_VA + XENCONS.out_prod}
      incl %esi
      cmpl $12, %esi
      jne 1b
      movl $${CONSOLE_EVTCHN}, ${ARG}
      movl $4, %ebx; movl $${ARG}, %ecx; HYPERCALL 32   /* send */
      movl ${CONSOLE_VA + XENCONS.out_cons}, %eax; RESULT 0
      SHUTDOWN 0
    msg: .ascii "hello, ring\\n"
    `);
    t.run();
    expect(t.out.join("")).toBe("hello, ring\n");
    expect(t.d.mem.readU32(DATA)).toBe(12);
    expect(t.d.events.isPending(CONSOLE_EVTCHN)).toBe(true);
  });
});

describe("SCHEDOP_poll and grant tables", () => {
  it("poll returns at once for a pending port, sleeps until the timeout otherwise; -EINVAL for > 128 ports", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, ${ARG}
      movl $7, %ebx; movl $${ARG}, %ecx; HYPERCALL 32       /* bind_ipi: port 3 */
      movl ${ARG + 4}, %eax; movl %eax, ${ARG + 0x40}
      movl $${ARG + 0x40}, ${ARG + 0x20}; movl $1, ${ARG + 0x24}
      movl ${SHARED_INFO_VA + 32 + 16}, %eax; addl $1000000, %eax
      movl %eax, ${ARG + 0x28}; movl $0, ${ARG + 0x2c}      /* timeout: now + 1 ms */
      movl $3, %ebx; movl $${ARG + 0x20}, %ecx; HYPERCALL 29; RESULT 0
      movl ${SHARED_INFO_VA + 32 + 16}, %eax; RESULT 1      /* time after: >= the timeout */
      movl ${ARG + 0x28}, %eax; RESULT 2
      movl ${ARG + 0x40}, %eax; movl %eax, ${ARG}
      movl $4, %ebx; movl $${ARG}, %ecx; HYPERCALL 32       /* send: port pending (events masked) */
      movl $3, %ebx; movl $${ARG + 0x20}, %ecx; HYPERCALL 29; RESULT 3   /* returns at once */
      movl $129, ${ARG + 0x24}
      movl $3, %ebx; movl $${ARG + 0x20}, %ecx; HYPERCALL 29; RESULT 4
      SHUTDOWN 0
    `);
    t.run();
    const r = t.d.mem.readU32s(DATA, 5);
    expect(r[0]).toBe(0);
    expect(r[1] - r[2]).toBeGreaterThanOrEqual(0);
    expect(r[1] - r[2]).toBeLessThan(100);
    expect([r[3], r[4]]).toEqual([0, neg(ERRNO.EINVAL)]);
  });

  it("grant_table_op setup_table hands out Xen-heap frames; query_size; get_version", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0x7ff0, ${ARG}; movl $2, ${ARG + 4}; movl $${ARG + 0x40}, ${ARG + 12}
      movl $2, %ebx; movl $${ARG}, %ecx; movl $1, %edx; HYPERCALL 20; RESULT 0
      movzwl ${ARG + 8}, %eax; RESULT 1                                 /* status */
      movl ${ARG + 0x40}, %eax; RESULT 2
      movl ${ARG + 0x44}, %eax; RESULT 3
      movl $0x7ff0, ${ARG + 0x80}
      movl $6, %ebx; movl $${ARG + 0x80}, %ecx; movl $1, %edx; HYPERCALL 20; RESULT 4
      movl ${ARG + 0x84}, %eax; RESULT 5
      movl ${ARG + 0x88}, %eax; RESULT 6
      movl $65, ${ARG + 4}                                              /* more than max */
      movl $2, %ebx; movl $${ARG}, %ecx; movl $1, %edx; HYPERCALL 20
      movzwl ${ARG + 8}, %eax; RESULT 7
      movl $2, %ebx; movl $${ARG}, %ecx; movl $2, %edx; HYPERCALL 20; RESULT 8   /* count 2 */
      movl $10, %ebx; movl $${ARG + 0x80}, %ecx; movl $1, %edx; HYPERCALL 20; RESULT 9
      movl ${ARG + 0x84}, %eax; RESULT 10
      movl $8, %ebx; HYPERCALL 20; RESULT 11                            /* set_version */
      SHUTDOWN 0
    `);
    t.run();
    const r = t.d.mem.readU32s(DATA, 12);
    expect(r.slice(0, 2)).toEqual([0, 0]);
    expect([r[2], r[3]]).toEqual([0x90, 0x91]);
    expect(t.d.ownsMfn(0x90)).toBe(true);
    expect(r.slice(4, 7)).toEqual([0, 2, 64]);
    expect(r[7]).toBe(0xffff);                    // GNTST_general_error (-1) as int16
    expect(r.slice(8)).toEqual([neg(ERRNO.EINVAL), 0, 1, neg(ERRNO.ENOSYS)]);
  });
});
