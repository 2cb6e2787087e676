// A machine: one core (CPU + RAM) plus the host-side pieces that serve its exits: the block
// decoder, the I/O port bus. `run()` drives the core until something the caller must see happens.
import { L } from "./layout.gen.ts";
import { instantiateCore, type Core } from "./core.ts";
import { BlockDecoder } from "../decode/decoder.ts";
import { EXIT_REASONS } from "./layout-table.ts";
import { Translator, JIT_OFF } from "../translate/translator.ts";

export type ExitName = (typeof EXIT_REASONS)[number];

/** A device on the I/O port bus. */
export interface PortDevice {
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
}

export type Engine = "interp" | "jit";

export interface MachineOptions {
  /** guest RAM in bytes (default 32 MiB) */
  ramBytes?: number;
  /**
   * interp: the interpreter only; jit: hot blocks translated to Wasm (src/translate). Default:
   * $XENOLITH_ENGINE, else jit (the faster; both agree on every result and count — test/translate,
   * and the 1M differential test with translation forced).
   */
  engine?: Engine;
  /** jit: block entries before translation, 0 = translate every block before it runs
   * (default: $XENOLITH_JIT_THRESHOLD, else DEFAULT_JIT_THRESHOLD) */
  jitThreshold?: number;
}

export const DEFAULT_JIT_THRESHOLD = 50;

/** instructions per core run() call (see Machine.run) */
const SLICE = 1n << 20n;

const GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export type GprName = (typeof GPR)[number];

export class Machine {
  readonly core: Core;
  readonly decoder: BlockDecoder;
  private readonly ports = new Map<number, PortDevice>();
  /** called for an exit the machine does not serve itself; return true to keep running */
  ramBytes: number;

  constructor(opts: MachineOptions = {}) {
    this.ramBytes = opts.ramBytes ?? 32 << 20;
    this.core = instantiateCore(this.ramBytes);
    this.decoder = new BlockDecoder(this.core);
    this.u32[L.S_RAM_SIZE >> 2] = this.ramBytes;
    this.u32[L.S_CUR_BLOCK_PAGE2 >> 2] = 0xffffffff;
    const env = typeof process !== "undefined" ? process.env : {};
    const engine = opts.engine ?? (env.XENOLITH_ENGINE as Engine | undefined) ?? "jit";
    const threshold = opts.jitThreshold ?? (env.XENOLITH_JIT_THRESHOLD !== undefined ? Number(env.XENOLITH_JIT_THRESHOLD) : DEFAULT_JIT_THRESHOLD);
    this.useEngine(engine, threshold);
  }

  /** the translation tier, when the engine is jit */
  translator?: Translator;

  get engine(): Engine { return this.translator ? "jit" : "interp"; }

  /** Select the engine (may be changed between runs). */
  useEngine(engine: Engine, jitThreshold = DEFAULT_JIT_THRESHOLD): void {
    if (engine !== "interp" && engine !== "jit") throw new Error(`unknown engine ${engine} (interp or jit)`);
    this.translator?.disable();
    this.translator = undefined;
    this.u32[L.S_JIT_THRESHOLD >> 2] = JIT_OFF;
    if (engine === "jit") this.translator = new Translator(this.core, jitThreshold);
  }

  get u8(): Uint8Array { return this.core.u8; }
  get u32(): Uint32Array { return this.core.u32; }

  // ---- state ----
  reg(name: GprName): number { return this.u32[(L.S_GPR >> 2) + GPR.indexOf(name)]; }
  setReg(name: GprName, v: number): void { this.u32[(L.S_GPR >> 2) + GPR.indexOf(name)] = v >>> 0; }
  get eip(): number { return this.u32[L.S_EIP >> 2]; }
  set eip(v: number) { this.u32[L.S_EIP >> 2] = v >>> 0; }
  get eflags(): number { return this.core.exports.getEflags() >>> 0; }
  set eflags(v: number) { this.core.exports.setEflags(v); }
  field(offset: number): number { return this.u32[offset >> 2]; }
  setField(offset: number, v: number): void { this.u32[offset >> 2] = v >>> 0; }
  u64Field(offset: number): bigint { return this.core.dv.getBigUint64(offset, true); }
  get instructions(): bigint { return this.u64Field(L.S_INSNS); }

