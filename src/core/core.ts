// Loading the Wasm core (build/core.wasm, compiled from assembly/ by `npm run build:core`) into
// one fixed-size memory shared with the host. Typed views over that memory never detach: the
// memory is created at its final size and never grown.
//
// The memory is a shared one (asconfig.json sharedMemory; nothing else of the threads proposal
// is used, and its buffer is a SharedArrayBuffer, which views read and write as an ArrayBuffer).
// V8 counts a non-shared memory as external memory of the JavaScript heap, and the core's —
// RAM_BASE (36 MiB of tables, most sized for 1 GiB of RAM) plus the guest RAM, 68 MiB by
// default — is above V8's 64 MiB limit for that (kExternalAllocationSoftLimit), so making it
// started a full garbage collection: 41 M of the 230 M host instructions of an empty kernel's
// run. A shared memory is not counted (V8's BackingStore::PerIsolateAccountingLength).
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { L } from "./layout.gen.ts";

export interface CoreExports {
  run(): number;
  interrupt(vector: number): void;
  tlbFlush(keepGlobal: number): void;
  tlbInvalidatePage(lpn: number): void;
  tlbClearNoCode(mpn: number): void;
  refreshAccessRights(): void;
  translate(lin: number, acc: number): number;
  getEflags(): number;
  withDerivedAttr(attr: number, isNull: number): number;
  /** for translated code: JIT_SEG_BOUND of the changed segment registers in a mask (priv/segment.ts) */
  jitSegRefresh(mask: number): void;
  setEflags(v: number): void;
  /** for translated code (src/translate): one record as the run loop executes it */
  stepRecord(rec: number): number;
  /** for translated code: the rest of a block through stepRecord (assembly/exec/translated.ts) */
  jitStepRest(from: number, to: number): number;
  jitGetCF(): number;
  jitTestCC(cc: number): number;
  jitEflags(): number;
  jitFlattenFlags(): void;
  /** for translated code: a store into a page that holds decoded code (assembly/exec/translated.ts) */
  jitCodeStore(ma: number, v: number, size: number): number;
  /** for translated code: records run one after the other (assembly/exec/translated.ts) */
  jitStepRun(from: number, to: number): number;
  /** for translated code whose block ended in the core: the run loop's next block (exec/run.ts) */
  jitNextBlock(block: number, records: number): number;
  /** INS: the value the port gave (IO_STRING = 1) */
  finishStringIn(v: number): void;
}

/** The package root: the folder holding package.json above this file (works from src/ and dist/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("xenolith: cannot find the package root");
    dir = up;
  }
  return dir;
}

let cachedModule: WebAssembly.Module | undefined;

function coreModule(): WebAssembly.Module {
  if (cachedModule) return cachedModule;
  const file = path.join(packageRoot(), "build", "core.wasm");
  if (!existsSync(file)) throw new Error(`xenolith: ${file} is missing; run \`npm run build\``);
  cachedModule = new WebAssembly.Module(readFileSync(file));
  return cachedModule;
}

/**
 * Slots of the core's imported table: its own indirect functions (a few) fill the first ones;
 * translations are appended after them (table.grow). Instantiation fails if the core needs more.
 */
const CORE_TABLE_SLOTS = 64;

export interface Core {
  memory: WebAssembly.Memory;
  /** the function table the core imports: run() calls translated blocks through it */
  table: WebAssembly.Table;
  exports: CoreExports;
  u8: Uint8Array;
  u16: Uint16Array;
  u32: Uint32Array;
  dv: DataView;
}

/** Instantiate a core whose guest RAM is `ramBytes` (a multiple of 4 KiB, at most 1 GiB). */
export function instantiateCore(ramBytes: number): Core {
  if (ramBytes <= 0 || ramBytes % 4096 !== 0 || ramBytes > 1 << 30) {
    throw new Error(`RAM size must be a positive multiple of 4 KiB up to 1 GiB (got ${ramBytes})`);
  }
  const pages = Math.ceil((L.RAM_BASE + ramBytes) / 65536);
  // shared: not counted as external memory by V8 (see the top of this file)
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const module = coreModule();
  const tableImport = WebAssembly.Module.imports(module).find((i) => i.name === "table");
  if (!tableImport) throw new Error("core.wasm imports no function table; rebuild with `npm run build`");
  // the core's own indirect functions fill the first slots; translations are appended after them
  const table = new WebAssembly.Table({ element: "anyfunc", initial: CORE_TABLE_SLOTS });
  const instance = new WebAssembly.Instance(module, { env: { memory, table } });
  const heapBase = (instance.exports.__heap_base as WebAssembly.Global | undefined)?.value as number | undefined;
  if (heapBase !== undefined && heapBase > L.STATE_BASE) throw new Error("core static data overlaps the state region");
  const buf = memory.buffer;
  return {
    memory,
    table,
    exports: instance.exports as unknown as CoreExports,
    u8: new Uint8Array(buf),
    u16: new Uint16Array(buf),
    u32: new Uint32Array(buf),
    dv: new DataView(buf),
  };
}
