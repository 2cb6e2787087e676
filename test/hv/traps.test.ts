// Exception bouncing: frames on the guest kernel stack, CR2 through vcpu_info, the event mask,
// iret back, software-interrupt DPL rules, the ring-3 stack switch, and the domain (not the
// emulator) dying when a frame cannot be written or no handler exists.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, STACK_TOP, SHARED_INFO_VA } from "../helpers/pv.ts";
import { SHARED_INFO, VCPU_INFO } from "../../src/hv/abi.ts";

/** A trap table: [vector, flags, handler label] rows, ended by a zero entry. */
function traps(rows: [number, number, string][]): string {
  return `traps:\n${rows.map(([v, f, l]) => `  .byte ${v}, ${f}\n  .word 0xe019\n  .long ${l}`).join("\n")}\n  .long 0, 0\n`;
}
/**
 * Handler that saves the frame words [0..n) to DATA+0x40.. and ESP to DATA+0x3c, then shuts down.
 * It addresses memory through SS: an iret to ring 3 nulls DS (its DPL is 1), as on the real CPU.
 */
const SAVE = (n: number) => `
  movl %esp, %ss:${DATA + 0x3c}
  ${Array.from({ length: n }, (_, i) => `movl ${4 * i}(%esp), %eax; movl %eax, %ss:${DATA + 0x40 + 4 * i}`).join("\n  ")}
  movl %ss:${SHARED_INFO_VA + VCPU_INFO.evtchn_upcall_mask}, %eax
  movzbl %al, %eax
  movl %eax, %ss:${DATA + 0x38}
  SHUTDOWN 0
`;
const frame = (t: ReturnType<typeof pvDomain>, n: number) => t.d.mem.readU32s(DATA + 0x40, n);

