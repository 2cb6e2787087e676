// The translation tier's host side: takes the blocks the core queued as hot (or every block as it
// is decoded, with threshold 0), compiles the region each heads (region.ts) in batches into one
// Wasm module each, and installs every function in the core's function table, where run() calls
// it for the head block (assembly/exec/run.ts).
//
// Invalidation needs nothing here: a translation belongs to its head's block header, and run() only
// reaches a block whose page generation still matches (a store into the page bumps it, and the
// page is decoded again into a new header, which starts cold); the other blocks of a region are on
// the head's page, live when the head is, and the translation checks the page generation again
// after any record it ran in the core. When the table is full, every
// translation is dropped and hot blocks are translated again.
import { L } from "../core/layout.gen.ts";
import type { Core } from "../core/core.ts";
import { ModuleBuilder, I32 } from "./wasm.ts";
import { selectRegion, untranslatable } from "./region.ts";
import { translateRegion, type CoreImports } from "./codegen.ts";

// assembly/exec/run.ts
const JIT_COMPILED = 0x80000000;
const JIT_QUEUED = 0x7ffffffe;
const JIT_NEVER = 0x7fffffff;
export const JIT_OFF = 0xffffffff;

/** translations kept before the table is recycled */
const MAX_TRANSLATIONS = 1 << 15;
/**
 * Modules kept before the table is recycled. Every module holds a V8 code space of its own that is
 * freed only when nothing references the module: with small batches (threshold 0, code that is
 * rewritten all the time) thousands of live modules exhaust it and V8 aborts the process.
 */
const MAX_MODULES = 256;

export interface TranslatorStats {
  modules: number;
  blocks: number;
  /** blocks left to the interpreter (untranslatable, or nothing to inline) */
  refused: number;
  inlined: number;
  stepped: number;
  /** translations that go from block to block (or round one block) without returning */
  loops: number;
  /** blocks in all regions translated (each head counts in `blocks`) */
  regionBlocks: number;
  resets: number;
}

export class Translator {
  private readonly firstSlot: number;
  private nextSlot: number;
  /** modules whose functions are in the table now */
  private liveModules = 0;
  readonly stats: TranslatorStats = { modules: 0, blocks: 0, refused: 0, inlined: 0, stepped: 0, loops: 0, regionBlocks: 0, resets: 0 };

  /** `threshold`: block entries before a block is translated (0: before it first runs). */
  constructor(private readonly core: Core, readonly threshold: number) {
    if (!Number.isInteger(threshold) || threshold < 0 || threshold >= JIT_QUEUED) throw new RangeError(`bad translation threshold ${threshold}`);
    this.firstSlot = core.table.length;
    this.nextSlot = this.firstSlot;
    core.u32[L.S_JIT_THRESHOLD >> 2] = threshold;
  }

  private jitEntry(index: number): number { return (L.BLOCK_JIT_BASE >> 2) + index; }

  /** run() returned: translate the blocks it queued, in one module. */
  serveQueue(): void {
    const { u32 } = this.core;
    const n = u32[L.S_JIT_QUEUE_COUNT >> 2];
    if (n === 0) return;
    u32[L.S_JIT_QUEUE_COUNT >> 2] = 0;
    const queued = Array.from(u32.subarray(L.JIT_QUEUE_BASE >> 2, (L.JIT_QUEUE_BASE >> 2) + n));
    this.translate(queued.filter((i) => u32[this.jitEntry(i)] === JIT_QUEUED));
  }

  /** The host just decoded block `index`: with threshold 0 it is translated before it runs. */
  blockDecoded(index: number): void {
    if (this.threshold === 0) this.translate([index]);
  }

