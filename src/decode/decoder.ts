// The only place instructions are decoded: iced-x86 turns guest bytes into flat records in the
// core's memory, once per block. A block is a run of instructions from one machine page, ending
// after a control transfer or mode change, at the page end, or before an instruction that
// crosses into the next page; such an instruction forms a block of its own (so a fetch fault on
// its second page is raised exactly when it is executed). Bytes are read only up to the end of
// the page, plus the next page's first bytes for a crossing instruction: the decoder never
// touches a page the CPU would not fetch from.
import { Decoder, DecoderOptions, DecoderError, Instruction, OpKind, Register } from "./iced-wasm.ts";
import { L } from "../core/layout.gen.ts";
import type { Core } from "../core/core.ts";
import { OPS_BY_CODE } from "./ops.gen.ts";
import { regNumber, memRegNumber, segNumber, NOT_A_REGISTER, NO_MEM_REG } from "./registers.ts";
import { PatchSites } from "./patch-sites.ts";
import { needsAbsentFeature } from "./absent.ts";

// REC_FLAGS bits (mirror assembly/exec/operand.ts RF_*)
export const RF_O16 = 1 << 0;
export const RF_A16 = 1 << 1;
export const RF_LOCK = 1 << 2;
export const RF_REP = 1 << 3;
export const RF_REPNE = 1 << 4;
export const RF_MEM = 1 << 5;

export const OP_INVALID = 0;
export const OP_UNIMPLEMENTED = 1;
const NO_PAGE = 0xffffffff;
const ACC_USER = 2;
const ACC_FETCH = 4;
const NO_MA = 0xffffffff;
/** longest block, in instructions */
export const MAX_BLOCK = 128;
/** Bytes handed to iced per block decode (at most the rest of the page). */
const DECODE_WINDOW = 512;
const RECORD_SLOTS = L.RECORDS_SIZE / L.REC_SIZE;
const BLOCK_SLOTS = L.BLOCKS_SIZE / L.BLK_SIZE;
const HASH_SLOTS = L.BLOCK_HASH_SIZE / 4;

/** Code number → [reg op, mem op, ends block], built from the generated table. */
const opTable: Int32Array = (() => {
  const codes = Object.keys(OPS_BY_CODE).map(Number);
  const t = new Int32Array((Math.max(...codes) + 1) * 3).fill(-1);
  for (const c of codes) {
    const [r, m, e] = OPS_BY_CODE[c];
    t[c * 3] = r; t[c * 3 + 1] = m; t[c * 3 + 2] = e;
  }
  return t;
})();
/** iced's Code.INVALID */
const CODE_INVALID = 0;

const LEGACY_PREFIXES = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);

/** Same hash as assembly/exec/run.ts blockSlot. */
export function blockSlot(ma: number, mode: number): number {
  return Math.imul((ma ^ (mode << 28)) >>> 0, 0x9e3779b1) >>> (32 - 16);
}

export class BlockDecoder {
  private readonly instr = new Instruction();
  /** blocks decoded since the last flush (for statistics) */
  flushes = 0;

  private readonly sites: PatchSites;

  constructor(private readonly core: Core) {
    this.sites = new PatchSites(core);
  }

  /** Drop every decoded block (when the record or block area is full). */
  flushAll(): void {
    const { u8, u32 } = this.core;
    u8.fill(0, L.BLOCK_HASH_BASE, L.BLOCK_HASH_BASE + L.BLOCK_HASH_SIZE);
    this.sites.clear();
    u32[L.S_PATCH_MEMO_MA >> 2] = 0;
    u32[L.S_REC_NEXT >> 2] = 0;
    u32[L.S_BLOCK_NEXT >> 2] = 0;
    this.flushes++;
  }

  /**
   * Decode the block the core asked for (FETCH_LIN / FETCH_PHYS, MODE). Returns false when a
   * fetch fault on a crossing instruction's second page is now pending in the core.
   */
  decodeMiss(): boolean {
    const { u32 } = this.core;
    const lin = u32[L.S_FETCH_LIN >> 2];
    const ma = u32[L.S_FETCH_PHYS >> 2];
    const mode = u32[L.S_MODE >> 2];
    const eip = u32[L.S_EIP >> 2];
    return this.decodeBlock(lin, ma, mode, eip);
  }

