// The segment bounds translations read (JIT_SEG_BOUND): every write of a segment register's limit
// or attributes marks it in JIT_SEG_DIRTY, and a translation has the core recompute the marked
// ones it uses (assembly/priv/segment.ts jitSegRefresh) at its entry and after records run in the
// core. Every way a segment register changes under a hot
// translated loop must be seen by the next access: MOV/POP to a segment register, LSS, IRET to
// ring 3 (which nulls DS), the host's Machine.setSegment between runs. Each program runs
// translated (thresholds 0 and 2) and interpreted; all state and counters must agree.
import { describe, it, expect } from "vitest";
import { assemble } from "../helpers/asm.ts";
import { expectEnginesAgree, snapshot } from "../helpers/engines.ts";
import { protProgram } from "../helpers/programs.ts";
import { protMachine, setGdt, segDesc, KDATA, UCODE, UDATA, SPARE, ACC_DATA0 } from "../helpers/desc.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";

const GP_VEC = 13;
const SR_DS = 3;
/** SEG_ATTR of a 32-bit, byte-granular, present ring 0 data segment: read/write, accessed */
const DATA_B = 0x4093;

describe("segment bounds of translations follow every segment change", () => {
  it("MOV to DS of a read-only segment after a hot store loop: the next store raises #GP", () => {
    const ro = SPARE;
    const { m } = expectEnginesAgree(protProgram(`
        mov $0x2000, %esi
        mov $${ro}, %edx
        mov $3, %ebx
      2: mov $100, %ecx
      1: mov %ecx, (%esi,%ecx,4)
        addl $1, 0x800(%esi)
        dec %ecx
        jnz 1b
        dec %ebx
        jnz 2b
        mov %dx, %ds
        jmp 2b`, (m) => setGdt(m, ro, segDesc(0, 0xfffff, 0x91, 0xc))));
    expect(m.field(L.S_EXC_VECTOR)).toBe(GP_VEC);
    expect(m.reg("ecx")).toBe(100);
  });

  it("POP DS of a segment with a small limit after a hot load loop: #GP at the first load beyond it", () => {
    const small = SPARE;
    const { m } = expectEnginesAgree(protProgram(`
        push $${small}
        mov $2, %ebx
      2: mov $200, %ecx
        mov $0x2000, %esi
      1: add (%esi), %eax
        add $4, %esi
        dec %ecx
        jnz 1b
        dec %ebx
        jnz 2b
        pop %ds
        jmp 2b`, (m) => setGdt(m, small, segDesc(0, 0x2200, ACC_DATA0 | 1, 0x4))));
    expect(m.field(L.S_EXC_VECTOR)).toBe(GP_VEC);
    // ESI + 3 > 0x2200 first for ESI = 0x2200, the 129th load: ECX = 200 - 128
    expect(m.reg("esi")).toBe(0x2200);
    expect(m.reg("ecx")).toBe(72);
  });

  it("LSS to a 16-bit stack after a hot push/pop loop: pushes then wrap SP (no fast path)", () => {
    const s16 = SPARE;
    expectEnginesAgree(protProgram(`
        mov $0x3000, %edi
        movl $0x10004, (%edi)
        movl $${s16}, 4(%edi)
        mov $2, %ebx
      2: mov $100, %ecx
      1: push %ecx
        pop %eax
        add %eax, %edx
        dec %ecx
        jnz 1b
        dec %ebx
        jnz 2b
        movl $0, 0x50000 # (the TLB maps the page a 32-bit push at SS base + ESP would write)
        lss (%edi), %esp
        push $0x1234
        push %edx
        pop %eax
        pop %ecx
        mov $7, %ebx
        jmp 2b`, (m) => setGdt(m, s16, segDesc(0x40000, 0xffff, ACC_DATA0 | 1, 0x0))), { maxInsns: 5000n });
  });

  it("IRET to ring 3 nulls DS (DPL 0): the ring-3 loop's first load through DS raises #GP(0)", () => {
    const { m } = expectEnginesAgree(protProgram(`
        mov $0x2000, %esi
        mov $300, %ecx
      1: add (%esi), %eax
        add $4, %esi
        dec %ecx
        jnz 1b
        push $${UDATA}
        push $0x7000
        pushf
        push $${UCODE}
        push $2f
        iret
      2: mov $0x2000, %esi
      3: add (%esi), %eax
        dec %ecx
        jmp 3b`));
    expect(m.field(L.S_EXC_VECTOR)).toBe(GP_VEC);
    expect(m.field(L.S_CPL)).toBe(3);
    expect(m.field(L.S_SEG_ATTR + 4 * SR_DS) & (1 << 16)).toBe(0); // DS unusable
  });

  it("the host shrinks DS between runs (Machine.setSegment): the translated loop raises #GP", () => {
    const code = assemble(`
        mov $0x2000, %esi
      1: add (%esi), %eax
        add $4, %esi
        and $0xfff, %esi
        or $0x2000, %esi
        jmp 1b`, 0x1000);
    const run = (engine: "interp" | "jit", threshold: number) => {
      const m = protMachine();
      m.setField(L.S_EXC_POLICY, 0);
      m.writePhys(0x1000, code);
      m.eip = 0x1000;
      m.useEngine(engine, threshold);
      expect(m.run(3000n)).toBe("BUDGET");
      m.setSegment(SR_DS, KDATA, 0, 0x27ff, DATA_B); // byte granular: 0x2800.. is beyond
      const exit = m.run(3000n);
      return { m, exit, state: snapshot(m) };
    };
    const ref = run("interp", 0);
    expect(ref.exit).toBe("EXCEPTION");
    expect(ref.m.field(L.S_EXC_VECTOR)).toBe(GP_VEC);
    for (const t of [0, 2]) {
      const jit = run("jit", t);
      expect(jit.exit).toBe(ref.exit);
      expect(jit.state, `threshold ${t}`).toEqual(ref.state);
      expect(jit.m.translator!.stats.blocks).toBeGreaterThan(0);
    }
  });
});
