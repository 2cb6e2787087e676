// A WebAssembly module whose memory starts as a snapshot taken after some of its code ran (the
// idea of Wizer, the WebAssembly pre-initializer). iced-x86 builds its decoder tables (a few
// hundred handler objects) the first time a Decoder is made: ~3-10 ms of CPU on every start,
// half of it compiling the code that builds them. scripts/build-iced.ts runs that once at build
// time and writes the module with the memory it left: the tables are then data, as if built.
// Binary format: WebAssembly Core Specification 5.5 (memory section id 5: limits; data section
// id 11: segments; data count section id 12; start section id 8).
//
// Sound only when everything else the code changed is as the fresh module has it: the caller
// checks that the mutable globals hold their initial values (wasm-bindgen's stack pointer, the
// only one in iced's module, is back where it started after every call), no table was changed,
// and no host state refers to what the code did.

import { WasmReader, uleb128, sleb128, section, concat } from "./wasm-binary.ts";

const GLOBAL_SECTION = 6, MEMORY_SECTION = 5, START_SECTION = 8, DATA_SECTION = 11, DATA_COUNT_SECTION = 12;
const PAGE = 65536;
/** zero bytes that end a segment: fewer are kept in it (a segment costs ~6 bytes of header) */
const ZERO_GAP = 16;

/** `bytes` with its memory's initial contents and size replaced by `memory` (a whole number of pages). */
export function withMemorySnapshot(bytes: Uint8Array, memory: Uint8Array): Uint8Array<ArrayBuffer> {
  if (memory.length % PAGE !== 0) throw new Error("memory snapshot: not a whole number of pages");
  const sections: Uint8Array[] = [bytes.subarray(0, 8)]; // magic and version
  const r = new WasmReader(bytes);
  let sawMemory = false;
  const segments = dataSegments(memory);
  while (r.pos < bytes.length) {
    const { id, start, end } = r.section();
    if (id === START_SECTION) throw new Error("memory snapshot: the module has a start function, which would run again");
    if (id === MEMORY_SECTION) {
      if (r.u32() !== 1) throw new Error("memory snapshot: the module must define exactly one memory");
      const flags = r.u32();
      if (flags !== 0 && flags !== 1) throw new Error(`memory snapshot: memory limits flags ${flags} (shared or 64-bit) not handled`);
      r.u32(); // initial pages: replaced
      const pages = memory.length / PAGE;
      const limits = [uleb128(1), Uint8Array.of(flags), uleb128(pages)];
      if (flags === 1) {
        const maximum = r.u32();
        if (maximum < pages) throw new Error(`memory snapshot: ${pages} pages exceed the module's maximum ${maximum}`);
        limits.push(uleb128(maximum));
      }
      sections.push(section(MEMORY_SECTION, concat(limits)));
      sawMemory = true;
    } else if (id === DATA_SECTION) {
      for (let n = r.u32(); n > 0; n--) {
        // only active segments of memory 0 (flags 0) are replaced; a passive one is read by memory.init
        if (r.u32() !== 0) throw new Error("memory snapshot: passive or explicit-memory data segments not handled");
        // offset: i32.const n, end (a global.get offset would need the global's value)
        if (r.byte() !== 0x41) throw new Error("memory snapshot: data segment offset is not an i32.const");
        r.skipLeb();
        if (r.byte() !== 0x0b) throw new Error("memory snapshot: data segment offset is not a single i32.const");
        const length = r.u32(); // then the bytes (not `r.pos += r.u32()`: that adds to pos before the read)
        r.pos += length;
      }
      if (r.pos !== end) throw new Error("memory snapshot: data section not parsed to its end");
      sections.push(section(DATA_SECTION, concat([uleb128(segments.length), ...segments])));
    } else if (id === DATA_COUNT_SECTION) {
      sections.push(section(DATA_COUNT_SECTION, uleb128(segments.length)));
    } else {
      sections.push(bytes.subarray(start, end));
    }
    r.pos = end;
  }
  if (!sawMemory) throw new Error("memory snapshot: the module defines no memory");
  return concat(sections);
}

/** How many of the globals `bytes` defines are mutable (global section, id 6: type, mut, init expression). */
export function mutableGlobalCount(bytes: Uint8Array): number {
  const r = new WasmReader(bytes);
  while (r.pos < bytes.length) {
    const { id, end } = r.section();
    if (id === GLOBAL_SECTION) {
      let mutable = 0;
      for (let n = r.u32(); n > 0; n--) {
        r.byte(); // value type
        if (r.byte() === 1) mutable++;
        const op = r.byte();
        if (op === 0x41 || op === 0x42 || op === 0x23) r.skipLeb(); // i32/i64.const, global.get
        else if (op === 0x43) r.pos += 4; // f32.const
        else if (op === 0x44) r.pos += 8; // f64.const
        else throw new Error(`global initializer opcode 0x${op.toString(16)} not handled`);
        if (r.byte() !== 0x0b) throw new Error("global initializer is not a single constant");
      }
      return mutable;
    }
    r.pos = end;
  }
  return 0;
}

/** Active segments (flags 0, offset i32.const) holding the non-zero runs of `memory`. */
function dataSegments(memory: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < memory.length;) {
    if (memory[i] === 0) { i++; continue; }
    let j = i + 1, zeros = 0;
    while (j < memory.length && zeros < ZERO_GAP) { zeros = memory[j] === 0 ? zeros + 1 : 0; j++; }
    const data = memory.subarray(i, j - zeros);
    out.push(concat([Uint8Array.of(0, 0x41), sleb128(i), Uint8Array.of(0x0b), uleb128(data.length), data]));
    i = j;
  }
  return out;
}