  /** Compile `indices` into one module and install each translation. */
  translate(indices: number[]): void {
    const { core } = this;
    const u32 = core.u32;
    const mb = new ModuleBuilder();
    const imports: CoreImports = {
      stepRecord: mb.importFunction("core", "stepRecord", [I32], [I32]),
      stepRest: mb.importFunction("core", "jitStepRest", [I32, I32], [I32]),
      getCF: mb.importFunction("core", "jitGetCF", [], [I32]),
      testCC: mb.importFunction("core", "jitTestCC", [I32], [I32]),
      eflags: mb.importFunction("core", "jitEflags", [], [I32]),
      flatten: mb.importFunction("core", "jitFlattenFlags", [], []),
      codeStore: mb.importFunction("core", "jitCodeStore", [I32, I32, I32], [I32]),
      stepRun: mb.importFunction("core", "jitStepRun", [I32, I32], [I32]),
      nextBlock: mb.importFunction("core", "jitNextBlock", [I32, I32], [I32]),
      segRefresh: mb.importFunction("core", "jitSegRefresh", [I32], []),
    };
    mb.importMemory("core", "memory", core.memory.buffer.byteLength >>> 16);
    const done: number[] = [];
    for (const index of indices) {
      if (untranslatable(core, index) !== null) { u32[this.jitEntry(index)] = JIT_NEVER; this.stats.refused++; continue; }
      const region = selectRegion(core, index);
      const t = translateRegion(region, imports, u32[(L.PAGE_PATCH_BASE >> 2) + (region[0].phys >>> 12)]);
      // at a positive threshold a block with nothing inlined, or a head with too little to do
      // before it returns (codegen.ts headGains), gains nothing from translation
      if ((t.inlined === 0 || !t.headGains) && this.threshold > 0) { u32[this.jitEntry(index)] = JIT_NEVER; this.stats.refused++; continue; }
      mb.addFunction(t.body, `b${index}`);
      done.push(index);
      this.stats.inlined += t.inlined;
      this.stats.stepped += t.stepped;
      if (t.loops) this.stats.loops++;
      this.stats.regionBlocks += region.length;
    }
    if (done.length === 0) return;
    const bytes = mb.encode() as Uint8Array<ArrayBuffer>;
    this.onModule?.(bytes);
    const module = new WebAssembly.Module(bytes);
    const e = core.exports;
    const instance = new WebAssembly.Instance(module, {
      core: { stepRecord: e.stepRecord, jitStepRest: e.jitStepRest, jitGetCF: e.jitGetCF, jitTestCC: e.jitTestCC, jitEflags: e.jitEflags, jitFlattenFlags: e.jitFlattenFlags, jitCodeStore: e.jitCodeStore, jitStepRun: e.jitStepRun, jitNextBlock: e.jitNextBlock, jitSegRefresh: e.jitSegRefresh, memory: core.memory },
    });
    this.stats.modules++;
    if (this.nextSlot - this.firstSlot + done.length > MAX_TRANSLATIONS || this.liveModules >= MAX_MODULES) this.reset();
    this.liveModules++;
    const table = core.table;
    if (this.nextSlot + done.length > table.length) table.grow(Math.max(done.length, table.length >> 1, 64));
    for (const index of done) {
      const slot = this.nextSlot++;
      table.set(slot, instance.exports[`b${index}`] as (...args: unknown[]) => unknown);
      u32[this.jitEntry(index)] = (JIT_COMPILED | slot) >>> 0;
      this.stats.blocks++;
    }
  }

  /** Drop every translation (blocks become cold) and reuse the table from its first slot. */
  private reset(): void {
    const { u32 } = this.core;
    const base = L.BLOCK_JIT_BASE >> 2;
    for (let i = 0; i < L.BLOCK_JIT_SIZE >> 2; i++) if (u32[base + i] & JIT_COMPILED) u32[base + i] = 0;
    // unreference the old functions so their modules (and V8 code space) can be collected
    const table = this.core.table;
    for (let slot = this.firstSlot; slot < this.nextSlot; slot++) table.set(slot, null);
    this.nextSlot = this.firstSlot;
    this.liveModules = 0;
    this.stats.resets++;
  }

  /** Called with every module's bytes before it is compiled (for inspecting generated code). */
  onModule?: (bytes: Uint8Array) => void;

  /** Leave the tier: blocks run in the interpreter from now on. */
  disable(): void {
    this.core.u32[L.S_JIT_THRESHOLD >> 2] = JIT_OFF;
  }
}
