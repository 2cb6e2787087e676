// Reading and writing the WebAssembly binary format, for the build-time rewriters of iced-x86's
// module (keep-exports.ts, memory-snapshot.ts). WebAssembly Core Specification 5.2 (LEB128
// integers) and 5.5 (a module: magic and version, then sections of an id byte, a u32 size and
// the contents). The translator's encoder (src/translate/wasm.ts) writes into number arrays.

/** A read position in a module's bytes. */
export class WasmReader {
  constructor(readonly bytes: Uint8Array, public pos = 8 /* after magic and version */) {}

  /** unsigned LEB128 (up to 2^53 without loss) */
  u32(): number {
    let v = 0, shift = 0, b;
    do { b = this.bytes[this.pos++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  }

  /** skip a LEB128 integer of any width and sign */
  skipLeb(): void { while (this.bytes[this.pos++] & 0x80); }

  byte(): number { return this.bytes[this.pos++]; }

  /** The next section: its id, where it starts (at the id byte), where its contents start and end. Leaves `pos` at the contents. */
  section(): { id: number; start: number; end: number } {
    const start = this.pos;
    const id = this.byte();
    const size = this.u32();
    return { id, start, end: this.pos + size };
  }
}

export function uleb128(v: number): Uint8Array {
  const out: number[] = [];
  do { out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>>= 7; } while (v > 0);
  return Uint8Array.from(out);
}

/** signed LEB128 of an i32 (as i32.const reads it) */
export function sleb128(v: number): Uint8Array {
  v |= 0;
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); break; }
    out.push(b | 0x80);
  }
  return Uint8Array.from(out);
}

/** A section: id, size, contents. */
export function section(id: number, body: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(id), uleb128(body.length), body]);
}

export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
