// Programs for the engine-agreement tests: a machine factory per program (each engine run gets a
// fresh machine), with the code assembled once at 0x1000 and followed by HLT.
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { assemble } from "./asm.ts";
import { flatMachine } from "./flat.ts";
import { protMachine } from "./desc.ts";

export type Setup = (m: Machine) => void;

function factory(make: () => Machine, source: string, setup?: Setup): () => Machine {
  const code = assemble(source + "\nhlt\n", 0x1000);
  return () => {
    const m = make();
    m.writePhys(0x1000, code);
    m.eip = 0x1000;
    setup?.(m);
    return m;
  };
}

/** `source` in flat 32-bit protected mode (test/helpers/flat.ts, 1 MiB of RAM). */
export function flatProgram(source: string, setup?: Setup): () => Machine {
  return factory(() => flatMachine(1 << 20), source, setup);
}

/** `source` on the standard GDT (test/helpers/desc.ts), its exceptions exiting to the host. */
export function protProgram(source: string, setup?: Setup): () => Machine {
  return factory(() => {
    const m = protMachine();
    m.setField(L.S_EXC_POLICY, 0);
    return m;
  }, source, setup);
}

/** Where identityPaging puts its page directory and its one page table. */
export const PD = 0x80000, PT = 0x81000;

/**
 * 2-level paging identity-mapping the first 4 MiB, supervisor, writable, except the `absent`
 * pages (not present) and the `readOnly` ones (R/W = 0); CR0.WP set, so ring 0 honours R/W.
 */
export function identityPaging(absent: readonly number[] = [], readOnly: readonly number[] = []): Setup {
  return (m: Machine) => {
    const pd = new Uint8Array(4096), pt = new Uint8Array(4096);
    new DataView(pd.buffer).setUint32(0, PT | 0x3, true);
    const ptv = new DataView(pt.buffer);
    for (let i = 0; i < 1024; i++) if (!absent.includes(i)) ptv.setUint32(i * 4, (i << 12) | (readOnly.includes(i) ? 0x1 : 0x3), true);
    m.writePhys(PD, pd);
    m.writePhys(PT, pt);
    m.setField(L.S_CR3, PD);
    m.setField(L.S_CR0, 0x80010011); // PG, WP, ET, PE
  };
}
