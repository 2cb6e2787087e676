// Memory access emission for translations (codegen.ts): effective addresses, the inline fast path
// of assembly/mmu/access.ts (segment attribute + limit, TLB entry with the rights of the region's
// CPL, no page crossing, counting TLB hits), and the stack accesses of PUSH/POP/CALL/RET.
//
// Segment checks are hoisted: for each segment and access kind JIT_SEG_BOUND holds the bound an
// offset must stay below, so an access compares its offset with one word of memory and adds
// SEG_BASE. The core marks a segment register in JIT_SEG_DIRTY whenever its limit or attributes
// change; a translation asks the core to recompute the bounds of the segments it uses that are
// marked (assembly/priv/segment.ts jitSegRefresh) at its entry and after records run in the core
// (refresh(): one load and test when none changed). (In memory, not in locals: V8 sinks a local's
// pure computation into the loop that uses it, and the function already has more live locals
// than the host has registers; measured with valgrind on the call/ret loop: 276 → 233 host
// instructions per iteration.)
//
// Every check branches to the caller's $slow label when it fails; the caller then runs the whole
// record in the core's stepRecord, so faults (#GP/#SS on limits, #PF with its CR2 and error code,
// #AC) and stores into code pages behave exactly as in the interpreter.
import { L } from "../core/layout.gen.ts";
import { FunctionBody, Op } from "./wasm.ts";
import type { RecordInfo } from "./region.ts";

// assembly/mmu/tlb.ts
export const TLB_VALID = 1, TLB_USER = 2, TLB_WRITE_SUP = 4, TLB_WRITE_USER = 8, TLB_NOCODE = 16, TLB_NX = 64;
// assembly/exec/operand.ts
const NO_REG = 8;
const SR_SS = 2, R_ESP = 4;

/** The locals of the function that memory accesses use. */
export interface MemLocals {
  /** the eight general registers */
  g: number[];
  /** scratch: t[0] value, t[1] offset, t[2] limit / TLB entry / machine address, t[3] linear */
  t: number[];
  /** TLB hits counted since the last flush to S_TLB_HITS */
  hits: number;
}

/** One kind of access to a segment (its JIT_SEG_BOUND word). */
interface SegUse {
  seg: number;
  write: boolean;
  /** a stack access: also a 32-bit stack (D/B), as stack-ops.ts's fast paths */
  stack: boolean;
}

/** Address of the JIT_SEG_BOUND word of `u` (priv/segment.ts refreshSegBounds). */
function boundAddr(u: SegUse): number {
  return L.S_JIT_SEG_BOUND + 4 * (4 * u.seg + (u.write ? 1 : 0) + (u.stack ? 2 : 0));
}

export class MemEmitter {
  /** TLB rights a read / write at the region's CPL needs (mmu/tlb.ts refreshAccessRights) */
  readonly readNeed: number;
  readonly writeNeed: number;

  /**
   * `user`: the region runs at CPL 3; `patched`: its page has had constants patched, so IMM and
   * DISP are read from the records at run time; `segs`: the segment registers its inlined records
   * access, a mask (segOf).
   */
  constructor(private readonly f: FunctionBody, private readonly l: MemLocals, private readonly user: boolean, private readonly patched: boolean, private readonly segs: number) {
    this.readNeed = TLB_VALID | (user ? TLB_USER : 0);
    this.writeNeed = TLB_VALID | TLB_NOCODE | (user ? TLB_USER | TLB_WRITE_USER : TLB_WRITE_SUP);
  }

  /** The segment register an inlined record of kind `k` (codegen.ts Plan) on operand segment `seg` accesses, if any. */
  static segOf(k: string, seg: number): number | undefined {
    switch (k) {
      case "load": case "store": case "storeImm": case "aluRM": case "aluMR": case "aluMI": return seg;
      case "pushR": case "pushI": case "popR": case "call": case "ret": return SR_SS;
      default: return undefined;
    }
  }