  private bytesAt(ma: number, len: number): Uint8Array {
    const ram = this.core.u32[L.S_RAM_SIZE >> 2];
    // inside RAM: a view (iced's Decoder copies what it is given)
    if (ma + len <= ram) return this.core.u8.subarray(L.RAM_BASE + ma, L.RAM_BASE + ma + len);
    const out = new Uint8Array(len).fill(0xff); // outside RAM the bus reads all ones
    const n = Math.max(0, Math.min(len, ram - ma));
    if (n > 0) out.set(this.core.u8.subarray(L.RAM_BASE + ma, L.RAM_BASE + ma + n));
    return out;
  }

  decodeBlock(lin: number, ma: number, mode: number, eip: number): boolean {
    const { u8, u32 } = this.core;
    // code maps and patch sites change: the core forgets its remembered patchable store
    // (assembly/mmu/patch.ts)
    u32[L.S_PATCH_MEMO_MA >> 2] = 0;
    if (u32[L.S_REC_NEXT >> 2] + MAX_BLOCK > RECORD_SLOTS || u32[L.S_BLOCK_NEXT >> 2] + 1 >= BLOCK_SLOTS) this.flushAll();
    const bitness = mode & 1 ? 32 : 16;
    const pageLeft = 0x1000 - (ma & 0xfff);
    // Hand iced a window, not the rest of the page: a block that outgrows it simply ends at the
    // last whole instruction inside (the next block starts there).
    const window = Math.min(pageLeft, DECODE_WINDOW);
    let bytes = this.bytesAt(ma, window);
    const first = u32[L.S_REC_NEXT >> 2];
    let count = 0;
    let bytesDecoded = 0;
    let page2 = NO_PAGE;
    const instr = this.instr;
    let decoder = new Decoder(bitness, bytes, DecoderOptions.None);
    try {
      decoder.ip = BigInt(eip >>> 0);
      while (count < MAX_BLOCK && decoder.canDecode) {
        const pos = decoder.position;
        decoder.decodeOut(instr);
        if (decoder.lastError === DecoderError.NoMoreBytes) {
          if (count > 0 || window < pageLeft) break; // the crossing instruction starts a block of its own
          // Fetch the rest from the next linear page (its translation may fault).
          const acc = ACC_FETCH | (u32[L.S_CPL >> 2] === 3 ? ACC_USER : 0);
          const ma2 = this.core.exports.translate(((lin | 0xfff) + 1) >>> 0, acc) >>> 0;
          if (ma2 === NO_MA && this.faultPending()) return false;
          page2 = ma2 >>> 12;
          const both = new Uint8Array(pageLeft + 15);
          both.set(bytes.subarray(0, pageLeft));
          both.set(this.bytesAt(ma2, 15), pageLeft);
          decoder.free();
          bytes = both;
          decoder = new Decoder(bitness, bytes, DecoderOptions.None);
          decoder.ip = BigInt(eip >>> 0);
          decoder.decodeOut(instr);
          this.writeRecord(first + count, instr, bytes, 0, bitness);
          // its bytes on both pages: stores there invalidate (no patching across pages)
          this.sites.noPatch(ma, pageLeft);
          if (ma2 !== NO_MA) this.sites.noPatch(ma2 & ~0xfff, instr.length - pageLeft);
          count++;
          bytesDecoded += instr.length;
          break;
        }
        const ends = this.writeRecord(first + count, instr, bytes, pos, bitness);
        if (ma + pos < this.core.u32[L.S_RAM_SIZE >> 2]) {
          const co = decoder.getConstantOffsets(instr);
          this.sites.add(ma + pos, L.RECORDS_BASE + (first + count) * L.REC_SIZE, instr, co);
          co.free();
        }
        count++;
        bytesDecoded += instr.length;
        if (ends) break;
      }
    } finally {
      decoder.free();
    }
    u32[L.S_REC_NEXT >> 2] = first + count;
    const bi = u32[L.S_BLOCK_NEXT >> 2];
    u32[L.S_BLOCK_NEXT >> 2] = bi + 1;
    u32[(L.BLOCK_JIT_BASE >> 2) + bi] = 0; // a reused header starts cold (no stale translation)
    const b = L.BLOCKS_BASE + bi * L.BLK_SIZE;
    const gen = (mpn: number) => u32[(L.PAGE_GEN_BASE >> 2) + mpn];
    u32[(b + L.BLK_PHYS) >> 2] = ma;
    u32[(b + L.BLK_MODE) >> 2] = mode;
    u32[(b + L.BLK_GEN) >> 2] = gen(ma >>> 12);
    u32[(b + L.BLK_PAGE2) >> 2] = page2;
    u32[(b + L.BLK_GEN2) >> 2] = page2 === NO_PAGE ? 0 : gen(page2);
    u32[(b + L.BLK_FIRST) >> 2] = first;
    u32[(b + L.BLK_COUNT) >> 2] = count;
    u32[(L.BLOCK_HASH_BASE >> 2) + blockSlot(ma, mode)] = bi + 1;
    // the bytes the block came from: [ma, ma + bytesDecoded), possibly into page2
    const off = ma & 0xfff;
    this.markCode(ma >>> 12, off, Math.min(off + bytesDecoded, 0x1000));
    if (page2 !== NO_PAGE) this.markCode(page2, 0, off + bytesDecoded - 0x1000);
    const dc = L.S_BLOCKS_DECODED >> 2;
    u32[dc] = (u32[dc] + 1) >>> 0;
    if (u32[dc] === 0) u32[dc + 1]++;
    void u8;
    return true;
  }

