// A WebAssembly binary with its export section cut down to the names given, everything else
// byte for byte the same. V8 builds a function object for every export when it instantiates a
// module: iced-x86's 762 exports cost ~7 ms of CPU on every start, for the ~45 the decoder binds
// (scripts/build-iced.ts). Binary format: WebAssembly Core Specification 5.5 (sections: id byte,
// u32 LEB128 size, contents; the export section, id 7, is a vector of name, kind byte, index).

import { WasmReader, uleb128, section, concat } from "./wasm-binary.ts";

const EXPORT_SECTION = 7;

/**
 * The module `bytes` exporting only the names in `keep` (which must all be exported). Rewrites
 * `bytes` in place and returns the shortened view of it: no second copy of a large module.
 */
export function keepExports<T extends Uint8Array>(bytes: T, keep: ReadonlySet<string>): T {
  const r = new WasmReader(bytes);
  const utf8 = new TextDecoder();
  while (r.pos < bytes.length) {
    const { id, start, end } = r.section();
    if (id === EXPORT_SECTION) {
      const kept: Uint8Array[] = [];
      const found = new Set<string>();
      for (let n = r.u32(); n > 0; n--) {
        const entry = r.pos;
        const len = r.u32();
        const name = utf8.decode(bytes.subarray(r.pos, r.pos + len));
        r.pos += len + 1; // name, kind
        r.u32(); // index
        if (keep.has(name)) { kept.push(bytes.subarray(entry, r.pos)); found.add(name); }
      }
      const missing = [...keep].filter((k) => !found.has(k));
      if (missing.length > 0) throw new Error(`Wasm module exports no ${missing.join(", ")}`);
      const replaced = section(EXPORT_SECTION, concat([uleb128(kept.length), ...kept]));
      bytes.set(replaced, start); // never longer than the section it replaces
      bytes.copyWithin(start + replaced.length, end);
      return bytes.subarray(0, bytes.length - (end - start - replaced.length)) as T;
    }
    r.pos = end;
  }
  throw new Error("Wasm module has no export section");
}
