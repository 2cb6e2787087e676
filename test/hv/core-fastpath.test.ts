// The core's PV fast paths (assembly/hv: exception bouncing and HYPERVISOR_iret inside Wasm)
// against the hypervisor's own TypeScript path (src/hv/traps.ts, bounce.ts, iret.ts): the same
// guest runs twice, with the fast path on and off, and must end in the same state — registers,
// segments, CPL, flags, every byte of RAM (but vcpu_info.time, which the host republishes on each
// of its exits), the guest-visible CR2 and IOPL, the run's end and the --stats counters. The
// fast run must also have taken fewer exits where the fast path applies, and the same ones where
// it must defer to the host (no handler, bad stack, #GP(0), the forced-emulation prefix, events).
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { pvDomain, PRELUDE, DATA, SHARED_INFO_VA, type PvTest, type PvOptions } from "../helpers/pv.ts";
import { L } from "../../src/core/layout.gen.ts";
import { EXIT_REASONS } from "../../src/core/layout-table.ts";
import type { Machine } from "../../src/core/machine.ts";
import type { Domain } from "../../src/hv/domain.ts";
import type { RunResult } from "../../src/hv/hypervisor.ts";
import { runDomain } from "../../src/hv/hypervisor.ts";
import { setFastPath } from "../../src/hv/core-mirror.ts";
import { SHARED_INFO, VCPU_INFO } from "../../src/hv/abi.ts";
import { parsePvKernel } from "../../src/boot/xen-kernel.ts";
import { bootPvDomain } from "../../src/boot/xen-domain.ts";
import { startPvDomain } from "../../src/boot/xen-run.ts";

const EXIT_EXCEPTION = EXIT_REASONS.indexOf("EXCEPTION");
const exceptionExits = (m: Machine) => Number(m.u64Field(L.S_EXIT_COUNTS + 8 * EXIT_EXCEPTION));

/** Everything the guest or --stats can see. */
function snapshot(d: Domain, end: RunResult) {
  const m = d.machine;
  const state = Array.from(m.u32.subarray(L.S_GPR >> 2, (L.S_INTR_SHADOW >> 2) + 1));
  const ram = m.readPhys(0, m.ramBytes);
  const time = d.sharedInfoMa + SHARED_INFO.vcpu_info + VCPU_INFO.time;
  ram.fill(0, time, time + 32); // vcpu_time_info: republished by the host on each of its exits
  return {
    end, state, eflags: m.eflags, cpl: m.field(L.S_CPL), mode: m.field(L.S_MODE), insns: m.instructions,
    cr2: d.vcpu.cr2, iopl: d.vcpu.iopl, vmAssist: d.vmAssist, stats: JSON.stringify(d.stats.toJSON()), ram,
  };
}

/** Run `make()` with the fast path off and on; both must end identically. Returns the exit counts. */
function compare(make: () => { d: Domain; run: () => RunResult }) {
  const slow = make(), fast = make();
  setFastPath(slow.d, false);
  setFastPath(fast.d, true);
  const a = snapshot(slow.d, slow.run()), b = snapshot(fast.d, fast.run());
  const { ram: ramA, ...restA } = a, { ram: ramB, ...restB } = b;
  expect(restB).toEqual(restA);
  const firstDiff = ramA.findIndex((x, i) => x !== ramB[i]);
  expect(firstDiff, `RAM differs at machine address 0x${firstDiff.toString(16)}`).toBe(-1);
  return { slow: exceptionExits(slow.d.machine), fast: exceptionExits(fast.d.machine), end: a.end, t: fast };
}

const pv = (src: string, opts?: PvOptions) => (): PvTest => pvDomain(`${PRELUDE}\n${src}`, opts);

const LOGP = DATA + 0x1c, RESUME = DATA + 0x20, LOG = DATA + 0x100;
/** A trap table: [vector, flags, handler label] rows, ended by a zero entry. */
function traps(rows: [number, number, string][]): string {
  return `traps:\n${rows.map(([v, f, l]) => `  .byte ${v}, ${f}\n  .word 0xe019\n  .long ${l}`).join("\n")}\n  .long 0, 0\n`;
}
/**
 * A handler: logs 6 words of its frame (and the upcall mask), drops the error code when there is
 * one, resumes at the address in RESUME and returns with HYPERVISOR_iret (as the hypercall page
 * does: push %eax; mov $23, %eax; int $0x82). Through SS only: an iret to ring 3 nulls DS.
 */
