// iced-x86's decoder, bound directly to the package's WebAssembly module (iced_x86_bg.wasm). The
// package's own JavaScript (iced_x86.js: wasm-bindgen glue plus every enum as an object, 900 KB)
// cost every start ~25 ms of CPU and ~9 MiB of peak RSS just to load; the decoder needs a few
// dozen of its functions. Each method here is the package's glue for the same export (same
// arguments, same conversion of the result); test/decode/iced-wasm.test.ts checks every one
// against the package on random instructions. Enums: iced-enums.gen.ts. Everything else of
// iced-x86 (formatter, Code names) comes from the package, loaded when needed (iced.ts).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../core/core.ts";
import { ICED_EXPORTS } from "./iced-exports.ts";
import type * as Iced from "iced-x86";
import type { CpuidFeature, DecoderError, DecoderOptions, OpKind, Register } from "./iced-enums.gen.ts";

export { CpuidFeature, DecoderError, DecoderOptions, OpKind, Register } from "./iced-enums.gen.ts";

/** The exports of iced_x86_bg.wasm this module calls (names as wasm-bindgen generated them). */
interface IcedWasm {
  memory: WebAssembly.Memory;
  __wbindgen_add_to_stack_pointer(delta: number): number;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  [name: string]: unknown;
}

// wasm-bindgen's table of JavaScript objects handed to Wasm by index; the first 132 indices are
// reserved (128 stack slots, then undefined, null, true, false), as in the package's glue.
const heap: unknown[] = new Array(128).fill(undefined).concat([undefined, null, true, false]);
let heapNext = heap.length;

function addHeapObject(obj: unknown): number {
  if (heapNext === heap.length) heap.push(heap.length + 1);
  const idx = heapNext;
  heapNext = heap[idx] as number;
  heap[idx] = obj;
  return idx;
}

