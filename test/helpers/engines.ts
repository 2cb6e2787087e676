// Run the same program under the interpreter and under forced translation and compare everything
// the guest or the research counters can see.
import { expect } from "vitest";
import { Machine, type Engine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";

/** The guest-visible state and the counters of a machine. */
export function snapshot(m: Machine): Record<string, unknown> {
  const f = (o: number) => m.field(o);
  const u64 = (o: number, n = 1) => Array.from({ length: n }, (_, i) => m.u64Field(o + 8 * i).toString());
  const ram = m.u8.subarray(L.RAM_BASE, L.RAM_BASE + m.ramBytes);
  return {
    gpr: ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"].map((r) => m.reg(r as never).toString(16)),
    eip: m.eip.toString(16),
    eflags: m.eflags.toString(16),
    insns: m.instructions.toString(),
    instrEip: f(L.S_INSTR_EIP).toString(16),
    cr2: f(L.S_CR2).toString(16),
    exc: [f(L.S_EXC_VECTOR), f(L.S_EXC_CODE), f(L.S_EXC_HAS_CODE), f(L.S_EXC_KIND)],
    exitReason: f(L.S_EXIT_REASON),
    tlb: u64(L.S_TLB_HITS, 4), // hits, misses, walks, flushes
    blocksRun: u64(L.S_BLOCKS_RUN)[0],
    blocksInvalidated: u64(L.S_BLOCKS_INVALIDATED)[0],
    exits: u64(L.S_EXIT_COUNTS, 16).join(","),
    faults: u64(L.S_FAULT_COUNTS, 32).join(","),
    ramHash: hash(ram),
  };
}

function hash(b: Uint8Array): string {
  let h1 = 0x811c9dc5, h2 = 0;
  for (let i = 0; i < b.length; i++) { h1 = Math.imul(h1 ^ b[i], 0x01000193); h2 = (h2 + b[i] * (i + 1)) | 0; }
  return `${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}`;
}

export interface AgreeOptions {
  /** run in slices of these many instructions (default: one run to the end) */
  slices?: bigint[];
  maxInsns?: bigint;
  /** translation thresholds to check against the interpreter (default [0, 2]) */
  thresholds?: number[];
}

/**
 * Build a machine with `make` for each engine, run it, and expect the translated runs to agree
 * with the interpreter at the end of every slice. Returns the interpreter's machine and exits.
 */
export function expectEnginesAgree(make: () => Machine, opts: AgreeOptions = {}): { m: Machine; exits: string[]; translated: Machine[] } {
  const runOne = (engine: Engine, threshold: number) => {
    const m = make();
    m.useEngine(engine, threshold);
    const states: Record<string, unknown>[] = [];
    const exits: string[] = [];
    const slices = opts.slices ?? [opts.maxInsns ?? 10_000_000n];
    let k = 0;
    for (let guard = 0; guard < 100_000; guard++) {
      const x = m.run(slices[k++ % slices.length]);
      exits.push(x);
      states.push(snapshot(m));
      if (x !== "BUDGET" || opts.slices === undefined) break;
      if (m.instructions > (opts.maxInsns ?? 10_000_000n)) break;
    }
    return { m, states, exits };
  };
  const ref = runOne("interp", 0);
  const translated: Machine[] = [];
  for (const t of opts.thresholds ?? [0, 2]) {
    const jit = runOne("jit", t);
    expect(jit.exits, `exits, threshold ${t}`).toEqual(ref.exits);
    for (let i = 0; i < ref.states.length; i++) expect(jit.states[i], `state after run ${i}, threshold ${t}`).toEqual(ref.states[i]);
    if (t === 0) expect(jit.m.translator!.stats.blocks, "blocks translated").toBeGreaterThan(0);
    translated.push(jit.m);
  }
  return { m: ref.m, exits: ref.exits, translated };
}
