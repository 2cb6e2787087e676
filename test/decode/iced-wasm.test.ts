// src/decode/iced-wasm.ts binds iced-x86's Wasm decoder without the package's JavaScript: every
// accessor must give what the package gives, on the same bytes.
import { describe, it, expect } from "vitest";
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import * as mine from "../../src/decode/iced-wasm.ts";
import { OpKind, Register, DecoderError, DecoderOptions, CpuidFeature } from "../../src/decode/iced-enums.gen.ts";
import { OPS, OPS_BY_CODE } from "../../src/decode/ops.gen.ts";

const iced = createRequire(import.meta.url)("iced-x86") as typeof Iced;

/** xorshift32: the same bytes on every run */
function bytesFrom(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const IMMEDIATES = new Set<number>([OpKind.Immediate8, OpKind.Immediate8_2nd, OpKind.Immediate16, OpKind.Immediate32,
  OpKind.Immediate64, OpKind.Immediate8to16, OpKind.Immediate8to32, OpKind.Immediate8to64, OpKind.Immediate32to64]);

/** Everything xenolith reads of an instruction, through either binding. */
function describeInstr(instr: mine.Instruction | Iced.Instruction, co: mine.ConstantOffsets | Iced.ConstantOffsets) {
  const ops = Array.from({ length: instr.opCount }, (_, i) => {
    const kind = instr.opKind(i);
    return {
      kind,
      reg: kind === OpKind.Register ? instr.opRegister(i) : undefined,
      imm: IMMEDIATES.has(kind) ? instr.immediate(i) : undefined,
    };
  });
  return {
    code: instr.code, length: instr.length, isInvalid: instr.isInvalid, text: instr.toString(),
    lock: instr.hasLockPrefix, repe: instr.hasRepePrefix, rep: instr.hasRepPrefix, repne: instr.hasRepnePrefix,
    ops, op0Kind: instr.op0Kind, op1Kind: instr.op1Kind, op1Register: instr.op1Register,
    memoryBase: instr.memoryBase, memoryIndex: instr.memoryIndex, memoryIndexScale: instr.memoryIndexScale,
    memorySegment: instr.memorySegment, memoryDisplacement: instr.memoryDisplacement,
    nearBranch16: instr.nearBranch16, nextIP16: instr.nextIP16, nearBranch32: instr.nearBranch32, nextIP32: instr.nextIP32,
    farBranch16: instr.farBranch16, farBranch32: instr.farBranch32, farBranchSelector: instr.farBranchSelector,
    immediate8_2nd: instr.immediate8_2nd, conditionCode: instr.conditionCode, cpuid: [...instr.cpuidFeatures()],
    co: {
      hasImmediate: co.hasImmediate, immediateOffset: co.immediateOffset, immediateSize: co.immediateSize,
      hasDisplacement: co.hasDisplacement, displacementOffset: co.displacementOffset, displacementSize: co.displacementSize,
    },
  };
}

/** Decode `bytes` to the end with both bindings, one description per instruction. */
function decodeAll(bitness: number, bytes: Uint8Array, api: typeof mine | typeof Iced) {
  const decoder = new api.Decoder(bitness, bytes, DecoderOptions.None);
  const instr = new api.Instruction();
  decoder.ip = 0xfffffff0n; // branch targets wrap, as at the top of the address space
  const out = [];
  while (decoder.canDecode) {
    const position = decoder.position;
    (decoder.decodeOut as (i: unknown) => void)(instr);
    const co = (decoder.getConstantOffsets as (i: unknown) => mine.ConstantOffsets)(instr);
    out.push({ position, lastError: decoder.lastError, ...describeInstr(instr, co) });
    co.free();
  }
  const last = decoder.decode();
  out.push({ afterEnd: describeInstr(last, (decoder.getConstantOffsets as (i: unknown) => mine.ConstantOffsets)(last)), lastError: decoder.lastError });
  last.free();
  instr.free();
  decoder.free();
  return out;
}

describe("iced-wasm: the decoder bound without iced-x86's JavaScript", () => {
  it("decodes random bytes exactly as the package does (16- and 32-bit code)", () => {
    for (const bitness of [16, 32]) {
      for (let seed = 1; seed <= 16; seed++) {
        const bytes = bytesFrom(seed * 7919 + bitness, 4096);
        expect(decodeAll(bitness, bytes, mine)).toEqual(decodeAll(bitness, bytes, iced));
      }
    }
  });

  it("the decoder's table by Code number has the package's number for each form's Code name", () => {
    for (const [name, row] of Object.entries(OPS)) {
      const code = (iced.Code as unknown as Record<string, number>)[name];
      expect(OPS_BY_CODE[code], name).toEqual(row);
    }
    expect(Object.keys(OPS_BY_CODE).length).toBe(Object.keys(OPS).length);
  });

  it("throws the package's errors", () => {
    const d = new mine.Decoder(32, new Uint8Array([0x90]), DecoderOptions.None);
    const i = d.decode();
    expect(() => i.opKind(9)).toThrow();
    expect(() => i.immediate(0)).toThrow();
    i.free();
    d.free();
    expect(() => new mine.Decoder(17, new Uint8Array([0x90]), DecoderOptions.None)).toThrow();
  });

  it("has the package's enum values", () => {
    const pairs = [[OpKind, iced.OpKind], [Register, iced.Register], [DecoderError, iced.DecoderError],
      [DecoderOptions, iced.DecoderOptions], [CpuidFeature, iced.CpuidFeature]] as const;
    for (const [ours, theirs] of pairs) expect({ ...ours }).toEqual({ ...theirs });
  });
});