function takeObject(idx: number): unknown {
  const obj = heap[idx];
  if (idx >= 132) { heap[idx] = heapNext; heapNext = idx; }
  return obj;
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
/** iced's exports, once instantiate() has run */
let wasm: IcedWasm;
let bytes = new Uint8Array(0);
let i32 = new Int32Array(0);
let i64 = new BigInt64Array(0);

/** Views of iced's memory, renewed when it has grown (a grown memory detaches the old buffer). */
function views(): void {
  if (bytes.byteLength === 0 || bytes.buffer !== wasm.memory.buffer) {
    bytes = new Uint8Array(wasm.memory.buffer);
    i32 = new Int32Array(wasm.memory.buffer);
    i64 = new BigInt64Array(wasm.memory.buffer);
  }
}

function stringAt(ptr: number, len: number): string {
  views();
  return utf8.decode(bytes.subarray(ptr >>> 0, (ptr >>> 0) + len));
}

const unbound = (name: string) => () => {
  throw new Error(`iced-x86: ${name} called, which src/decode/iced-wasm.ts does not bind (use the package, src/decode/iced.ts)`);
};

// iced_x86_bg.wasm's imports (iced_x86.js, `module.exports.__wbg_*` / `__wbindgen_*`): errors are
// bound; the others serve only API this module does not expose.
const imports = {
  __wbindgen_placeholder__: {
    __wbindgen_object_drop_ref: (idx: number) => { takeObject(idx); },
    __wbg_new_3a66822ed076951c: (ptr: number, len: number) => addHeapObject(new Error(stringAt(ptr, len))),
    __wbindgen_throw: (ptr: number, len: number) => { throw new Error(stringAt(ptr, len)); },
    __wbg_new_34c624469fb1d4fd: unbound("Array result"),
    __wbg_push_906164999551d793: unbound("Array result"),
    __wbg_usedregister_new: unbound("UsedRegister"),
    __wbg_usedmemory_new: unbound("UsedMemory"),
    __wbg_instruction_new: unbound("Instruction array result"),
  },
};

/** build/iced-decoder.wasm: iced_x86_bg.wasm with only the exports bound here and its decoder tables
 * already built (scripts/build-iced.ts). */
function load(): IcedWasm {
  const file = path.join(packageRoot(), "build", "iced-decoder.wasm");
  if (!existsSync(file)) throw new Error(`xenolith: ${file} is missing; run \`npm run build\``);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  return instance.exports as unknown as IcedWasm;
}

type Exports = Record<keyof typeof ICED_EXPORTS, (...args: any[]) => any>;
let w: Exports;

/**
 * Instantiate iced's module when the first Instruction or Decoder is made (every other entry
 * point needs one of them), so that loading this file costs nothing: the CLI's PV and bench parts
 * are bundles of their own (package.json build:ts) that bring their own copy.
 */
function instantiate(): void {
  if (wasm) return;
  const loaded = load();
  w = Object.fromEntries(Object.entries(ICED_EXPORTS).map(([key, name]) => [key, loaded[name]])) as Exports;
  wasm = loaded;
}

/**
 * Call an export that returns its result through a 16-byte area on iced's shadow stack
 * (wasm-bindgen's `retptr`): `read` gets the area's address and returns the result.
 */
function viaRetptr<T>(call: (retptr: number) => void, read: (retptr: number) => T): T {
  const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
  try {
    call(retptr);
    views();
    return read(retptr);
  } finally {
    wasm.__wbindgen_add_to_stack_pointer(16);
  }
}

/** A `Result<u32, JsValue>` returned through retptr: the value, or the error thrown. */
function resultU32(retptr: number): number {
  if (i32[(retptr >> 2) + 2]) throw takeObject(i32[(retptr >> 2) + 1]);
  return i32[retptr >> 2];
}

export class Instruction {
  /** the Rust object's address in iced's memory */
  ptr: number;

  constructor(ptr?: number) {
    instantiate();
    this.ptr = ptr ?? (w.instruction_new() >>> 0);
  }

  free(): void { const p = this.ptr; this.ptr = 0; w.instruction_free(p); }

  get code(): Iced.Code { return w.code(this.ptr); }
  get length(): number { return w.length(this.ptr) >>> 0; }
  get isInvalid(): boolean { return w.isInvalid(this.ptr) !== 0; }
  get hasLockPrefix(): boolean { return w.hasLockPrefix(this.ptr) !== 0; }
  // iced: REPE and REP are the same prefix (F3)
  get hasRepePrefix(): boolean { return w.hasRepPrefix(this.ptr) !== 0; }
  get hasRepPrefix(): boolean { return w.hasRepPrefix(this.ptr) !== 0; }
  get hasRepnePrefix(): boolean { return w.hasRepnePrefix(this.ptr) !== 0; }
  get opCount(): number { return w.opCount(this.ptr) >>> 0; }
  opKind(operand: number): OpKind { return this.u32Result(w.opKind, operand); }
  opRegister(operand: number): Register { return this.u32Result(w.opRegister, operand); }
  /** An operand accessor returning `Result<u32, JsValue>` through retptr (no closure: per operand). */
  private u32Result(f: (retptr: number, ptr: number, operand: number) => void, operand: number): number {
    const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
    try {
      f(retptr, this.ptr, operand);
      views();
      return resultU32(retptr);
    } finally {
      wasm.__wbindgen_add_to_stack_pointer(16);
    }
  }
  get op0Kind(): OpKind { return w.op0Kind(this.ptr); }
  get op1Kind(): OpKind { return w.op1Kind(this.ptr); }
  get op1Register(): Register { return w.op1Register(this.ptr); }
  get memoryBase(): Register { return w.memoryBase(this.ptr); }
  get memoryIndex(): Register { return w.memoryIndex(this.ptr); }
  get memoryIndexScale(): number { return w.memoryIndexScale(this.ptr) >>> 0; }
  get memorySegment(): Register { return w.memorySegment(this.ptr); }
  get memoryDisplacement(): bigint { return w.memoryDisplacement(this.ptr); }
  // the package's glue reads nearBranch16 with the export shared by identical Rust functions
  get nearBranch16(): number { return w.farBranchSelector(this.ptr); }
  get nextIP16(): number { return w.nextIP16(this.ptr); }
  get nearBranch32(): number { return w.nearBranch32(this.ptr) >>> 0; }
  get nextIP32(): number { return w.nextIP32(this.ptr) >>> 0; }
  get farBranch16(): number { return w.farBranch16(this.ptr); }
  get farBranch32(): number { return w.farBranch32(this.ptr) >>> 0; }
  get farBranchSelector(): number { return w.farBranchSelector(this.ptr); }
  /** Immediate operand `operand` (a `Result<u64, JsValue>`: 8 bytes of value, then error index, flag). */
  immediate(operand: number): bigint {
    return viaRetptr((r) => w.immediate(r, this.ptr, operand), (r) => {
      if (i32[(r >> 2) + 3]) throw takeObject(i32[(r >> 2) + 2]);
      return BigInt.asUintN(64, i64[r >> 3]);
    });
  }
  get immediate8_2nd(): number { return w.immediate8_2nd(this.ptr); }
  get conditionCode(): number { return w.conditionCode(this.ptr); }
  /** The CPUID features the instruction needs (a Vec<i32> handed over and freed here). */
  cpuidFeatures(): Int32Array {
    return viaRetptr((r) => w.cpuidFeatures(r, this.ptr), (r) => {
      const ptr = i32[r >> 2], len = i32[(r >> 2) + 1];
      const out = i32.slice(ptr >> 2, (ptr >> 2) + len);
      wasm.__wbindgen_free(ptr, len * 4, 4);
      return out;
    });
  }
  toString(): string {
    const [ptr, len] = viaRetptr((r) => w.toString(r, this.ptr), (r) => [i32[r >> 2], i32[(r >> 2) + 1]]);
    try {
      return stringAt(ptr, len);
    } finally {
      wasm.__wbindgen_free(ptr, len, 1);
    }
  }
}

export class ConstantOffsets {
  constructor(public ptr: number) {}
  free(): void { const p = this.ptr; this.ptr = 0; w.co_free(p); }
  get displacementOffset(): number { return w.co_displacementOffset(this.ptr) >>> 0; }
  get displacementSize(): number { return w.co_displacementSize(this.ptr) >>> 0; }
  get immediateOffset(): number { return w.co_immediateOffset(this.ptr) >>> 0; }
  get immediateSize(): number { return w.co_immediateSize(this.ptr) >>> 0; }
  get hasDisplacement(): boolean { return w.co_hasDisplacement(this.ptr) !== 0; }
  get hasImmediate(): boolean { return w.co_hasImmediate(this.ptr) !== 0; }
}

export class Decoder {
  ptr: number;

  /** Decode `data` (copied into iced's memory) as `bitness`-bit code. */
  constructor(bitness: number, data: Uint8Array, options: DecoderOptions) {
    instantiate();
    const ptr = wasm.__wbindgen_malloc(data.length, 1) >>> 0;
    views();
    bytes.set(data, ptr);
    this.ptr = viaRetptr((r) => w.decoder_new(r, bitness, ptr, data.length, options), resultU32) >>> 0;
  }

  free(): void { const p = this.ptr; this.ptr = 0; w.decoder_free(p); }

  set ip(ip: bigint) { w.decoder_set_ip(this.ptr, ip); }
  get position(): number { return w.decoder_position(this.ptr) >>> 0; }
  get canDecode(): boolean { return w.decoder_canDecode(this.ptr) !== 0; }
  get lastError(): DecoderError { return w.decoder_lastError(this.ptr); }
  decode(): Instruction { return new Instruction(w.decoder_decode(this.ptr) >>> 0); }
  decodeOut(instruction: Instruction): void { w.decoder_decodeOut(this.ptr, instruction.ptr); }
  getConstantOffsets(instruction: Instruction): ConstantOffsets {
    return new ConstantOffsets(w.decoder_getConstantOffsets(this.ptr, instruction.ptr) >>> 0);
  }
}