  /**
   * Make JIT_SEG_BOUND current for the segments the region uses: when any of them is in
   * JIT_SEG_DIRTY, the core recomputes it (`jitSegRefresh`, the index of that import). Emitted
   * where no local lives yet: at the entry, and before the locals are reloaded after a call.
   */
  refresh(jitSegRefresh: number): void {
    if (this.segs === 0) return;
    this.f.load32At(L.S_JIT_SEG_DIRTY).i32(this.segs).op(Op.i32_and).if().i32(this.segs).call(jitSegRefresh).end();
  }

  /** push the record's immediate: a constant, or read from the record on a patched page */
  imm(r: RecordInfo): void {
    if (this.patched) this.f.i32(0).mem(Op.i32_load, r.addr + L.REC_IMM, 2); else this.f.i32(r.imm);
  }
  /** push the record's displacement (as imm) */
  private disp(r: RecordInfo): void {
    if (this.patched) this.f.i32(0).mem(Op.i32_load, r.addr + L.REC_DISP, 2); else this.f.i32(r.disp);
  }

  /** push the effective address of the memory operand (32-bit addressing) */
  ea(r: RecordInfo): void {
    const { f } = this;
    this.disp(r);
    if (r.base < NO_REG) f.get(this.l.g[r.base]).op(Op.i32_add);
    if (r.index < NO_REG) {
      f.get(this.l.g[r.index]);
      if (r.scale) f.i32(r.scale).op(Op.i32_shl);
      f.op(Op.i32_add);
    }
  }