  private faultPending(): boolean {
    // translate() returned NO_MA: a #PF was raised in the core (EXC_VECTOR says so)
    return this.core.u32[L.S_EXC_VECTOR >> 2] === 14;
  }

  /** Bytes [lo, hi) of machine page `mpn` hold decoded code: stores there must invalidate it. */
  private markCode(mpn: number, lo: number, hi: number): void {
    if (mpn >= L.CODE_PAGE_SIZE || hi <= lo) return;
    const u32 = this.core.u32;
    const map = (L.CODE_MAP_BASE + mpn * L.CODE_MAP_BYTES_PER_PAGE) >> 2;
    for (let c = lo >>> L.CODE_CHUNK_SHIFT; c <= (hi - 1) >>> L.CODE_CHUNK_SHIFT; c++) {
      u32[map + (c >>> 5)] = (u32[map + (c >>> 5)] | (1 << (c & 31))) >>> 0;
    }
    const u8 = this.core.u8;
    if (u8[L.CODE_PAGE_BASE + mpn]) return;
    u8[L.CODE_PAGE_BASE + mpn] = 1;
    this.core.exports.tlbClearNoCode(mpn);
  }

  /** Write record `index` for `instr`; returns true when the block must end after it. */
  private writeRecord(index: number, instr: Instruction, bytes: Uint8Array, pos: number, bitness: number): boolean {
    const { u8, dv } = this.core;
    const r = L.RECORDS_BASE + index * L.REC_SIZE;
    u8.fill(0, r, r + L.REC_SIZE);
    const code = instr.code;
    let op = OP_INVALID;
    let ends = true;
    let flags = 0;
    // legacy prefixes that change operand and address size
    for (let i = pos; i < pos + instr.length && LEGACY_PREFIXES.has(bytes[i]); i++) {
      if (bytes[i] === 0x66) flags |= RF_O16;
      if (bytes[i] === 0x67) flags |= RF_A16;
    }
    if (bitness === 16) flags ^= RF_O16 | RF_A16;
    if (instr.hasLockPrefix) flags |= RF_LOCK;
    if (instr.hasRepePrefix || instr.hasRepPrefix) flags |= RF_REP;
    if (instr.hasRepnePrefix) flags |= RF_REPNE;
    u8[r + L.REC_R0] = NOT_A_REGISTER;
    u8[r + L.REC_R1] = NOT_A_REGISTER;
    u8[r + L.REC_R2] = NOT_A_REGISTER;
    u8[r + L.REC_BASE] = NO_MEM_REG;
    u8[r + L.REC_INDEX] = NO_MEM_REG;
    u8[r + L.REC_SEG] = 3; // DS
    if (code !== CODE_INVALID) {
      let isMem = false;
      let immCount = 0;
      const n = instr.opCount;
      for (let i = 0; i < n; i++) {
        const kind = instr.opKind(i);
        switch (kind) {
          case OpKind.Register:
            if (i < 3) u8[r + [L.REC_R0, L.REC_R1, L.REC_R2][i]] = regNumber(instr.opRegister(i));
            break;
          case OpKind.Memory:
            isMem = true;
            u8[r + L.REC_BASE] = memRegNumber(instr.memoryBase);
            // XLAT's index is AL: the handler adds it (not a GPR index)
            u8[r + L.REC_INDEX] = instr.memoryIndex === Register.AL ? NO_MEM_REG : memRegNumber(instr.memoryIndex);
            u8[r + L.REC_SCALE] = Math.log2(instr.memoryIndexScale);
            u8[r + L.REC_SEG] = segNumber(instr.memorySegment);
            dv.setUint32(r + L.REC_DISP, Number(BigInt.asUintN(32, instr.memoryDisplacement)), true);
            break;
          case OpKind.MemorySegSI: case OpKind.MemorySegESI: case OpKind.MemorySegDI: case OpKind.MemorySegEDI:
            u8[r + L.REC_SEG] = segNumber(instr.memorySegment);
            break;
          case OpKind.MemoryESDI: case OpKind.MemoryESEDI:
            break;
          case OpKind.NearBranch16:
            dv.setUint32(r + L.REC_IMM2, (instr.nearBranch16 - instr.nextIP16) >>> 0, true);
            break;
          case OpKind.NearBranch32:
            dv.setUint32(r + L.REC_IMM2, (instr.nearBranch32 - instr.nextIP32) >>> 0, true);
            break;
          case OpKind.FarBranch16:
          case OpKind.FarBranch32:
            dv.setUint32(r + L.REC_IMM, (kind === OpKind.FarBranch16 ? instr.farBranch16 : instr.farBranch32) >>> 0, true);
            dv.setUint32(r + L.REC_IMM2, instr.farBranchSelector, true);
            break;
          case OpKind.Immediate8: case OpKind.Immediate16: case OpKind.Immediate32:
          case OpKind.Immediate8to16: case OpKind.Immediate8to32:
            dv.setUint32(r + (immCount++ === 0 ? L.REC_IMM : L.REC_IMM2), Number(BigInt.asUintN(32, instr.immediate(i))), true);
            break;
          case OpKind.Immediate8_2nd:
            dv.setUint32(r + L.REC_IMM2, instr.immediate8_2nd & 0xff, true);
            break;
          default:
            throw new Error(`unexpected operand kind ${OpKind[kind]} in ${instr.toString()}`);
        }
      }
      if (isMem) flags |= RF_MEM;
      const cc = instr.conditionCode;
      if (cc > 0) u8[r + L.REC_CC] = cc - 1;
      const row = code * 3;
      if (row < opTable.length && opTable[row] >= 0) {
        op = isMem ? opTable[row + 1] : opTable[row];
        ends = opTable[row + 2] !== 0;
      } else {
        // A valid encoding of an extension CPUID does not report is #UD on this CPU (absent.ts).
        op = needsAbsentFeature(instr) ? OP_INVALID : OP_UNIMPLEMENTED;
      }
    }
    dv.setUint16(r + L.REC_OP, op, true);
    u8[r + L.REC_LEN] = instr.length;
    dv.setUint16(r + L.REC_END, pos + instr.length, true);
    u8[r + L.REC_FLAGS] = flags;
    dv.setUint32(r + L.REC_CODE, code, true);
    return ends;
  }
}
void Register;
