// --stats: what happened during a run, from the core's counters (STATE_FIELDS INSNS, EXIT_COUNTS,
// FAULT_COUNTS, TLB_*, BLOCKS_*) and the host's wall time. `formatStats` is the human-readable
// form (stderr), `--json` prints the record itself as one line of JSON.
import { L } from "../core/layout.gen.ts";
import { EXIT_REASONS } from "../core/layout-table.ts";
import type { Machine } from "../core/machine.ts";

export interface RunStats {
  instructions: number;
  seconds: number;
  /** millions of instructions per second of host time */
  mips: number;
  /** core exits by reason (only reasons that occurred) */
  exits: Record<string, number>;
  /** exceptions raised, by vector (only vectors that occurred) */
  faults: Record<string, number>;
  tlb: { hits: number; misses: number; walks: number; flushes: number };
  blocks: { decoded: number; run: number; invalidated: number };
  /** virtual clock: instructions plus those skipped while halted */
  clock: number;
}

export const VECTOR_NAMES = ["DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "MF09", "TS", "NP", "SS", "GP", "PF", "15", "MF", "AC", "MC", "XM"];

export function collectStats(m: Machine, seconds: number, clock: bigint): RunStats {
  const u64 = (off: number) => Number(m.u64Field(off));
  const instructions = Number(m.instructions);
  const exits: Record<string, number> = {};
  EXIT_REASONS.forEach((name, i) => {
    const n = u64(L.S_EXIT_COUNTS + i * 8);
    if (n > 0) exits[name] = n;
  });
  const faults: Record<string, number> = {};
  for (let v = 0; v < 32; v++) {
    const n = u64(L.S_FAULT_COUNTS + v * 8);
    if (n > 0) faults[v < VECTOR_NAMES.length ? `${v} ${VECTOR_NAMES[v]}` : String(v)] = n;
  }
  return {
    instructions,
    seconds,
    mips: seconds > 0 ? instructions / seconds / 1e6 : 0,
    exits,
    faults,
    tlb: { hits: u64(L.S_TLB_HITS), misses: u64(L.S_TLB_MISSES), walks: u64(L.S_TLB_WALKS), flushes: u64(L.S_TLB_FLUSHES) },
    blocks: { decoded: u64(L.S_BLOCKS_DECODED), run: u64(L.S_BLOCKS_RUN), invalidated: u64(L.S_BLOCKS_INVALIDATED) },
    clock: Number(clock),
  };
}

export function formatStats(s: RunStats): string {
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    `instructions  ${s.instructions} in ${s.seconds.toFixed(3)} s (${s.mips.toFixed(1)} MIPS)`,
    `exits         ${list(s.exits)}`,
    `faults        ${list(s.faults)}`,
    `tlb           ${s.tlb.hits} hits, ${s.tlb.misses} misses, ${s.tlb.walks} walks, ${s.tlb.flushes} flushes`,
    `blocks        ${s.blocks.decoded} decoded, ${s.blocks.run} run, ${s.blocks.invalidated} invalidated by stores`,
  ].join("\n") + "\n";
}