  /**
   * Checks for a 4-byte access to seg:off (off in local t[1]); on success local t[2] holds the
   * machine address. Branches out to $slow (depth `slowDepth`) on failure.
   * segRead/segWrite: off below the segment's bound (JIT_SEG_BOUND); then the TLB entry with the
   * rights `need`, no page crossing, and at CPL 3 alignment. With `code`, a write to a page that
   * holds decoded code passes too (the entry lacks TLB_NOCODE), and t[1] is left 0 for those, else
   * TLB_NOCODE.
   */
  checkAccess(seg: number, write: boolean, slowDepth: number, stack = false, code = false): void {
    const { f } = this;
    const t = this.l.t;
    const bound = boundAddr({ seg, write, stack });
    if (!(this.segs & (1 << seg))) throw new Error(`translation: access to segment ${seg} not in the region's mask`);
    f.get(t[1]).load32At(bound).op(Op.i32_ge_u).brIf(slowDepth);
    // lin
    f.load32At(L.S_SEG_BASE + 4 * seg).get(t[1]).op(Op.i32_add).set(t[3]);
    f.get(t[3]).i32(0xfff).op(Op.i32_and).i32(0xffc).op(Op.i32_gt_u).brIf(slowDepth);
    // at CPL 3 a misaligned access may raise #AC (SDM Vol. 3, 6.15: CR0.AM, EFLAGS.AC): like
    // access.ts's fast paths, take only aligned ones
    if (this.user) f.get(t[3]).i32(3).op(Op.i32_and).brIf(slowDepth);
    const need = write ? (code ? this.writeNeed & ~TLB_NOCODE : this.writeNeed) : this.readNeed;
    f.get(t[3]).i32(12).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).mem(Op.i32_load, L.TLB_BASE, 2).tee(t[2]);
    f.i32(need).op(Op.i32_and).i32(need).op(Op.i32_ne).brIf(slowDepth);
    if (code) f.get(t[2]).i32(TLB_NOCODE).op(Op.i32_and).set(t[1]);
    f.get(t[2]).i32(0xfffff000 | 0).op(Op.i32_and).get(t[3]).i32(0xfff).op(Op.i32_and).op(Op.i32_or).set(t[2]);
  }

  countHits(n: number): void {
    this.f.get(this.l.hits).i32(n).op(Op.i32_add).set(this.l.hits);
  }
  /** push the 4 bytes at machine address t[2] */
  loadRam(): void { this.f.get(this.l.t[2]).mem(Op.i32_load, L.RAM_BASE, 2); }
  /** store `value` at machine address t[2] */
  storeRam(value: () => void): void {
    this.f.get(this.l.t[2]); value(); this.f.mem(Op.i32_store, L.RAM_BASE, 2);
  }

  /**
   * Read the 4-byte memory operand of `r` (fast path): pushes its value. With `code` (a
   * read-modify-write in a translation of self-modifying code) a page with decoded code passes,
   * as checkAccess says, and the caller stores with storeCode.
   */
  readOperand(r: RecordInfo, write: boolean, slowDepth: number, code = false): void {
    this.ea(r); this.f.set(this.l.t[1]);
    // read-modify-write checks the write first (access.ts readForWrite), then reads
    this.checkAccess(r.seg, write, slowDepth, false, code);
    this.loadRam();
  }

  /**
   * Count the TLB hits of a read-modify-write done (machine address still in t[2]; with `code`,
   * t[1] as checkAccess left it): the read's and the write's, and one more where readForWrite's
   * probeWrite misses its fast path and translates — a misaligned offset (the machine address has
   * the offset's low bits), or a page with decoded code.
   */
  countRmwHits(code: boolean): void {
    const { f } = this;
    const t = this.l.t;
    f.get(this.l.hits).i32(2).op(Op.i32_add);
    f.get(t[2]).i32(3).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz);
    if (code) f.get(t[1]).op(Op.i32_eqz).op(Op.i32_or);
    f.op(Op.i32_add).set(this.l.hits);
  }

  /**
   * Store `value` at machine address t[2] after checkAccess(..., code = true): directly when the
   * page holds no decoded code (t[1] not 0), else through the core's jitCodeStore (function index
   * `codeStore`), branching to $slow (depth `slowDepth`) when it does not do the store (it would
   * invalidate code). The hit is not counted.
   */
  storeCode(value: () => void, slowDepth: number, codeStore: number): void {
    const { f } = this;
    const t = this.l.t;
    f.get(t[1]).if(); // no code on the page
    this.storeRam(value);
    f.else();
    f.get(t[2]); value(); f.i32(4).call(codeStore).brIf(slowDepth + 1);
    f.end();
  }
  /** Write `value` to the 4-byte memory operand of `r` (fast path), counting the hit. */
  writeOperand(r: RecordInfo, value: () => void, slowDepth: number): void {
    this.ea(r); this.f.set(this.l.t[1]);
    this.checkAccess(r.seg, true, slowDepth);
    this.storeRam(value);
    this.countHits(1);
  }

  /**
   * Write `value` to the 4-byte memory operand of `r`, counting the hit, in a translation of
   * self-modifying code (a page whose constants were patched): a page that holds decoded code
   * passes the checks too, and the store goes through the core's jitCodeStore (function index
   * `codeStore`), which patches the records whose constants it changes (mmu/patch.ts). A store it
   * does not do (it would invalidate code) branches to $slow like a failed check, which runs the
   * record in the core.
   */
  writeOperandCode(r: RecordInfo, value: () => void, slowDepth: number, codeStore: number): void {
    const { f } = this;
    const t = this.l.t;
    this.ea(r); f.set(t[1]);
    this.checkAccess(r.seg, true, slowDepth, false, true);
    value(); f.set(t[0]);
    this.storeCode(() => f.get(t[0]), slowDepth, codeStore);
    this.countHits(1);
  }

  /**
   * PUSH of the value in t[0] (32-bit stack, stack-ops.ts push32): SS:ESP-4 is written, then ESP
   * moves. Counts the hit.
   */
  push(slowDepth: number): void {
    const { f } = this;
    const { g, t } = this.l;
    f.get(g[R_ESP]).i32(4).op(Op.i32_sub).set(t[1]);
    this.checkAccess(SR_SS, true, slowDepth, true);
    this.storeRam(() => f.get(t[0]));
    f.get(t[1]).set(g[R_ESP]);
    this.countHits(1);
  }

  /**
   * The 4 bytes at SS:ESP (stack-ops.ts pop32) into t[0]. ESP is not moved and the hit not
   * counted: the caller does both after its own checks.
   */
  pop(slowDepth: number): void {
    const { f } = this;
    const { g, t } = this.l;
    f.get(g[R_ESP]).set(t[1]);
    this.checkAccess(SR_SS, false, slowDepth, true);
    this.loadRam(); f.set(t[0]);
  }
}
