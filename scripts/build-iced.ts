// Writes build/iced-decoder.wasm: iced-x86's Wasm module (node_modules/iced-x86/iced_x86_bg.wasm)
// 1. with only the exports src/decode/iced-wasm.ts binds (src/decode/iced-exports.ts), everything
//    else byte for byte the same (src/decode/keep-exports.ts);
// 2. with its decoder tables already built: the module is run here until it has made a Decoder
//    and decoded with it, and its memory then becomes the module's initial memory
//    (src/decode/memory-snapshot.ts). Every start used to build the tables (and compile the code
//    that does) when the first block was decoded.
// Done at build time: rewriting the module at start-up cost more than it saved (V8 optimised the
// parsing loop: +4 MiB RSS).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { keepExports } from "../src/decode/keep-exports.ts";
import { withMemorySnapshot, mutableGlobalCount } from "../src/decode/memory-snapshot.ts";
import { ICED_KEPT } from "../src/decode/iced-exports.ts";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(path.dirname(createRequire(import.meta.url).resolve("iced-x86")), "iced_x86_bg.wasm");
const decoderOnly = keepExports(readFileSync(source), ICED_KEPT);

type Fn = (...args: number[]) => number;
// no import may be called while the tables are built (an error object would live in the host's table)
const imports = {
  __wbindgen_placeholder__: new Proxy({}, { get: (_, name) => () => { throw new Error(`iced-x86 called ${String(name)} while building its tables`); } }),
};
const wasm = new WebAssembly.Instance(new WebAssembly.Module(decoderOnly), imports).exports as Record<string, Fn> & { memory: WebAssembly.Memory };
// its only mutable global is wasm-bindgen's stack pointer, which must be back where it started
if (mutableGlobalCount(decoderOnly) !== 1) throw new Error("iced-x86: expected one mutable global (the stack pointer)");
const stackPointer = wasm.__wbindgen_add_to_stack_pointer(0);

// What src/decode/decoder.ts does first (iced-wasm.ts's glue for the same exports): an
// Instruction, a 32-bit and a 16-bit Decoder (DecoderOptions.None) over a few instructions with
// a ModRM operand, a displacement and an immediate, each decoded, its constant offsets and CPUID
// features read, then everything freed.
const CODE = [0x8b, 0x44, 0x24, 0x08, 0x81, 0xc3, 0x78, 0x56, 0x34, 0x12, 0xc3];
const instruction = wasm.instruction_new();
for (const bitness of [32, 16]) {
  const data = wasm.__wbindgen_malloc(CODE.length, 1) >>> 0;
  new Uint8Array(wasm.memory.buffer).set(CODE, data);
  const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
  wasm.decoder_new(retptr, bitness, data, CODE.length, 0);
  const [decoder, , failed] = new Int32Array(wasm.memory.buffer, retptr, 3);
  wasm.__wbindgen_add_to_stack_pointer(16);
  if (failed) throw new Error("iced-x86: Decoder::new failed while building its tables");
  while (wasm.decoder_canDecode(decoder)) {
    wasm.decoder_decodeOut(decoder, instruction);
    wasm.__wbg_constantoffsets_free(wasm.decoder_getConstantOffsets(decoder, instruction));
    const features = wasm.__wbindgen_add_to_stack_pointer(-16);
    wasm.instruction_cpuidFeatures(features, instruction);
    const [ptr, len] = new Int32Array(wasm.memory.buffer, features, 2);
    wasm.__wbindgen_free(ptr, len * 4, 4);
    wasm.__wbindgen_add_to_stack_pointer(16);
  }
  wasm.__wbg_decoder_free(decoder);
}
wasm.__wbg_instruction_free(instruction);
if (wasm.__wbindgen_add_to_stack_pointer(0) !== stackPointer) throw new Error("iced-x86: stack pointer moved while building its tables");

mkdirSync(path.join(root, "build"), { recursive: true });
writeFileSync(path.join(root, "build", "iced-decoder.wasm"), withMemorySnapshot(decoderOnly, new Uint8Array(wasm.memory.buffer)));
