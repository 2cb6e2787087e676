// Region selection: what one translated function covers, read from the core's block headers and
// records (layout: src/core/layout-table.ts BLOCK_FIELDS, RECORD_FIELDS).
//
// A region is a hot block (its head, where the run loop enters it) and the live blocks of the same
// machine page that its direct branches reach: JMP/Jcc/LOOP targets and fall-throughs, CALL
// targets and the return sites after those CALLs. The translation of a region runs from block to
// block inside one function (codegen.ts: a dispatch `loop` + `br_table`), so a loop or a call/ret
// pair within the page never goes back to the core's run loop; every other exit returns to it,
// which finds the next block (translated or not) exactly as the interpreter does.
import { L } from "../core/layout.gen.ts";
import type { Core } from "../core/core.ts";
import { HANDLERS } from "../decode/ops.gen.ts";
import { blockSlot } from "../decode/decoder.ts";

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

/** Blocks in one region at most (code size grows with each, and so does compile time). */
export const MAX_REGION = 16;

/**
 * Page offsets (from the block's own start) of the blocks its last record may continue at without
 * leaving the page's code: direct branch targets and fall-throughs, CALL targets and the return
 * site (where a RET in the callee comes back).
 */
function successors(b: BlockInfo): number[] {
  const r = b.records[b.records.length - 1];
  const next = r.offset + r.len;
  const target = (next + r.imm2) | 0;
  switch (r.handler) {
    case "jmpRel": return [target];
    case "jcc": case "loop": case "callRel": return [target, next];
    case "retNear": return [];
    default: return r.len ? [next] : [];
  }
}

/** The live block decoded at machine address `ma` in `mode`, or -1. */
function blockAt(core: Core, ma: number, mode: number): number {
  const { u32 } = core;
  const idx = u32[(L.BLOCK_HASH_BASE >> 2) + blockSlot(ma, mode)];
  if (idx === 0) return -1;
  const b = (L.BLOCKS_BASE + (idx - 1) * L.BLK_SIZE) >> 2;
  if (u32[b + (L.BLK_PHYS >> 2)] !== ma || u32[b + (L.BLK_MODE >> 2)] !== mode) return -1;
  return untranslatable(core, idx - 1) === null ? idx - 1 : -1;
}

/**
 * The region headed by block `head` (which must be translatable): the head first, then the live
 * translatable blocks of the same page and mode reachable from it through successors(), breadth
 * first, at most MAX_REGION.
 */
export function selectRegion(core: Core, head: number): BlockInfo[] {
  const first = readBlock(core, head);
  const blocks = [first];
  const seen = new Set([first.phys]);
  const page = first.phys >>> 12;
  for (let k = 0; k < blocks.length && blocks.length < MAX_REGION; k++) {
    const b = blocks[k];
    for (const d of successors(b)) {
      const ma = b.phys + d;
      if (ma >>> 12 !== page || seen.has(ma)) continue;
      seen.add(ma);
      const idx = blockAt(core, ma, first.mode);
      if (idx >= 0 && blocks.length < MAX_REGION) blocks.push(readBlock(core, idx));
    }
  }
  return blocks;
}
