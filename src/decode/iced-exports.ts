// The exports of iced-x86's Wasm module that iced-wasm.ts binds: scripts/build-iced.ts keeps only
// these in build/iced-decoder.wasm (V8 builds a function object for every export it instantiates:
// 762 in the package's module). Property: iced-wasm.ts's name; value: the wasm-bindgen export.
export const ICED_EXPORTS = {
  decoder_new: "decoder_new", decoder_free: "__wbg_decoder_free", decoder_set_ip: "decoder_set_ip",
  decoder_position: "decoder_position", decoder_canDecode: "decoder_canDecode", decoder_lastError: "decoder_lastError",
  decoder_decode: "decoder_decode", decoder_decodeOut: "decoder_decodeOut", decoder_getConstantOffsets: "decoder_getConstantOffsets",
  instruction_new: "instruction_new", instruction_free: "__wbg_instruction_free",
  code: "instruction_code", length: "instruction_length", isInvalid: "instruction_isInvalid",
  hasLockPrefix: "instruction_hasLockPrefix", hasRepPrefix: "instruction_hasRepPrefix", hasRepnePrefix: "instruction_hasRepnePrefix",
  opCount: "instruction_opCount", opKind: "instruction_opKind", opRegister: "instruction_opRegister",
  op0Kind: "instruction_op0Kind", op1Kind: "instruction_op1Kind", op1Register: "instruction_op1Register",
  memoryBase: "instruction_memoryBase", memoryIndex: "instruction_memoryIndex", memoryIndexScale: "instruction_memoryIndexScale",
  memorySegment: "instruction_memorySegment", memoryDisplacement: "instruction_memoryDisplacement",
  nextIP16: "instruction_nextIP16", nearBranch32: "instruction_nearBranch32", nextIP32: "instruction_nextIP32",
  farBranch16: "instruction_farBranch16", farBranch32: "instruction_farBranch32", farBranchSelector: "instruction_farBranchSelector",
  immediate: "instruction_immediate", immediate8_2nd: "instruction_immediate8_2nd", conditionCode: "instruction_conditionCode",
  cpuidFeatures: "instruction_cpuidFeatures", toString: "instruction_toString",
  co_free: "__wbg_constantoffsets_free", co_displacementOffset: "constantoffsets_displacementOffset",
  co_displacementSize: "constantoffsets_displacementSize", co_immediateOffset: "constantoffsets_immediateOffset",
  co_immediateSize: "constantoffsets_immediateSize", co_hasDisplacement: "constantoffsets_hasDisplacement",
  co_hasImmediate: "constantoffsets_hasImmediate",
} as const;

/** Every export build/iced-decoder.wasm keeps: the bound functions and wasm-bindgen's runtime. */
export const ICED_KEPT: ReadonlySet<string> = new Set([
  "memory", "__wbindgen_add_to_stack_pointer", "__wbindgen_malloc", "__wbindgen_free", ...Object.values(ICED_EXPORTS),
]);
