// The hypercall path: int $0x82 from ring 1 reaches the table, results and errno values are Xen's.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA } from "../helpers/pv.ts";
import { ERRNO, HYPERCALL } from "../../src/hv/abi.ts";

const neg = (e: number) => (-e) >>> 0;

describe("hypercalls", () => {
  it("xen_version, unknown numbers, shutdown", () => {
    const t = pvDomain(`${PRELUDE}
      xorl %ebx, %ebx
      HYPERCALL 17
      RESULT 0
      HYPERCALL 99
      RESULT 1
      HYPERCALL 7           /* platform_op: not for a domU */
      RESULT 2
      movl $0x12345678, %eax
      int $0x82             /* a huge number */
      RESULT 3
      movl $7, %ebx
      xorl %ecx, %ecx
      HYPERCALL 17          /* pagesize */
      RESULT 4
      SHUTDOWN 0
    `);
    const r = t.run();
    expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff", code: 0 });
    const res = t.d.mem.readU32s(DATA, 5);
    expect(res).toEqual([(4 << 16) | 17, neg(ERRNO.ENOSYS), neg(ERRNO.ENOSYS), neg(ERRNO.ENOSYS), 4096]);
    expect(t.d.stats.hypercalls.get(HYPERCALL.xen_version)).toBe(2);
  });

  it("bad guest pointers give -EFAULT: unmapped, hypervisor area, read-only for writes", () => {
    const t = pvDomain(`${PRELUDE}
      movl $1, %ebx            /* extraversion into an unmapped page */
      movl $0xc0300000, %ecx
      HYPERCALL 17
      RESULT 0
      movl $1, %ebx            /* into the hypervisor area */
      movl $0xf5800000, %ecx
      HYPERCALL 17
      RESULT 1
      movl $1, %ebx            /* into a read-only page (the L1 table) */
      movl $0xc01f6000, %ecx
      HYPERCALL 17
      RESULT 2
      movl $0, %ebx            /* console_io write from a range that runs into the hypervisor area */
      movl $16, %ecx
      movl $0xf57ffff8, %edx
      HYPERCALL 18
      RESULT 3
      movl $1, %ebx            /* extraversion to a good buffer */
      movl $${DATA + 0x100}, %ecx
      HYPERCALL 17
      RESULT 4
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 5)).toEqual([neg(ERRNO.EFAULT), neg(ERRNO.EFAULT), neg(ERRNO.EFAULT), neg(ERRNO.EFAULT), 0]);
    expect(new TextDecoder().decode(t.d.mem.read(DATA + 0x100, 9))).toBe("-xenolith");
  });

  it("console_io write prints; read is for the privileged domain", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, %ebx
      movl $6, %ecx
      movl $msg, %edx
      HYPERCALL 18
      RESULT 0
      movl $1, %ebx
      movl $6, %ecx
      movl $${DATA + 0x100}, %edx
      HYPERCALL 18
      RESULT 1
      movl $5, %ebx
      HYPERCALL 18
      RESULT 2
      SHUTDOWN 0
    msg: .ascii "hello\\n"
    `);
    t.run();
    expect(t.out.join("")).toBe("hello\n");
    expect(t.d.mem.readU32s(DATA, 3)).toEqual([0, neg(ERRNO.EPERM), neg(ERRNO.ENOSYS)]);
  });

  it("vm_assist, physdev_op set_iopl, vcpu_op, callback_op and stack_switch check their arguments", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, %ebx; movl $4, %ecx; HYPERCALL 21; RESULT 0      /* enable architectural_iopl */
      movl $0, %ebx; movl $9, %ecx; HYPERCALL 21; RESULT 1      /* invalid type */
      movl $0, %ebx; movl $32, %ecx; HYPERCALL 21; RESULT 2     /* m2p_strict: 64-bit guests only */
      movl $7, %ebx; movl $4, %ecx; HYPERCALL 21; RESULT 3      /* invalid command */
      movl $4, ${DATA + 0x100}
      movl $6, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33; RESULT 4   /* iopl 4 */
      movl $1, ${DATA + 0x100}
      movl $6, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33; RESULT 5   /* iopl 1 */
      movl $3, %ebx; movl $0, %ecx; HYPERCALL 24; RESULT 6      /* is_up vcpu 0 */
      movl $3, %ebx; movl $1, %ecx; HYPERCALL 24; RESULT 7      /* vcpu 1 */
      movl $0x00000009, ${DATA + 0x100}                         /* type 9 */
      movl $0, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 30; RESULT 8
      movl $0x00000000, ${DATA + 0x100}                         /* unregister event */
      movl $1, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 30; RESULT 9
      movl $0xe020, %ebx; movl $0x1234, %ecx; HYPERCALL 3; RESULT 10   /* RPL 0 raised to 1 */
      SHUTDOWN 3
    `);
    const r = t.run();
    expect(r).toMatchObject({ kind: "shutdown", reason: "crash", code: 3 });
    expect(t.d.mem.readU32s(DATA, 11)).toEqual([0, neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), neg(ERRNO.ENOSYS),
      neg(ERRNO.EINVAL), 0, 1, neg(ERRNO.ENOENT), neg(ERRNO.ENOSYS), neg(ERRNO.EINVAL), 0]);
    expect(t.d.vcpu.iopl).toBe(1);
    expect(t.d.vcpu.kernelSs).toBe(0xe021);
    expect(t.d.vcpu.kernelSp).toBe(0x1234);
  });

  it("int $0x82 from ring 3 is #GP(0x412); a domain with no #GP handler dies", () => {
    const t = pvDomain(`${PRELUDE}
      IRET_TO_USER user
    user:
      movl $17, %eax
      int $0x82
      hlt
    `, { userPfns: [1, 496] });
    const r = t.run();
    expect(r).toMatchObject({ kind: "killed", reason: "no handler for vector 13 (error code 0x412)" });
    expect(t.d.stats.bounces.get(13)).toBe(1);
    expect(t.d.stats.hypercalls.get(HYPERCALL.xen_version)).toBeUndefined();
  });

  it("multicall runs every entry and writes each result back", () => {
    const t = pvDomain(`${PRELUDE}
      movl $${DATA + 0x100}, %ebx; movl $3, %ecx
      HYPERCALL 13; RESULT 0
      movl $0xc0300000, %ebx; movl $1, %ecx
      HYPERCALL 13; RESULT 1                 /* unreadable list: -EFAULT */
      SHUTDOWN 0
    `);
    // {op, result, args[6]}: xen_version(version), an unknown op, xen_version(pagesize)
    t.d.mem.writeU32s(DATA + 0x100, [17, 0xdead, 0, 0, 0, 0, 0, 0, 77, 0xdead, 0, 0, 0, 0, 0, 0, 17, 0xdead, 7, 0, 0, 0, 0, 0]);
    t.run();
    expect(t.d.mem.readU32s(DATA, 2)).toEqual([0, neg(ERRNO.EFAULT)]);
    expect([0, 1, 2].map((i) => t.d.mem.readU32(DATA + 0x104 + 32 * i))).toEqual([(4 << 16) | 17, neg(ERRNO.ENOSYS), 4096]);
    // one hypervisor entry for the whole batch
    expect(t.d.stats.hypercalls.get(HYPERCALL.multicall)).toBe(2);
    expect(t.d.stats.hypercalls.get(HYPERCALL.xen_version)).toBeUndefined();
  });
});
