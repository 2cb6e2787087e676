// src/decode/memory-snapshot.ts: a module rewritten to start with a memory snapshot must start
// with exactly those bytes and that size, and otherwise behave as the module it came from.
import { describe, it, expect } from "vitest";
import { withMemorySnapshot, mutableGlobalCount } from "../../src/decode/memory-snapshot.ts";

const section = (id: number, ...body: number[]) => [id, body.length, ...body];

/** A module: memory of 1 page, "abc" at 11 (an offset whose LEB128 is the `end` opcode's byte),
 * set(addr, byte) storing a byte, a mutable and a constant global; `start` adds a start section. */
function module(start = false): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, 1, 0x60, 2, 0x7f, 0x7f, 0), // type: (i32, i32) -> ()
    ...section(3, 1, 0), // function 0 of type 0
    ...section(5, 1, 0x00, 1), // memory: initial 1 page, no maximum
    ...section(6, 2, 0x7f, 1, 0x41, 5, 0x0b, 0x7e, 0, 0x42, 0, 0x0b), // globals: mut i32 = 5, i64 = 0
    ...section(7, 2, 3, 0x6d, 0x65, 0x6d, 2, 0, 3, 0x73, 0x65, 0x74, 0, 0), // exports: mem, set
    ...(start ? section(8, 0) : []),
    ...section(10, 1, 9, 0, 0x20, 0, 0x20, 1, 0x3a, 0, 0, 0x0b), // set: i32.store8 (local 0) (local 1)
    ...section(11, 1, 0, 0x41, 11, 0x0b, 3, 0x61, 0x62, 0x63), // data: "abc" at 11
  ]);
}

interface Exports { mem: WebAssembly.Memory; set(addr: number, v: number): void }
const instantiate = (bytes: Uint8Array<ArrayBuffer>) => new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;

describe("withMemorySnapshot", () => {
  it("starts the module with the snapshot's bytes and size", () => {
    const before = instantiate(module());
    before.set(40000, 7);
    before.mem.grow(1);
    before.set(70000, 9);
    before.set(12, 0); // "a\0c": a zero inside the old segment
    const snapshot = new Uint8Array(before.mem.buffer);
    const after = instantiate(withMemorySnapshot(module(), snapshot));
    expect(after.mem.buffer.byteLength).toBe(2 * 65536);
    expect(new Uint8Array(after.mem.buffer)).toEqual(snapshot);
    after.set(5, 1); // the code is unchanged
    expect(new Uint8Array(after.mem.buffer)[5]).toBe(1);
  });

  it("refuses a module with a start function, which would run again", () => {
    expect(() => withMemorySnapshot(module(true), new Uint8Array(65536))).toThrow(/start function/);
  });

  it("counts mutable globals", () => {
    expect(mutableGlobalCount(module())).toBe(1);
  });
});
