// Patch sites: the decoder lists every record it writes under the 16-byte code chunks its bytes
// come from, with where its immediate and displacement are, so that a store changing only those
// bytes patches the record in place instead of invalidating the page (assembly/mmu/patch.ts, which
// reads this table). A record that cannot be listed (slot taken by another chunk or full, page-
// crossing instruction) sets its chunks' CODE_NOPATCH bits: stores there invalidate as before.
import { OpKind, type ConstantOffsets, type Instruction } from "./iced-wasm.ts";
import { L } from "../core/layout.gen.ts";
import type { Core } from "../core/core.ts";

const SEXT = 0x80;
const RF_A16 = 1 << 1;
const RF_MEM = 1 << 5;

/** PATCH_TABLE slot address of code chunk `chunk` (ma >>> 4); the same hash as patch.ts. */
function slotOf(chunk: number): number {
  return L.PATCH_TABLE_BASE + (Math.imul(chunk, 0x9e3779b1) >>> 20) * L.PATCH_SLOT_BYTES;
}

export class PatchSites {
  constructor(private readonly core: Core) {}

  /** The record area was recycled: no record is listed any more. */
  clear(): void {
    this.core.u8.fill(0, L.PATCH_TABLE_BASE, L.PATCH_TABLE_BASE + L.PATCH_TABLE_SIZE);
  }

  /** Chunks of bytes [ma, ma + len) of one page: stores there must invalidate. */
  noPatch(ma: number, len: number): void {
    const u32 = this.core.u32;
    for (let c = ma >>> L.CODE_CHUNK_SHIFT; c <= (ma + len - 1) >>> L.CODE_CHUNK_SHIFT; c++) {
      const mpn = c >>> (12 - L.CODE_CHUNK_SHIFT), bit = c & ((0x1000 >>> L.CODE_CHUNK_SHIFT) - 1);
      if (mpn >= L.CODE_PAGE_SIZE) return;
      const w = (L.CODE_NOPATCH_BASE + mpn * L.CODE_MAP_BYTES_PER_PAGE >> 2) + (bit >>> 5);
      u32[w] = (u32[w] | (1 << (bit & 31))) >>> 0;
    }
  }

  /**
   * List record `rec` (Wasm address), decoded from [ma, ma + instr.length) within one page, with
   * the constants a store may patch: its first immediate when it is a plain one (IMM), and its
   * displacement with 32-bit addressing (DISP) — each only if the value recomputed from the bytes
   * the way patch.ts does equals what the decoder wrote.
   */
  add(ma: number, rec: number, instr: Instruction, co: ConstantOffsets): void {
    const { u8, u32, dv } = this.core;
    const len = instr.length;
    let immOff = 0, imm = 0, dispOff = 0, disp = 0;
    const kinds = Array.from({ length: instr.opCount }, (_, i) => instr.opKind(i));
    // the operand iced's first constant offset belongs to: the first branch or immediate operand
    const first = kinds.find((k) => k >= OpKind.NearBranch16 && k <= OpKind.Immediate32to64);
    if (co.hasImmediate && first !== undefined) {
      const size = co.immediateSize;
      const sext = first === OpKind.Immediate8to16 || first === OpKind.Immediate8to32;
      const plain = sext || first === OpKind.Immediate8 || first === OpKind.Immediate16 || first === OpKind.Immediate32;
      if (plain && (size === 1 || size === 2 || size === 4) && constantAt(u8, ma + co.immediateOffset, size, sext) === dv.getUint32(rec + L.REC_IMM, true)) {
        immOff = co.immediateOffset;
        imm = size | (sext ? SEXT : 0);
      }
    }
    const flags = u8[rec + L.REC_FLAGS];
    if (co.hasDisplacement && (flags & RF_MEM) && !(flags & RF_A16)) {
      const size = co.displacementSize;
      if ((size === 1 || size === 4) && constantAt(u8, ma + co.displacementOffset, size, true) === dv.getUint32(rec + L.REC_DISP, true)) {
        dispOff = co.displacementOffset;
        disp = size;
      }
    }
    for (let c = ma >>> L.CODE_CHUNK_SHIFT; c <= (ma + len - 1) >>> L.CODE_CHUNK_SHIFT; c++) {
      const slot = slotOf(c);
      const tag = u32[slot >> 2];
      if (tag === 0) { u32[slot >> 2] = c + 1; u32[(slot >> 2) + 1] = 0; }
      const n = u32[(slot >> 2) + 1];
      if ((tag !== 0 && tag !== c + 1) || n === L.PATCH_ENTRIES) { this.noPatch(c << L.CODE_CHUNK_SHIFT, 1); continue; }
      const e = slot + 8 + n * 12;
      u32[e >> 2] = ma;
      u32[(e >> 2) + 1] = rec;
      u8[e + 8] = immOff; u8[e + 9] = imm; u8[e + 10] = dispOff; u8[e + 11] = disp;
      u32[(slot >> 2) + 1] = n + 1;
    }
  }
}

/** patch.ts constantAt: `size` bytes at machine address `ma`, zero- or sign-extended to 32 bits. */
function constantAt(u8: Uint8Array, ma: number, size: number, sext: boolean): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = (v << 8) | u8[L.RAM_BASE + ma + i];
  if (sext && size < 4) v = (v << (32 - 8 * size)) >> (32 - 8 * size);
  return v >>> 0;
}
