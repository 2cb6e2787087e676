// A WebAssembly binary with its export section cut down to the names given, everything else
// byte for byte the same. V8 builds a function object for every export when it instantiates a
// module: iced-x86's 762 exports cost ~7 ms of CPU on every start, for the ~45 the decoder binds
// (scripts/build-iced.ts). Binary format: WebAssembly Core Specification 5.5 (sections: id byte,
// u32 LEB128 size, contents; the export section, id 7, is a vector of name, kind byte, index).

const EXPORT_SECTION = 7;

/**
 * The module `bytes` exporting only the names in `keep` (which must all be exported). Rewrites
 * `bytes` in place and returns the shortened view of it: no second copy of a large module.
 */
export function keepExports<T extends Uint8Array>(bytes: T, keep: ReadonlySet<string>): T {
  let pos = 8; // magic and version
  const u32 = (): number => {
    let v = 0, shift = 0, b;
    do { b = bytes[pos++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return v >>> 0;
  };
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const size = u32();
    const end = pos + size;
    if (id === EXPORT_SECTION) {
      const kept: Uint8Array[] = [];
      const found = new Set<string>();
      for (let n = u32(); n > 0; n--) {
        const entry = pos;
        const len = u32();
        const name = new TextDecoder().decode(bytes.subarray(pos, pos + len));
        pos += len + 1; // name, kind
        u32(); // index
        if (keep.has(name)) { kept.push(bytes.subarray(entry, pos)); found.add(name); }
      }
      const missing = [...keep].filter((k) => !found.has(k));
      if (missing.length > 0) throw new Error(`Wasm module exports no ${missing.join(", ")}`);
      const body = concat([leb128(kept.length), ...kept]);
      const section = concat([Uint8Array.of(EXPORT_SECTION), leb128(body.length), body]);
      bytes.set(section, start); // never longer than the section it replaces
      bytes.copyWithin(start + section.length, end);
      return bytes.subarray(0, bytes.length - (end - start - section.length)) as T;
    }
    pos = end;
  }
  throw new Error("Wasm module has no export section");
}

function leb128(v: number): Uint8Array {
  const out: number[] = [];
  do { out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>>= 7; } while (v > 0);
  return Uint8Array.from(out);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