describe("exception bouncing", () => {
  it("#UD: frame EIP, CS with the saved mask, EFLAGS with the virtual IF; no error code", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      RESULT 0
      movb $0, ${SHARED_INFO_VA + 1}    /* unmask events: the frame's IF becomes 1 */
      movl $fault, ${DATA + 0x30}
    fault:
      ud2
    handler:
      ${SAVE(3)}
      ${traps([[6, 0, "handler"]])}
    `);
    const r = t.run();
    expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [eip, cs, eflags] = frame(t, 3);
    expect(t.d.mem.readU32(DATA)).toBe(0);
    expect(cs).toBe(0xe019);               // mask was 0 → bits 16-23 clear
    expect(eflags & 0x200).toBe(0x200);    // IF = !upcall_mask
    expect(eflags & 0x3000).toBe(0);       // IOPL 0
    expect(t.d.mem.readU32(DATA + 0x3c)).toBe(STACK_TOP - 12);
    expect(eip).toBe(t.d.mem.readU32(DATA + 0x30)); // a fault: EIP of the ud2
    expect(t.d.stats.bounces.get(6)).toBe(1);
  });

  it("#PF: CR2 in vcpu_info.arch.cr2, error code pushed, mask set by the trap flag, CS carries the old mask", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      movl $0xc0345678, %eax
      movl $7, (%eax)          /* unmapped: write, not present, supervisor */
    handler:
      movl ${SHARED_INFO_VA + VCPU_INFO.arch_cr2}, %eax
      movl %eax, ${DATA + 0x30}
      ${SAVE(4)}
      ${traps([[14, 4, "handler"]])}
    `);
    t.run();
    const [ec, , cs, eflags] = frame(t, 4);
    expect(ec).toBe(0x2);                       // W, not present, supervisor (ring 1)
    expect(t.d.mem.readU32(DATA + 0x30)).toBe(0xc0345678);
    expect(t.d.vcpu.cr2).toBe(0xc0345678);
    expect(cs).toBe(0xe019 | (1 << 16));        // events were masked at the fault (initial state)
    expect(eflags & 0x200).toBe(0);
    expect(t.d.mem.readU32(DATA + 0x38)).toBe(1); // mask set on entry (flag bit 2)
  });

  it("iret returns to the faulting context with EAX restored and the mask from EFLAGS.IF", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      movl $0x1111, %eax
      int3                     /* trap: EIP after it */
      movl %eax, ${DATA + 4}
      movzbl ${SHARED_INFO_VA + 1}, %eax
      movl %eax, ${DATA + 8}
      movl %esp, ${DATA + 12}
      SHUTDOWN 0
    handler:
      orl $0x200, 8(%esp)      /* return with IF = 1: events unmasked */
      pushl $0x2222            /* EAX for the hypercall page's iret: push %eax */
      HYPERCALL 23
      ${traps([[3, 3, "handler"]])}
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA + 4, 3)).toEqual([0x2222, 0, STACK_TOP]);
  });

  it("software int n: allowed by the registered DPL, else #GP((n<<3)|2) at the int", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      movl $i41, ${DATA + 0x28}
      int $0x40                /* DPL 1: delivered as a trap */
    after40:
    i41:
      int $0x41                /* DPL 0 (not registered for ring 1): #GP(0x40a) */
    h40:
      movl (%esp), %eax
      movl %eax, ${DATA + 0x24}
      addl $12, %esp
      jmp after40
    hgp:
      ${SAVE(2)}
      ${traps([[0x40, 1, "h40"], [0x41, 0, "hgp"], [13, 0, "hgp"]])}
    `);
    t.run();
    const [ec, eip] = frame(t, 2);
    expect(ec).toBe((0x41 << 3) | 2);
    expect(eip).toBe(t.d.mem.readU32(DATA + 0x28));   // #GP at the int $0x41
    expect(t.d.mem.readU32(DATA + 0x24)).toBe(t.d.mem.readU32(DATA + 0x28)); // int $0x40 returned after itself
  });

  it("from ring 3: switches to the stack_switch stack and pushes SS:ESP", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      movl $0xe021, %ebx
      movl $${DATA + 0x800}, %ecx
      HYPERCALL 3              /* stack_switch */
      IRET_TO_USER user
    user:
      int $0x80
    h80:
      ${SAVE(5)}
      ${traps([[0x80, 3, "h80"]])}
    `, { userPfns: [1, 496] });
    const r = t.run();
    expect(r).toEqual({ kind: "shutdown", reason: "poweroff", code: 0, eip: expect.any(Number) });
    const [eip, cs, eflags, esp, ss] = frame(t, 5);
    expect(cs).toBe(0xe02b);
    expect(eflags & 0x200).toBe(0x200);
    expect([esp, ss]).toEqual([0xc01f0800, 0xe033]);
    expect(t.d.mem.readU32(DATA + 0x3c)).toBe(DATA + 0x800 - 20);
    expect(eip).toBeGreaterThan(0xc0001000);
  });

  it("a kernel stack that cannot take the frame kills the domain, not the emulator", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx
      HYPERCALL 0
      movl $0xc0400000, %esp    /* unmapped */
      ud2
    h:
      SHUTDOWN 0
      ${traps([[6, 0, "h"]])}
    `);
    const r = t.run();
    expect(r.kind).toBe("killed");
    expect(r).toMatchObject({ reason: expect.stringContaining("fault writing the bounce frame") });
  });

  it("an exception with no handler kills the domain", () => {
    const t = pvDomain(`${PRELUDE}
      ud2
    `);
    expect(t.run()).toMatchObject({ kind: "killed", reason: "no handler for vector 6" });
  });
});

describe("iret and the failsafe callback", () => {
  it("an iret to a CS that does not load goes to the failsafe callback with DS ES FS GS below EIP", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0xe019, %ebx; movl $evcb, %ecx; movl $0xe019, %edx; movl $failsafe, %esi
      HYPERCALL 4
      pushl $0x202
      pushl $0x1239                /* a GDT selector with no GDT */
      pushl $0x5678
      pushl $0
      HYPERCALL 23
    evcb:
      SHUTDOWN 3
    failsafe:
      ${SAVE(7)}
    `);
    const r = t.run();
    expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [ds, es, fs, gs, eip, cs, eflags] = frame(t, 7);
    expect([ds, es, fs, gs]).toEqual([0xe021, 0xe021, 0xe021, 0xe021]);
    expect([eip, cs & 0xffff]).toEqual([0x5678, 0x1239]);
    expect(eflags & 0x200).toBe(0x200);
  });

  it("without a failsafe callback the domain dies", () => {
    const t = pvDomain(`${PRELUDE}
      pushl $0x202
      pushl $0x1239
      pushl $0x5678
      pushl $0
      HYPERCALL 23
    `);
    expect(t.run()).toMatchObject({ kind: "killed", reason: expect.stringContaining("no failsafe callback") });
  });
});