const handler = (label: string, ec: boolean) => `
${label}:
  pushl %eax; pushl %ebx
  movl %ss:${LOGP}, %ebx
  ${Array.from({ length: 6 }, (_, i) => `movl ${8 + 4 * i}(%esp), %eax; movl %eax, %ss:(%ebx); addl $4, %ebx`).join("\n  ")}
  movzbl %ss:${SHARED_INFO_VA + VCPU_INFO.evtchn_upcall_mask}, %eax; movl %eax, %ss:(%ebx); addl $4, %ebx
  movl %ebx, %ss:${LOGP}
  popl %ebx; popl %eax
  ${ec ? "addl $4, %esp" : ""}
  pushl %eax
  movl %ss:${RESUME}, %eax
  movl %eax, 4(%esp)
  movl $23, %eax
  int $0x82
`;
const TRY = (label: string) => `movl $${label}, %ss:${RESUME}`;
const SETUP = `
  movl $${LOG}, %ss:${LOGP}
  movl $traps, %ebx
  HYPERCALL 0
`;
const HANDLERS = `${handler("hde", false)}${handler("hbp", false)}${handler("hud", false)}${handler("hgp", true)}${handler("hpf", true)}${handler("hint", false)}`;
const TABLE = (pfFlags = 0) => traps([[0, 0, "hde"], [3, 3, "hbp"], [6, 0, "hud"], [13, 0, "hgp"], [14, pfFlags, "hpf"], [0x40, 1, "hint"], [0x80, 3 | 4, "hint"]]);

/** Ring 1: #DE, int3, #UD, #GP(selector), #PF (read and write), int $0x40 allowed, int $0x41 refused. */
const RING1 = `
  ${TRY("r1")}
  xorl %ecx, %ecx; movl $1, %eax; xorl %edx, %edx
  divl %ecx
r1: ${TRY("r2")}
  int3
r2: ${TRY("r3")}
  ud2
r3: ${TRY("r4")}
  movw $0x13, %ax
  movw %ax, %fs            /* GDT selector with no GDT: #GP(0x10) */
r4: ${TRY("r5")}
  movl 0xc0345678, %eax    /* unmapped: read, not present */
r5: ${TRY("r6")}
  movl $7, 0xc0345000      /* unmapped: write */
r6: ${TRY("r7")}
  int $0x40
r7: ${TRY("r8")}
  int $0x41                /* DPL 0: #GP(0x40a) */
r8:
`;