  /** Copy bytes into guest machine memory. */
  writePhys(ma: number, data: Uint8Array): void {
    if (ma < 0 || ma + data.length > this.ramBytes) throw new RangeError(`${data.length} bytes at machine address 0x${ma.toString(16)} do not fit in RAM`);
    this.u8.set(data, L.RAM_BASE + ma);
    // host writes bypass the core's store path: drop decoded code from those pages
    for (let p = ma >>> 12; p <= (ma + data.length - 1) >>> 12; p++) this.invalidateCode(p);
  }
  readPhys(ma: number, len: number): Uint8Array {
    return this.u8.slice(L.RAM_BASE + ma, L.RAM_BASE + ma + len);
  }
  invalidateCode(mpn: number): void {
    if (this.u8[L.CODE_PAGE_BASE + mpn]) {
      this.u8[L.CODE_PAGE_BASE + mpn] = 0;
      const map = L.CODE_MAP_BASE + mpn * L.CODE_MAP_BYTES_PER_PAGE;
      this.u8.fill(0, map, map + L.CODE_MAP_BYTES_PER_PAGE);
      this.u32[(L.PAGE_GEN_BASE >> 2) + mpn]++;
      this.u32[L.S_PATCH_MEMO_MA >> 2] = 0; // assembly/mmu/patch.ts: the remembered store may have hit it
    }
  }

  /** Load a segment register's selector and hidden part directly (for boot state and tests). */
  setSegment(sreg: number, selector: number, base: number, limit: number, attr: number): void {
    this.u32[(L.S_SEG_SEL >> 2) + sreg] = selector;
    this.u32[(L.S_SEG_BASE >> 2) + sreg] = base >>> 0;
    this.u32[(L.S_SEG_LIMIT >> 2) + sreg] = limit >>> 0;
    this.u32[(L.S_SEG_ATTR >> 2) + sreg] = this.core.exports.withDerivedAttr(attr, (selector & 0xfffc) === 0 && sreg !== 1 ? 1 : 0) >>> 0;
    this.u32[L.S_JIT_SEG_DIRTY >> 2] |= 1 << sreg; // translations recompute JIT_SEG_BOUND
    if (sreg === 1) this.refreshMode();
  }

  setCpl(cpl: number): void {
    this.u32[L.S_CPL >> 2] = cpl;
    this.refreshMode();
  }

  /** Recompute MODE and cached access rights after the host changed CS or CPL. */
  refreshMode(): void {
    const csAttr = this.u32[(L.S_SEG_ATTR >> 2) + 1];
    const d32 = (csAttr >> 14) & 1;
    const cpl = this.u32[L.S_CPL >> 2];
    this.u32[L.S_MODE >> 2] = (this.u32[L.S_MODE >> 2] & ~7) | d32 | (cpl << 1);
    this.core.exports.refreshAccessRights();
  }

  attachPorts(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) this.ports.set(p, dev);
  }

  /** Serve a port I/O exit: unclaimed ports read as all ones and ignore writes. */
  private serveIo(): void {
    const port = this.field(L.S_IO_PORT), size = this.field(L.S_IO_SIZE);
    const dev = this.ports.get(port);
    if (this.field(L.S_IO_DIR) === 1) {
      dev?.write(port, size, this.field(L.S_IO_VALUE));
    } else {
      const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      const v = (dev ? dev.read(port, size) : 0xffffffff) & mask;
      if (this.field(L.S_IO_STRING)) { this.core.exports.finishStringIn(v); return; } // INS
      const eax = this.reg("eax");
      this.setReg("eax", size === 4 ? v : ((eax & ~mask) | v) >>> 0);
    }
  }

  /**
   * Run until `maxInsns` more instructions have retired or an exit the machine does not serve
   * itself (decode misses and port I/O are served here). Returns that exit's name.
   */
  run(maxInsns: bigint = 1n << 62n): ExitName {
    const end = this.instructions + maxInsns;
    for (;;) {
      // Time slices: V8 runs a Wasm function in its baseline tier until the function is entered
      // again, so the core's run() must return now and then for its optimized code to be used.
      const now = this.instructions;
      if (now >= end) return "BUDGET";
      const sliceEnd = end - now > SLICE ? now + SLICE : end;
      this.core.dv.setBigUint64(L.S_BUDGET_END, sliceEnd, true);
      const reason = EXIT_REASONS[this.core.exports.run()];
      // hot blocks queued during the run are translated before the queue's indices can go stale
      this.translator?.serveQueue();
      switch (reason) {
        case "BUDGET":
          continue;
        case "DECODE_MISS":
          // the new block is always BLOCK_NEXT - 1 (also after a flush)
          if (this.decoder.decodeMiss()) this.translator?.blockDecoded(this.field(L.S_BLOCK_NEXT) - 1);
          continue;
        case "IO":
          this.serveIo();
          if (this.stopRequested) { this.stopRequested = false; return "SHUTDOWN"; }
          continue;
        default:
          return reason;
      }
    }
  }

  /**
   * After an INTERRUPT exit: deliver external interrupt `vector` (what the interrupt controller
   * acknowledged) in the core. Whatever that causes (a triple fault's SHUTDOWN, ...) is the
   * next run()'s exit.
   */
  raiseInterrupt(vector: number): void {
    this.core.exports.interrupt(vector & 0xff);
  }

  /** A device asks the run to stop after the current exit (e.g. the exit port). */
  stopRequested = false;
}

