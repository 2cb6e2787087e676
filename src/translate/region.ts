// Region selection: what one translated function covers, read from the core's block headers and
// records (layout: src/core/layout-table.ts BLOCK_FIELDS, RECORD_FIELDS).
//
// A region is one decoded block. A block whose last instruction branches back to the block's own
// start loops inside its translation (the `loop` of the generated function), so a hot loop runs
// without returning to the core's run loop; every other exit returns to it, which finds the next
// block (translated or not) exactly as the interpreter does.
import { L } from "../core/layout.gen.ts";
import type { Core } from "../core/core.ts";
import { HANDLERS } from "../decode/ops.gen.ts";

const NO_PAGE = 0xffffffff;
/** MODE bit 0: 32-bit code segment (assembly/exec/run.ts MODE_D32) */
const MODE_D32 = 1;

/** One decoded instruction, as its record says. */
export interface RecordInfo {
  /** Wasm address of the record (what stepRecord takes) */
  addr: number;
  /** EIP of this instruction minus EIP at the block's entry */
  offset: number;
  len: number;
  /** handler number and what it stands for (src/decode/ops.gen.ts HANDLERS) */
  op: number;
  handler: string;
  args: readonly number[];
  flags: number;
  r0: number; r1: number; r2: number;
  base: number; index: number; scale: number; seg: number; cc: number;
  disp: number; imm: number; imm2: number;
}

export interface BlockInfo {
  /** block header index */
  index: number;
  /** machine address of its first instruction */
  phys: number;
  mode: number;
  gen: number;
  records: RecordInfo[];
  /** bytes from the first instruction to the end of the last */
  length: number;
}

export function readRecord(core: Core, addr: number, offset: number): RecordInfo {
  const { u8, dv } = core;
  const op = dv.getUint16(addr + L.REC_OP, true);
  const h = HANDLERS[op] ?? ["unimplemented"];
  return {
    addr, offset, op,
    len: u8[addr + L.REC_LEN],
    handler: h[0],
    args: h.slice(1) as number[],
    flags: u8[addr + L.REC_FLAGS],
    r0: u8[addr + L.REC_R0], r1: u8[addr + L.REC_R1], r2: u8[addr + L.REC_R2],
    base: u8[addr + L.REC_BASE], index: u8[addr + L.REC_INDEX], scale: u8[addr + L.REC_SCALE],
    seg: u8[addr + L.REC_SEG], cc: u8[addr + L.REC_CC],
    disp: dv.getUint32(addr + L.REC_DISP, true),
    imm: dv.getUint32(addr + L.REC_IMM, true),
    imm2: dv.getUint32(addr + L.REC_IMM2, true),
  };
}

export function readBlock(core: Core, index: number): BlockInfo {
  const { u32 } = core;
  const b = (L.BLOCKS_BASE + index * L.BLK_SIZE) >> 2;
  const first = u32[b + (L.BLK_FIRST >> 2)], count = u32[b + (L.BLK_COUNT >> 2)];
  const records: RecordInfo[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const r = readRecord(core, L.RECORDS_BASE + (first + i) * L.REC_SIZE, offset);
    records.push(r);
    offset += r.len;
  }
  return {
    index,
    phys: u32[b + (L.BLK_PHYS >> 2)],
    mode: u32[b + (L.BLK_MODE >> 2)],
    gen: u32[b + (L.BLK_GEN >> 2)],
    records,
    length: offset,
  };
}

/**
 * Why block `index` cannot be translated now, or null if it can: it must be a live block (decoded
 * since the last flush, its page not written since), of 32-bit code, on one page.
 */
export function untranslatable(core: Core, index: number): string | null {
  const { u32 } = core;
  if (index >= u32[L.S_BLOCK_NEXT >> 2]) return "not a live block";
  const b = (L.BLOCKS_BASE + index * L.BLK_SIZE) >> 2;
  const phys = u32[b + (L.BLK_PHYS >> 2)];
  if (u32[b + (L.BLK_GEN >> 2)] !== u32[(L.PAGE_GEN_BASE >> 2) + (phys >>> 12)]) return "stale";
  if (u32[b + (L.BLK_PAGE2 >> 2)] !== NO_PAGE) return "crosses a page";
  if (!(u32[b + (L.BLK_MODE >> 2)] & MODE_D32)) return "16-bit code";
  if (u32[b + (L.BLK_COUNT >> 2)] === 0) return "empty";
  return null;
}