describe("PV fast path in the core vs the hypervisor's path", () => {
  for (const layout of ["pae", "classic"] as const) {
    it(`ring-1 exceptions and iret, events masked and unmasked (${layout})`, () => {
      for (const unmask of [false, true]) {
        for (const pfFlags of [0, 4]) {
          const r = compare(pv(`${SETUP}
            ${unmask ? `movb $0, ${SHARED_INFO_VA + 1}` : ""}
            ${RING1}
            SHUTDOWN 0
            ${HANDLERS}
            ${TABLE(pfFlags)}`, { layout }));
          expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
          // Every bounce and iret stayed in the core; only the #GP(0) path and hypercalls exit.
          expect(r.fast).toBeLessThan(r.slow);
          expect(r.t.d.stats.bounces.get(14)).toBe(2);
          expect(r.t.d.stats.bounces.get(13)).toBe(2);
          expect(r.t.d.stats.hypercalls.get(23)).toBe(8);
        }
      }
    });

    it(`ring 3: stack switch, #PF with U/S, refused and allowed int n, #GP(0) via the host, iret to ring 3 (${layout})`, () => {
      const r = compare(pv(`${SETUP}
        movl $0xe021, %ebx
        movl $${DATA + 0x800}, %ecx
        HYPERCALL 3              /* stack_switch */
        ${TRY("user")}
        IRET_TO_USER user
      user:
        ${TRY("u1")}
        movl $1, %ss:0xc012c000  /* a kernel page: #PF P|W|U */
      u1: ${TRY("u2")}
        int $0x80                /* DPL 3 */
      u2: ${TRY("u3")}
        int $0x40                /* DPL 1 from ring 3: #GP(0x202) */
      u3: ${TRY("u4")}
        cli                      /* IOPL 0: #GP(0), the host tries to emulate, then bounces */
      u4: ${TRY("u5")}
        ud2
      u5: ${TRY("u6")}
        movl $1, %eax; xorl %ecx, %ecx; xorl %edx, %edx; divl %ecx
      u6: ${TRY("u7")}
        int $0x82                /* a hypercall from ring 3: #GP(0x412) */
      u7:
        jmp u7
        ${HANDLERS}
        ${TABLE()}`, { layout, userPfns: [1, 2, 256, 496] }));
      expect(r.end.kind).toBe("budget"); // ring 3 spins at u7 (it cannot shut down)
      expect(r.fast).toBeLessThan(r.slow);
      expect(r.t.d.mem.readU32s(LOG, 7).slice(0, 6)).toEqual([7, expect.any(Number), 0xe02b, expect.any(Number), 0xc01f0800, 0xe033]);
    });
  }

  it("architectural_iopl: the frame's IOPL is the virtual IOPL; iret sets it", () => {
    const r = compare(pv(`${SETUP}
      movl $0, %ebx; movl $4, %ecx
      HYPERCALL 21             /* vm_assist enable architectural_iopl */
      movl $2, ${DATA + 0x10}
      movl $6, %ebx; movl $${DATA + 0x10}, %ecx
      HYPERCALL 33             /* physdev_op set_iopl 2 */
      ${TRY("a1")}
      ud2
    a1:
      ${TRY("a2")}
      pushl $0x1202            /* EFLAGS with IOPL 1 */
      pushl $0xe019
      pushl $a2
      pushl $0
      HYPERCALL 23
    a2: ${TRY("a3")}
      ud2
    a3:
      SHUTDOWN 0
      ${HANDLERS}
      ${TABLE()}`));
    expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(r.t.d.vcpu.iopl).toBe(1);
    const log = r.t.d.mem.readU32s(LOG, 14);
    expect((log[2] >>> 12) & 3).toBe(2);
    expect((log[9] >>> 12) & 3).toBe(1);
  });

  it("the forced-emulation prefix is left to the host", () => {
    const r = compare(pv(`${SETUP}
      movl $0, %eax
      ud2; .ascii "xen"; cpuid
      movl %ebx, ${DATA + 0x10}
      SHUTDOWN 0
      ${HANDLERS}
      ${TABLE()}`));
    expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(r.fast).toBe(r.slow);
  });

  it("a pending event unmasked by the bounce or the iret is delivered by the host", () => {
    const r = compare(pv(`${SETUP}
      movl $0xe019, %ebx; movl $evcb, %ecx; movl $0xe019, %edx; movl $evcb, %esi
      HYPERCALL 4              /* set_callbacks */
      movb $1, ${SHARED_INFO_VA + VCPU_INFO.evtchn_upcall_pending}
      ${TRY("e1")}
      ud2                      /* masked: bounced, the event waits */
    e1:
      movb $0, ${SHARED_INFO_VA + 1}
      ${TRY("e2")}
      ud2                      /* unmasked: after this bounce the upcall is due */
    e2:
      SHUTDOWN 0
    evcb:
      movl $1, %ss:${DATA + 0x14}
      SHUTDOWN 0
      ${HANDLERS}
      ${TABLE()}`));
    expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(r.t.d.mem.readU32(DATA + 0x14)).toBe(1);
    expect(r.t.d.stats.upcalls).toBe(1);
  });

  it("no handler, a kernel stack that does not take the frame, a bad iret: the host kills the domain", () => {
    for (const src of [
      "ud2",
      `${SETUP}\n movl $0xc0400000, %esp\n ud2\n ${HANDLERS}\n ${TABLE()}`,
      `${SETUP}\n pushl $0x202\n pushl $0x1239\n pushl $0x5678\n pushl $0\n HYPERCALL 23\n ${HANDLERS}\n ${TABLE()}`,
      `${SETUP}\n pushl $0x202\n pushl $0xe018\n pushl $0x5678\n pushl $0\n HYPERCALL 23\n ${HANDLERS}\n ${TABLE()}`,
    ]) {
      const r = compare(pv(src));
      expect(r.end.kind).toBe("killed");
      expect(r.fast).toBe(r.slow);
    }
  });

  it("frames that cross a page boundary", () => {
    const r = compare(pv(`${SETUP}
      movl $${DATA + 0x100c}, %esp   /* the frame of a #GP straddles DATA+0x1000 */
      ${TRY("c1")}
      movw $0x13, %ax
      movw %ax, %fs
    c1:
      SHUTDOWN 0
      ${HANDLERS}
      ${TABLE()}`));
    expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(r.fast).toBeLessThan(r.slow);
  });
});

describe("the built PV guests end identically with and without the fast path", () => {
  const dir = fileURLToPath(new URL("../../guests/build/pv", import.meta.url));
  const images = readdirSync(dir).filter((f) => f.endsWith(".elf")).sort();
  it.each(images)("%s", (image) => {
    const r = compare(() => {
      const kernel = parsePvKernel(readFileSync(join(dir, image)), image);
      const { pm, domain } = bootPvDomain(kernel, { nrPages: 4096, cmdline: "console=hvc0" });
      const d = startPvDomain(pm, domain, { output: () => {} });
      return { d, run: () => runDomain(d, 50_000_000n) };
    });
    // The traps guest bounces #DE #UD #GP #PF and returns by iret: those exits are gone.
    if (image.startsWith("traps-")) expect(r.fast).toBeLessThan(r.slow);
  });
});
