// Code generation: one region (region.ts: a head block and the blocks of its page it branches to)
// → one Wasm function `(block: i32) -> i32` that does exactly what the core's run loop does with
// the blocks' records (assembly/exec/run.ts), and returns what run() does next: EXIT_NONE, an exit
// reason, or JIT_INTERPRET.
//
// - The function is a dispatch `loop` over a `br_table` of the region's blocks (local `sel`; the
//   head is 0). A branch, fall-through or RET whose target is a block of the region goes on there
//   when the run loop would find and run that same block (see toBlock); otherwise it returns.
// - The hot simple records (32-bit MOV/LEA/ALU/INC/DEC/NEG/NOT/CMP/TEST, Jcc/JMP/CALL/RET,
//   PUSH/POP) are inlined with the interpreter's semantics: general registers in locals, the
//   arithmetic flags in locals from block to block (codegen-flags.ts), memory through the inline
//   TLB check of assembly/mmu/access.ts's fast paths (codegen-mem.ts).
// - Every other record, and every inlined record whose fast path does not apply (segment not flat
//   enough, TLB miss, page-crossing access, store into a code page, branch beyond the CS limit), is
//   executed by the core's own stepRecord(record): the state is written back first and reloaded
//   after, so faults, exits and self-modifying code behave exactly as in the interpreter. (On a
//   page with patched constants, a MOV store into a code page that only patches constants, or
//   hits no code, is done by the core's jitCodeStore without leaving the fast path.)
// - Counters stay exact: INSNS per record, TLB_HITS per fast access and per block entry inside the
//   function (the fetch's; local `runs` counts those and BLOCKS_RUN).
import { L } from "../core/layout.gen.ts";
import { FunctionBody, I32, I64, Op } from "./wasm.ts";
import type { BlockInfo, RecordInfo } from "./region.ts";
import { FlagEmitter, ARITH, CF, OF, AF, LAZY_ADD, LAZY_SUB, LAZY_LOGIC, ccFlags, type FlagLocals } from "./codegen-flags.ts";
import { MemEmitter } from "./codegen-mem.ts";

// Constants of the core (the AssemblyScript files named beside each group).
// assembly/exec/run.ts
export const JIT_INTERPRET = 0xffffffff;
const STEP_NEXT = 0x100;
const EXIT_NONE = 0;
// assembly/exec/flags.ts
const IF = 1 << 9;
// assembly/mmu/tlb.ts
const TLB_NX = 64;
// assembly/exec/operand.ts
const RF_A16 = 1 << 1;
const NO_REG = 8;
const SR_CS = 1, R_ECX = 1, R_ESP = 4;
// ALU kinds (src/decode/forms/form.ts ALU, alu.ts TEST = 8; unary INC 0 DEC 1 NEG 2 NOT 3)
const ADD = 0, OR = 1, AND = 4, SUB = 5, XOR = 6, CMP = 7, TEST = 8;
const INC = 0, DEC = 1, NEG = 2, NOT = 3;
// shift kinds (src/decode/forms/shift.ts)
const ROL = 0, ROR = 1, SHL = 4, SHR = 5, SAL = 6, SAR = 7;
const INLINE_SHIFT = new Set([ROL, ROR, SHL, SHR, SAL, SAR]);

/** Function indices of the core's entry points imported by a translation module. */
export interface CoreImports {
  stepRecord: number;
  stepRest: number;
  getCF: number;
  testCC: number;
  eflags: number;
  flatten: number;
  /** assembly/exec/translated.ts jitCodeStore(ma, value, size): 0 done, 1 run the record in the core */
  codeStore: number;
  /** assembly/exec/translated.ts jitStepRun(from, to): records one after the other */
  stepRun: number;
  /** assembly/exec/run.ts jitNextBlock(block, records): 1 when the run loop's next block is it (entered) */
  nextBlock: number;
  /** assembly/priv/segment.ts jitSegRefresh(mask): JIT_SEG_BOUND of changed segments */
  segRefresh: number;
}

/** The inlined form of a record, or null (executed by stepRecord). */
type Plan =
  | { k: "movRR" } | { k: "movRI" } | { k: "load" } | { k: "store" } | { k: "storeImm" } | { k: "lea" }
  | { k: "aluRR"; op: number } | { k: "aluRI"; op: number } | { k: "aluRM"; op: number }
  | { k: "aluMR"; op: number } | { k: "aluMI"; op: number } | { k: "unaryR"; op: number }
  | { k: "jmp" } | { k: "jcc" } | { k: "loop"; kind: number } | { k: "call" } | { k: "ret"; imm: number }
  | { k: "shift"; op: number; count: number } | { k: "pushR" } | { k: "pushI" } | { k: "popR" } | { k: "nop" };

/** inlined records a region without a loop needs to be worth an entry and an exit (headGains) */
const MIN_STRAIGHT = 6;
const INLINE_ALU = new Set([ADD, OR, AND, SUB, XOR, CMP, TEST]);
/**
 * Handlers that end their block without a transfer of control and never load CS (forms' `ends`):
 * after one ran in the core, execution goes on at the next instruction under the same CS, so a
 * translation may go on at the block that starts there (step(), jitNextBlock).
 */
const FALLS_THROUGH = new Set(["invlpg", "movToCr", "movToDr", "lgdtLidt", "loadSysM", "loadSysR", "movSregM", "movSregR", "popSreg", "loadFarPtr", "cli", "sti", "popf", "wrmsr"]);
/** inlined forms with a fast path that may fall back to the core (which then reads all flags) */
const FALLBACK = new Set<Plan["k"]>(["load", "store", "storeImm", "aluRM", "aluMR", "aluMI", "pushR", "pushI", "popR", "jmp", "jcc", "loop", "call", "ret"]);

/**
 * Decide how record `r` is translated (`last`: it is the block's final record; `patched`: its
 * page has had constants patched, so IMM and DISP are read from the record when the code runs,
 * and forms whose code depends on the value are not inlined).
 */
export function plan(r: RecordInfo, last: boolean, patched = false): Plan | null {
  const [h, a0, a1] = [r.handler, r.args[0], r.args[1]];
  // A page that has had constants patched holds self-modifying code. Its stores are inlined with a
  // fast path that lets a store into code go through the core's jitCodeStore, which patches the
  // records and lets the block go on (codegen-mem.ts writeOperandCode, storeCode). (With the plain
  // fast path, a store into the code page would fail it every time, and that path leaves the
  // translation.)
  const mem = r.base <= NO_REG && r.index <= NO_REG && !(r.flags & RF_A16);
  const gpr = (x: number) => x < 8;
  switch (h) {
    case "nop": return { k: "nop" };
    case "movRR": return a0 === 4 && gpr(r.r0) && gpr(r.r1) ? { k: "movRR" } : null;
    case "movRI": return a0 === 4 && gpr(r.r0) ? { k: "movRI" } : null;
    case "movMR_or_RM":
      if (a0 !== 4 || !mem) return null;
      if (r.r0 === 0xff) return gpr(r.r1) ? { k: "store" } : null;
      return gpr(r.r0) ? { k: "load" } : null;
    case "movMI": return a0 === 4 && mem ? { k: "storeImm" } : null;
    case "lea": return a0 === 4 && mem && gpr(r.r0) ? { k: "lea" } : null;
    case "aluRR": return a1 === 4 && INLINE_ALU.has(a0) && gpr(r.r0) && gpr(r.r1) ? { k: "aluRR", op: a0 } : null;
    case "aluRI": return a1 === 4 && INLINE_ALU.has(a0) && gpr(r.r0) ? { k: "aluRI", op: a0 } : null;
    case "aluRM": return a1 === 4 && INLINE_ALU.has(a0) && gpr(r.r0) && mem ? { k: "aluRM", op: a0 } : null;
    case "aluMR": return a1 === 4 && INLINE_ALU.has(a0) && gpr(r.r1) && mem ? { k: "aluMR", op: a0 } : null;
    case "aluMI": return a1 === 4 && INLINE_ALU.has(a0) && mem ? { k: "aluMI", op: a0 } : null;
    case "unaryR": return a1 === 4 && gpr(r.r0) ? { k: "unaryR", op: a0 } : null;
    // shiftR(kind, size, count from CL?)
    case "shiftR": return !patched && r.args[1] === 4 && r.args[2] === 0 && INLINE_SHIFT.has(a0) && gpr(r.r0) ? { k: "shift", op: a0, count: r.imm } : null;
    case "pushR": return a0 === 4 && gpr(r.r0) ? { k: "pushR" } : null;
    case "pushI": return a0 === 4 ? { k: "pushI" } : null;
    case "popR": return a0 === 4 && gpr(r.r0) ? { k: "popR" } : null;
    // control transfers end their block: inlined only as its last record
    case "jmpRel": return a0 === 4 && last ? { k: "jmp" } : null;
    case "jcc": return a0 === 4 && last ? { k: "jcc" } : null;
    case "callRel": return a0 === 4 && last ? { k: "call" } : null;
    // LOOP (kind 0) and JECXZ (kind 3) with ECX as the counter
    case "loop": return (a0 === 0 || a0 === 3) && a1 === 4 && !(r.flags & RF_A16) && last ? { k: "loop", kind: a0 } : null;
    case "retNear": return a0 === 4 && last && !(a1 && patched) ? { k: "ret", imm: a1 ? r.imm & 0xffff : 0 } : null;
    default: return null;
  }
}

/** Registers an inlined record writes (they are written back to memory at every exit). */
function written(p: Plan, r: RecordInfo): number[] {
  switch (p.k) {
    case "movRR": case "movRI": case "load": case "lea": case "unaryR": case "shift": return [r.r0];
    case "aluRR": case "aluRI": case "aluRM": return p.op === CMP || p.op === TEST ? [] : [r.r0];
    case "pushR": case "pushI": case "call": case "ret": return [R_ESP];
    case "popR": return [R_ESP, r.r0];
    case "loop": return p.kind === 0 ? [R_ECX] : [];
    default: return [];
  }
}

/**
 * The arithmetic flags live before each record of a block (index i) and after its last (index n),
 * where every path out of the block needs them all (the run loop, or a transfer whose checks may
 * return). A record that runs in the core, or whose fast path may fall back to it, reads them all.
 */
export function flagLiveness(records: RecordInfo[], plans: (Plan | null)[]): number[] {
  const live = new Array<number>(records.length + 1);
  live[records.length] = ARITH;
  for (let i = records.length - 1; i >= 0; i--) {
    const p = plans[i], after = live[i + 1];
    if (!p || FALLBACK.has(p.k)) { live[i] = ARITH; continue; }
    let def = 0, use = 0;
    switch (p.k) {
      case "aluRR": case "aluRI": def = ARITH; break;
      case "unaryR": def = p.op === INC || p.op === DEC ? ARITH & ~CF : p.op === NEG ? ARITH : 0; break;
      case "shift":
        if (p.count & 31) def = p.op === ROL || p.op === ROR ? CF | OF : ARITH;
        break;
      case "jcc": use = ccFlags(records[i].cc); break;
    }
    live[i] = (after & ~def) | use;
  }
  return live;
}

export interface Translation {
  body: FunctionBody;
  /** records inlined / executed through stepRecord */
  inlined: number;
  stepped: number;
  /** the function goes from a block to a block of the region (or the same one) without returning */
  loops: boolean;
  /**
   * Entered at its head, the function can do more than the interpreter would for the price of its
   * entry and exit (headGains()).
   */
  headGains: boolean;
}

/**
 * Generate the function for the region `blocks` (the head first); `patchGen` is PAGE_PATCH of
 * their page now. While it is 0 the translation bakes IMM and DISP into its code and stops when a
 * store patches a record of the page (PAGE_PATCH changes): at its entry it makes the head cold
 * again (it is translated anew, reading the constants from the records) and lets the interpreter
 * run; after a record run in the core it returns to the run loop.
 */
export function translateRegion(blocks: BlockInfo[], imports: CoreImports, patchGen: number): Translation {
  return new RegionGen(blocks, imports, patchGen).generate();
}

class RegionGen {
  private readonly f = new FunctionBody([I32], [I32]);
  private readonly g: number[] = [];
  /**
   * EIP of the head: block k starts at rbase + delta[k] (every block of the region is on the
   * head's page; after a record ran in the core, rbase follows the EIP it left)
   */
  private readonly rbase: number;
  /** the block toBlock goes to next (index into blocks), and its EIP */
  private readonly sel: number;
  private readonly tgt: number;
  private readonly insns: number;
  private readonly budget: number;
  private readonly hits: number;
  private readonly runs: number;
  private readonly slow: number;
  private readonly fl: FlagEmitter;
  private readonly flagLocals: FlagLocals;
  private readonly t: number[];
  /** scratch: the source operand of a read-modify-write in a translation of self-modifying code */
  private readonly src: number;
  private readonly allPlans: (Plan | null)[][];
  /** flags live before record i of block k (flagLiveness) */
  private readonly allLive: number[][];
  private live: number[] = [];
  /** the record being generated (index in its block) */
  private ri = 0;
  /** labels: the block whose end starts block k's code; a loop around block k's code (self-loop) */
  private readonly blockLabel: number[] = [];
  private readonly selfLabel: number[] = [];
  /** machine address of block k minus the head's (all on one page) */
  private readonly delta: number[];
  /** block index by delta */
  private readonly byDelta = new Map<number, number>();
  /** blocks that are return sites of a CALL in the region (RET candidates) */
  private readonly returnSites: number[] = [];
  /** the block being generated */
  private block: BlockInfo;
  private plans: (Plan | null)[] = [];
  private cur = 0;
  /** label of the dispatch loop */
  private dispatch = 0;
  private readonly spill: number[];
  /** memory and stack accesses (codegen-mem.ts) */
  private readonly mem: MemEmitter;
  private inlined = 0;
  private stepped = 0;

  /** the page has had constants patched (PAGE_PATCH not 0): IMM and DISP are read at run time */
  private readonly patched: boolean;
  /** Wasm address of PAGE_PATCH of the region's page */
  private readonly patchAddr: number;
  /** the region runs at CPL 3 */
  private readonly user: boolean;
  /** some record may run in the core and let its block go on (so `slow` may become 1) */
  private readonly mayStep: boolean;

  constructor(private readonly blocks: BlockInfo[], private readonly imp: CoreImports, patchGen: number) {
    const imports = imp;
    const f = this.f;
    for (let i = 0; i < 8; i++) this.g.push(f.local(I32));
    this.rbase = f.local(I32);
    this.sel = f.local(I32);
    this.tgt = f.local(I32);
    this.insns = f.local(I64);
    this.budget = f.local(I64);
    this.hits = f.local(I32);
    this.runs = f.local(I32);
    this.slow = f.local(I32);
    this.flagLocals = {
      la: f.local(I32), lb: f.local(I32), lres: f.local(I32), lrot: f.local(I32),
      lop: f.local(I32), lmask: f.local(I32), lfl: f.local(I32),
      bit: Array.from({ length: 12 }, () => f.local(I32)),
    };
    this.fl = new FlagEmitter(f, this.flagLocals, imports);
    this.t = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
    this.src = f.local(I32);
    const head = blocks[0];
    this.block = head;
    this.patched = patchGen !== 0;
    this.patchAddr = L.PAGE_PATCH_BASE + 4 * (head.phys >>> 12);
    this.allPlans = blocks.map((b) => b.records.map((r, i) => plan(r, i === b.records.length - 1, this.patched)));
    this.allLive = blocks.map((b, k) => flagLiveness(b.records, this.allPlans[k]));
    this.delta = blocks.map((b) => b.phys - head.phys);
    this.delta.forEach((d, k) => this.byDelta.set(d, k));
    const w = new Set<number>();
    blocks.forEach((b, k) => b.records.forEach((r, i) => {
      const p = this.allPlans[k][i];
      if (p) for (const x of written(p, r)) w.add(x);
      if (p?.k === "call") {
        const site = this.byDelta.get(this.delta[k] + r.offset + r.len);
        if (site !== undefined && !this.returnSites.includes(site)) this.returnSites.push(site);
      }
    }));
    this.spill = [...w].sort();
    // a record may run in the core and the function go on (stepRun sets `slow`): one before the
    // last of its block, or a last one that falls through to a block of the region. Only then do
    // inlined records whose fast path fails go on in the function too (withFallback): the checks
    // that `slow` asks for cost a region of inlined records a tenth of its time (call/ret loop,
    // valgrind: 128 → 140 host instructions per iteration, and 155 with the copies).
    this.mayStep = blocks.some((b, k) => b.records.some((r, i) => {
      if (this.allPlans[k][i] !== null) return false;
      if (i < b.records.length - 1) return true;
      return FALLS_THROUGH.has(r.handler) && this.byDelta.has((this.delta[k] + r.offset + r.len) | 0);
    }));
    // the region's MODE fixes the CPL, hence the TLB rights an access needs (mmu/tlb.ts)
    const user = ((head.mode >> 1) & 3) === 3;
    this.user = user;
    let segs = 0;
    blocks.forEach((b, k) => b.records.forEach((r, i) => {
      const p = this.allPlans[k][i];
      const s = p ? MemEmitter.segOf(p.k, r.seg) : undefined;
      if (s !== undefined) segs |= 1 << s;
    }));
    this.mem = new MemEmitter(f, { g: this.g, t: this.t, hits: this.hits }, user, this.patched, segs);
  }

  generate(): Translation {
    const { f, blocks } = this;
    const nb = blocks.length;
    // Entry. A stale-block flag left by an earlier exit, an interrupt shadow (which ends the block
    // after its first instruction) or a budget ending inside the block make the interpreter's
    // per-record checks matter: let it run this entry.
    f.load32At(L.S_BLOCK_STALE).load32At(L.S_INTR_SHADOW).op(Op.i32_or).if().i32(JIT_INTERPRET).ret().end();
    if (!this.patched) {
      f.load32At(this.patchAddr).if();
      f.i32(0).i32(0).mem(Op.i32_store, L.BLOCK_JIT_BASE + 4 * blocks[0].index, 2);
      f.i32(JIT_INTERPRET).ret();
      f.end();
    }
    this.mem.refresh(this.imp.segRefresh);
    f.load64At(L.S_INSNS).set(this.insns);
    f.load64At(L.S_BUDGET_END).set(this.budget);
    this.budgetEndsInside(blocks[0].records.length).if().i32(JIT_INTERPRET).ret().end();
    f.load32At(L.S_EIP).set(this.rbase);
    // SDM Vol. 3, 5.3: every block of the region starts within the CS limit, so a transfer inside
    // the region never raises #GP and checks nothing (the limit cannot change while the function
    // runs: the records that load CS end their block, and the function returns after them);
    // otherwise the interpreter runs this entry
    blocks.forEach((_, k) => {
      f.get(this.rbase);
      if (this.delta[k]) f.i32(this.delta[k]).op(Op.i32_add);
      f.load32At(L.S_SEG_LIMIT + 4 * SR_CS).op(Op.i32_gt_u);
      if (k) f.op(Op.i32_or);
    });
    f.if().i32(JIT_INTERPRET).ret().end();
    this.loadGprs();
    // the head's live-in flags into the canonical locals (every block starts so)
    this.fl.inCore();
    this.fl.toCanon(this.allLive[0][0]);
    // Layout: the dispatch loop's br_table enters block k after the end of the k-th innermost
    // block, so block k's code is inside the blocks of k+1 … nb-1: a transfer to a later block is a
    // br to the end of its block, one to an earlier block goes round the dispatch loop, one to the
    // block itself round a loop of its own.
    f.loop();
    this.dispatch = f.label();
    if (nb > 1) {
      for (let i = 0; i < nb; i++) { f.block(); this.blockLabel[nb - 1 - i] = f.label(); }
      f.get(this.sel).brTable(blocks.map((_, k) => k));
    }
    for (let k = 0; k < nb; k++) {
      if (nb > 1) f.end(); // block k's code follows the end of the k-th innermost block
      const self = nb > 1 && this.loopsToItself(k);
      if (self) { f.loop(); this.selfLabel[k] = f.label(); }
      this.generateBlock(k);
      if (self) f.end();
      f.op(Op.unreachable);
    }
    f.end(); // loop
    f.op(Op.unreachable);
    return { body: f, inlined: this.inlined, stepped: this.stepped, loops: this.loops, headGains: this.headGains() };
  }

  /**
   * Whether an entry at the head can gain anything over the interpreter for the price of the
   * entry and the exit: the blocks it can go on to inside the function (by inlined branches and
   * fall-throughs, RETs to return sites, records run in the core that fall through) include a
   * cycle, so a loop may run in the function; or those blocks inline enough records.
   * A region that runs a few records and returns (a system call loop: DEC, JNZ to an INT) only
   * adds that work to the interpreter's (valgrind, syscall: 3244 → 3648 host instructions per
   * round trip with it, 3105 interpreted).
   */
  private headGains(): boolean {
    const { blocks } = this;
    const next = (k: number): number[] => {
      const recs = blocks[k].records, p = this.allPlans[k][recs.length - 1], r = recs[recs.length - 1];
      const at = (off: number) => this.byDelta.get((this.delta[k] + off) | 0);
      const end = r.offset + r.len;
      let offs: (number | undefined)[] = [];
      if (p === null) offs = FALLS_THROUGH.has(r.handler) ? [at(end)] : [];
      else if (p.k === "ret") return this.returnSites;
      else if (p.k === "jmp") offs = [at(end + r.imm2)];
      else if (p.k === "jcc" || p.k === "loop" || p.k === "call") offs = [at(end + r.imm2), at(end)];
      else offs = [at(end)];
      return offs.filter((x): x is number => x !== undefined);
    };
    // a cycle among the blocks reachable from the head (depth-first, colours)
    const state = new Array<number>(blocks.length).fill(0);
    const cyclic = (k: number): boolean => {
      state[k] = 1;
      for (const x of next(k)) {
        if (state[x] === 1 || (state[x] === 0 && cyclic(x))) return true;
      }
      state[k] = 2;
      return false;
    };
    if (cyclic(0)) return true;
    // no loop: the records it may inline on the way (every block the head reaches)
    let inlined = 0;
    state.forEach((v, k) => { if (v) inlined += this.allPlans[k].filter((p) => p !== null && p.k !== "nop").length; });
    return inlined >= MIN_STRAIGHT;
  }

  /** Block k's records; every path out of them returns or goes to the dispatch loop. */
  private generateBlock(k: number): void {
    const block = this.blocks[k];
    this.block = block;
    this.cur = k;
    this.plans = this.allPlans[k];
    this.live = this.allLive[k];
    this.fl.restore(FlagEmitter.atBlockEntry(this.live[0]));
    this.generateRecords(0);
  }

  /**
   * The current block's records from `from` on, and its end. In a copy (the rest of a block after
   * a fast path failed, withFallback) `copy` is set: fast paths that fail there run the rest of the
   * block in the core.
   */
  private copy = false;
  private generateRecords(from: number): void {
    const recs = this.block.records;
    const n = recs.length;
    for (let i = from; i < n; i++) {
      const p = this.plans[i];
      this.ri = i;
      if (p) { this.inlined++; this.inline(p, recs[i], i); continue; }
      // records run in the core one after the other: one call
      let j = i;
      while (j + 1 < n && this.plans[j + 1] === null) j++;
      this.stepped += j - i + 1;
      this.stepRun(i, j);
      this.ri = i = j;
    }
    // The last record did not leave the function: the block is over, the run loop goes on.
    const last = recs[n - 1];
    if (this.plans[n - 1] && !isBranch(this.plans[n - 1]!)) this.leave(last.offset + last.len, () => this.eipAt(last.offset + last.len));
  }

  private loops = false;

  /** Block k's last record is a direct branch to its own start. */
  private loopsToItself(k: number): boolean {
    const recs = this.blocks[k].records;
    const r = recs[recs.length - 1], p = this.allPlans[k][recs.length - 1];
    return !!p && (p.k === "jmp" || p.k === "jcc" || p.k === "loop") && ((r.offset + r.len + r.imm2) | 0) === 0;
  }
  /** flags live after the current record */
  private liveAfter(): number { return this.live[this.ri + 1]; }

  // ---- state in locals ↔ memory ----

  private gprAddr(r: number): number { return L.S_GPR + 4 * r; }
  private loadGprs(): void {
    for (let r = 0; r < 8; r++) this.f.load32At(this.gprAddr(r)).set(this.g[r]);
  }
  private spillGprs(): void {
    for (const r of this.spill) this.f.i32(0).get(this.g[r]).mem(Op.i32_store, this.gprAddr(r), 2);
  }
  private store32(addr: number, value: () => void): void {
    this.f.i32(0); value(); this.f.mem(Op.i32_store, addr, 2);
  }
  /**
   * Add the counted TLB hits and block entries to memory (every block entry inside the function
   * is also one TLB hit, the fetch's: `runs` counts both).
   */
  private flushCounters(): void {
    const { f } = this;
    f.i32(0).load64At(L.S_TLB_HITS).get(this.hits).get(this.runs).op(Op.i32_add).op(Op.i64_extend_i32_u).op(Op.i64_add).mem(Op.i64_store, L.S_TLB_HITS, 3);
    f.i32(0).load64At(L.S_BLOCKS_RUN).get(this.runs).op(Op.i64_extend_i32_u).op(Op.i64_add).mem(Op.i64_store, L.S_BLOCKS_RUN, 3);
    f.i32(0).set(this.hits);
    f.i32(0).set(this.runs);
  }
  /** push EIP at offset `off` from the current block's start */
  private eipAt(off: number): void {
    this.f.get(this.rbase);
    if ((this.delta[this.cur] + off) | 0) this.f.i32(this.delta[this.cur] + off).op(Op.i32_add);
  }
  /** INSNS := entry count + `k` */
  private storeInsns(k: number): void {
    const { f } = this;
    f.i32(0).get(this.insns);
    if (k) f.i64(BigInt(k)).op(Op.i64_add);
    f.mem(Op.i64_store, L.S_INSNS, 3);
  }
  /** push 1 when INSNS + (n - 1) reaches BUDGET_END (run.ts would stop inside a block of n records) */
  private budgetEndsInside(n: number): FunctionBody {
    const { f } = this;
    f.get(this.insns);
    if (n > 1) f.i64(BigInt(n - 1)).op(Op.i64_add);
    return f.get(this.budget).op(Op.i64_ge_u);
  }

  /** Leave the function after the whole block retired; EIP := `eip()`. */
  private exit(eip: () => void): void {
    const { f } = this;
    const recs = this.block.records;
    const last = recs[recs.length - 1];
    this.spillGprs();
    this.fl.flush();
    f.i32(0); eip(); f.mem(Op.i32_store, L.S_EIP, 2);
    this.store32(L.S_INSTR_EIP, () => this.eipAt(last.offset));
    this.storeInsns(recs.length);
    this.flushCounters();
    f.i32(EXIT_NONE).ret();
  }

  // ---- records through the core ----

  /**
   * Execute record `i` with the core's stepRecord: write the state back, call, return what it
   * says unless the block goes on, then reload. (`i` retired records precede it.) With `rest`
   * the rest of the block runs in the core too (jitStepRest) and the function returns.
   */
  private step(r: RecordInfo, i: number, rest = false): void {
    const recs = this.block.records;
    if (rest && i < recs.length - 1) {
      this.toCore(i);
      this.f.i32(r.addr).i32(recs[recs.length - 1].addr).call(this.imp.stepRest).ret();
      return;
    }
    this.stepRun(i, i);
  }

  /**
   * Execute records `i` … `j` of the current block (none inlined) in the core, in one call: write
   * the state back, call, return what the core says unless the block goes on, then reload.
   * When `j` is the block's last record the block is over: if it is one that goes on at the next
   * instruction (FALLS_THROUGH) and a block x of the region starts there, the function goes on at x
   * when the run loop would run x next: toBlock's checks, else the core's (jitNextBlock: the run
   * loop's checks, findBlock with the TLB fetch — a walk after a flush —, block entry); otherwise
   * it returns to the run loop (which takes what jitNextBlock found).
   */
  private stepRun(i: number, j: number): void {
    const { f, blocks } = this;
    const recs = this.block.records;
    const [ri, rj] = [recs[i], recs[j]];
    const next = rj.offset + rj.len;
    const last = j === recs.length - 1;
    const x = last && FALLS_THROUGH.has(rj.handler) ? this.byDelta.get((this.delta[this.cur] + next) | 0) : undefined;
    this.toCore(i);
    if (last && x === undefined) {
      f.i32(ri.addr).i32(rj.addr).call(this.imp.stepRest).ret();
      return;
    }
    if (i === j) f.i32(ri.addr).call(this.imp.stepRecord);
    else f.i32(ri.addr).i32(rj.addr).call(this.imp.stepRun);
    f.tee(this.t[0]).i32(STEP_NEXT).op(Op.i32_ne).if().get(this.t[0]).ret().end();
    if (x === undefined) {
      // a store patched constants this translation baked in: the rest of the block runs in the core
      if (!this.patched) {
        f.load32At(this.patchAddr).if().i32(rj.addr + L.REC_SIZE).i32(recs[recs.length - 1].addr).call(this.imp.stepRest).ret().end();
      }
      this.fromCore(j + 1, this.delta[this.cur] + next);
      f.i32(1).set(this.slow);
      return;
    }
    // the block is over: on at x when toBlock's checks pass (it counts the block entry)
    this.fromCore(recs.length, this.delta[this.cur] + next);
    f.i32(1).set(this.slow);
    this.toBlock(x, () => this.eipAt(next));
    // else as the run loop: jitNextBlock enters x, or leaves what it found to the run loop
    if (!this.patched) f.load32At(this.patchAddr).if().i32(EXIT_NONE).ret().end();
    f.i32(L.BLOCKS_BASE + blocks[x].index * L.BLK_SIZE).i32(blocks[x].records.length).call(this.imp.nextBlock);
    f.op(Op.i32_eqz).if().i32(EXIT_NONE).ret().end();
    // x entered (its first record retires next): everything from memory again
    this.fromCore(0, this.delta[x]);
    f.i32(0).set(this.slow); // jitNextBlock made the run loop's checks
    this.fl.toCanon(this.allLive[x][0]);
    this.goTo(x);
  }

  /** Before records from the `i`-th of the block run in the core: the state to memory. */
  private toCore(i: number): void {
    const r = this.block.records[i];
    this.spillGprs();
    this.fl.flush();
    this.store32(L.S_EIP, () => this.eipAt(r.offset));
    this.storeInsns(i);
    this.flushCounters();
  }

  /**
   * After records ran in the core, `k` retired records into the current block, at EIP `off`
   * bytes from rbase: reload everything from memory, so that no local lives across the call (V8
   * would keep such a local in memory along the fast paths too) — the registers, INSNS at the
   * block's start, BUDGET_END, rbase from the EIP the core left; the flags are in memory.
   */
  private fromCore(k: number, off: number): void {
    const { f } = this;
    // the records may have loaded segment registers
    this.mem.refresh(this.imp.segRefresh);
    this.loadGprs();
    f.load64At(L.S_INSNS);
    if (k) f.i64(BigInt(k)).op(Op.i64_sub);
    f.set(this.insns);
    f.load64At(L.S_BUDGET_END).set(this.budget);
    f.load32At(L.S_EIP);
    if (off | 0) f.i32(off | 0).op(Op.i32_sub);
    f.set(this.rbase);
    this.fl.inCore();
  }

  /** Branch to block x's code (its label, its own loop, or round the dispatch loop). */
  private goTo(x: number): void {
    const { f } = this;
    if (x > this.cur) f.brTo(this.blockLabel[x]);
    else if (x === this.cur && this.selfLabel[x] !== undefined) f.brTo(this.selfLabel[x]);
    else {
      if (this.blocks.length > 1) f.i32(x).set(this.sel);
      f.brTo(this.dispatch);
    }
  }

  /**
   * An inlined record with a fast path: `fast` emits checks that branch to $slow (depth 0) when
   * they fail, then the record's effects. On failure the record runs in stepRecord; in a region
   * where records run in the core anyway (mayStep: event paths — a TLB miss after INVLPG or a CR3
   * reload) the block goes on in a copy of the rest of its code (generateRecords), where a fast
   * path that fails runs the rest of the block in the core (jitStepRest) and the function
   * returns; elsewhere that is what the first failure does. The slow path never joins the fast
   * one inside the block (their flags differ), and no local lives across its calls into the core
   * (fromCore reloads them all); in a region of inlined records it does not join at all: a join
   * after a call into the core makes the Wasm compiler keep locals in memory around every access
   * (measured: a third of the time of a call/ret loop).
   */
  private withFallback(r: RecordInfo, i: number, fast: () => void): void {
    const { f, fl } = this;
    const before = fl.save();
    f.block(); // $done
    f.block(); // $slow
    fast();
    const after = fl.save();
    f.br(1); // to $done
    f.end();
    // slow path: the state as before this record
    fl.restore(before);
    const [stepped, inlined] = [this.stepped, this.inlined];
    const last = i === this.block.records.length - 1;
    if (this.copy || last || !this.mayStep) {
      this.step(r, i, true);
    } else {
      this.step(r, i);
      this.copy = true;
      this.generateRecords(i + 1);
      this.copy = false;
      this.ri = i;
      f.op(Op.unreachable);
    }
    [this.stepped, this.inlined] = [stepped, inlined];
    f.end(); // $done
    fl.restore(after);
  }

  /** push the record's immediate */
  private imm(r: RecordInfo): void { this.mem.imm(r); }
  private ea(r: RecordInfo): void { this.mem.ea(r); }
  private countHits(n: number): void { this.mem.countHits(n); }

  // ---- flags (codegen-flags.ts) ----

  /**
   * Record an op's result in the lazy locals: `def` (all six, or all but CF for INC/DEC) become
   * lazy from `op` (flags.ts setLazy). a/b pushed by the callbacks, the result in local `res`.
   */
  private setLazy(op: number, a: () => void, b: () => void, res: number, def = ARITH): void {
    const { f } = this;
    const { la, lb, lres } = this.flagLocals;
    this.fl.setLazy(op, def, this.liveAfter());
    if (op !== LAZY_LOGIC) { a(); f.set(la); b(); f.set(lb); }
    f.get(res).set(lres);
  }

  // ---- inlined records ----

  private inline(p: Plan, r: RecordInfo, i: number): void {
    const { f, g, t, mem } = this;
    switch (p.k) {
      case "nop": return;
      case "movRR": f.get(g[r.r1]).set(g[r.r0]); return;
      case "movRI": this.imm(r); f.set(g[r.r0]); return;
      case "lea": this.ea(r); f.set(g[r.r0]); return;
      case "aluRR": this.alu(p.op, r.r0, () => f.get(g[r.r1])); return;
      case "aluRI": this.alu(p.op, r.r0, () => this.imm(r)); return;
      case "unaryR": this.unary(p.op, r.r0); return;
      case "shift": this.shift(p.op, p.count, r.r0); return;
      case "load":
        this.withFallback(r, i, () => {
          mem.readOperand(r, false, 0); f.set(g[r.r0]);
          mem.countHits(1);
        });
        return;
      case "store": case "storeImm": {
        const value = () => (p.k === "store" ? f.get(g[r.r1]) : this.imm(r));
        this.withFallback(r, i, () => {
          if (this.patched) mem.writeOperandCode(r, value, 0, this.imp.codeStore);
          else mem.writeOperand(r, value, 0);
        });
        return;
      }
      case "aluRM": {
        this.withFallback(r, i, () => {
          mem.readOperand(r, false, 0); f.set(t[0]);
          mem.countHits(1);
          this.alu(p.op, r.r0, () => f.get(t[0]));
        });
        return;
      }
      case "aluMR": case "aluMI": {
        const src = () => (p.k === "aluMR" ? f.get(g[r.r1]) : this.imm(r));
        const rmw = p.op !== CMP && p.op !== TEST;
        if (rmw && this.patched) {
          this.withFallback(r, i, () => this.aluToCode(p.op, r, src));
          return;
        }
        this.withFallback(r, i, () => {
          mem.readOperand(r, rmw, 0); f.set(t[0]);
          this.aluValue(p.op, () => f.get(t[0]), src);
          if (rmw) { mem.storeRam(() => f.get(this.flagLocals.lres)); mem.countRmwHits(false); } else mem.countHits(1);
        });
        return;
      }
      case "pushR": case "pushI":
        this.withFallback(r, i, () => {
          // push: the value before ESP moves (PUSH ESP pushes the old ESP)
          if (p.k === "pushR") f.get(g[r.r0]); else this.imm(r);
          f.set(t[0]);
          mem.push(0);
        });
        return;
      case "popR":
        this.withFallback(r, i, () => {
          mem.pop(0);
          f.get(g[R_ESP]).i32(4).op(Op.i32_add).set(g[R_ESP]);
          f.get(t[0]).set(g[r.r0]); // POP ESP: the popped value wins
          mem.countHits(1);
        });
        return;
      case "jmp": case "jcc": case "loop": this.branch(p, r, i); return;
      case "call": this.call(r, i); return;
      case "ret": this.ret(p.imm, r, i); return;
    }
  }

  /**
   * The fast path of a read-modify-write ALU op on memory in a translation of self-modifying code:
   * the store may go through the core's jitCodeStore (codegen-mem.ts storeCode), whose refusal
   * branches to $slow, so nothing the slow path relies on changes before it: the source (an
   * immediate the store may patch, read once) and the result are kept in scratch locals, and the
   * flags are set after the store.
   */
  private aluToCode(op: number, r: RecordInfo, src: () => void): void {
    const { f, t, mem } = this;
    src(); f.set(this.src);
    mem.readOperand(r, true, 0, true); f.set(t[0]);
    f.get(t[0]).get(this.src);
    switch (op) {
      case ADD: f.op(Op.i32_add); break;
      case OR: f.op(Op.i32_or); break;
      case AND: f.op(Op.i32_and); break;
      case XOR: f.op(Op.i32_xor); break;
      default: f.op(Op.i32_sub); break; // SUB
    }
    f.set(t[3]);
    mem.storeCode(() => f.get(t[3]), 0, this.imp.codeStore);
    mem.countRmwHits(true);
    if (op === ADD || op === SUB) this.setLazy(op === ADD ? LAZY_ADD : LAZY_SUB, () => f.get(t[0]), () => f.get(this.src), t[3]);
    else this.setLazy(LAZY_LOGIC, () => f.i32(0), () => f.i32(0), t[3]);
  }

  /** dst := dst op src on registers (alu.ts alu() with size 4) */
  private alu(op: number, dst: number, src: () => void): void {
    const { f, g } = this;
    this.aluValue(op, () => f.get(g[dst]), src);
    if (op !== CMP && op !== TEST) f.get(this.flagLocals.lres).set(g[dst]);
  }

  /** Compute a op b into lres and set the lazy flags locals. */
  private aluValue(op: number, a: () => void, b: () => void): void {
    const { f, t } = this;
    const tmp = t[3];
    a(); b();
    switch (op) {
      case ADD: f.op(Op.i32_add); break;
      case OR: f.op(Op.i32_or); break;
      case AND: case TEST: f.op(Op.i32_and); break;
      case XOR: f.op(Op.i32_xor); break;
      default: f.op(Op.i32_sub); break; // SUB, CMP
    }
    f.set(tmp);
    if (op === ADD || op === SUB || op === CMP) {
      this.setLazy(op === ADD ? LAZY_ADD : LAZY_SUB, a, b, tmp);
    } else {
      this.setLazy(LAZY_LOGIC, () => f.i32(0), () => f.i32(0), tmp);
    }
  }

  /** INC DEC NEG NOT on a 32-bit register (alu.ts unary) */
  private unary(op: number, reg: number): void {
    const { f, g, t } = this;
    const r = g[reg];
    if (op === NOT) { f.get(r).i32(-1).op(Op.i32_xor).set(r); return; }
    if (op === NEG) {
      f.i32(0).get(r).op(Op.i32_sub).set(t[3]);
      f.get(r).set(t[0]);
      this.setLazy(LAZY_SUB, () => f.i32(0), () => f.get(t[0]), t[3]);
      f.get(t[3]).set(r);
      return;
    }
    // INC/DEC keep CF (flags.ts setLazyKeepCF)
    f.get(r).set(t[0]);
    f.get(r).i32(1).op(op === INC ? Op.i32_add : Op.i32_sub).tee(t[3]).set(r);
    this.setLazy(op === INC ? LAZY_ADD : LAZY_SUB, () => f.get(t[0]), () => f.i32(1), t[3], ARITH & ~CF);
  }

  /**
   * ROL ROR SHL/SAL SHR SAR of a 32-bit register by a constant count (shift.ts shift): a masked
   * count of 0 changes nothing; rotates set CF and OF only (setCFOF: kept as the result, lrot),
   * shifts set the result flags lazily and CF, AF (1), OF explicitly (setResultFlags).
   */
  private shift(op: number, count: number, reg: number): void {
    const { f, g, t, fl } = this;
    const c = count & 31;
    if (c === 0) return;
    const r = g[reg];
    const live = this.liveAfter();
    if (op === ROL || op === ROR) {
      f.get(r).i32(c).op(op === ROL ? Op.i32_rotl : Op.i32_rotr).set(r);
      if (live & (CF | OF)) f.get(r).set(this.flagLocals.lrot);
      fl.rotate(op === ROL, live);
      return;
    }
    const [a, res] = t;
    const cf = fl.bitLocal(CF), of = fl.bitLocal(OF), af = fl.bitLocal(AF);
    f.get(r).set(a);
    switch (op) {
      case SHL: case SAL:
        f.get(a).i32(c).op(Op.i32_shl).set(res);
        if (live & (CF | OF)) f.get(a).i32(32 - c).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(cf);
        if (live & OF) f.get(res).i32(31).op(Op.i32_shr_u).get(cf).op(Op.i32_xor).set(of);
        break;
      case SHR:
        f.get(a).i32(c).op(Op.i32_shr_u).set(res);
        if (live & CF) f.get(a).i32(c - 1).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(cf);
        if (live & OF) { if (c === 1) f.get(a).i32(31).op(Op.i32_shr_u).set(of); else f.i32(0).set(of); }
        break;
      default: // SAR
        f.get(a).i32(c).op(Op.i32_shr_s).set(res);
        if (live & CF) f.get(a).i32(c - 1).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(cf);
        if (live & OF) f.i32(0).set(of);
        break;
    }
    if (live & AF) f.i32(1).set(af);
    f.get(res).set(r);
    f.get(res).set(this.flagLocals.lres);
    fl.shift(live);
  }

  /** JMP rel, Jcc rel, LOOP, JECXZ as the block's last record (control.ts). */
  private branch(p: Plan, r: RecordInfo, i: number): void {
    const { f, g, t } = this;
    const next = r.offset + r.len;
    const conditional = p.k !== "jmp";
    const counts = p.k === "loop" && p.kind === 0;
    if (p.k === "jcc") this.fl.condition(r.cc);
    if (counts) f.get(g[R_ECX]).i32(1).op(Op.i32_sub).tee(t[0]).op(Op.i32_eqz).op(Op.i32_eqz);
    if (p.k === "loop" && p.kind === 3) f.get(g[R_ECX]).op(Op.i32_eqz);
    if (conditional) f.if();
    // taken: target within the CS limit (branch()), else the handler raises #GP (the LOOP
    // counter unchanged); a block of the region is (checked at entry)
    const target = next + r.imm2;
    if (this.inRegion(target)) {
      if (counts) f.get(t[0]).set(g[R_ECX]);
      this.leave(target, () => this.eipAt(target));
    } else {
      f.block(); // $slow
      this.eipAt(next); f.i32(r.imm2).op(Op.i32_add).set(t[1]);
      f.get(t[1]).load32At(L.S_SEG_LIMIT + 4 * SR_CS).op(Op.i32_gt_u).brIf(0);
      if (counts) f.get(t[0]).set(g[R_ECX]);
      this.leave(target, () => f.get(t[1]));
      f.end();
      this.step(r, i); // returns
    }
    if (conditional) {
      f.end();
      if (counts) f.get(t[0]).set(g[R_ECX]);
      this.leave(next, () => this.eipAt(next));
    }
  }

  /**
   * The current block retired all its records and continues at `eip()`, `off` bytes from its own
   * start: go there inside the function when that is a block of the region, else return.
   */
  private leave(off: number, eip: () => void): void {
    const x = this.byDelta.get((this.delta[this.cur] + off) | 0);
    if (x !== undefined) this.toBlock(x, eip);
    this.exit(eip);
  }

  /** `off` bytes from the current block's start is the start of a block of the region */
  private inRegion(off: number): boolean { return this.byDelta.has((this.delta[this.cur] + off) | 0); }

  /**
   * The current block retired all its records and continues at `eip()`, the start of block `x` of
   * the region if it is at rbase + delta[x]: go round the dispatch loop to it when the run loop
   * would find block x and run all of it (run.ts, top of its loop, and findBlock): EIP within the
   * CS limit, the budget does not end inside x, and — when a record ran in the core since the
   * last check — no interrupt is waiting, the CPU is not halted, no interrupt shadow, same MODE,
   * the page not written, and the fetch hits the TLB entry of this machine page with the rights of
   * a fetch. (Without a record run in the core none of those can have changed since the run loop
   * checked them for the head: every block of the region is on the head's linear and machine
   * page, and only the host raises interrupts, between runs.) Otherwise falls through, for the
   * caller to return to the run loop. The flags x reads before writing them go to the canonical
   * locals on the way (codegen-flags.ts), nothing to memory.
   */
  private toBlock(x: number, eip: () => void): void {
    const { f, t, blocks } = this;
    const n = this.block.records.length;
    const head = blocks[0];
    const mpn = head.phys >>> 12;
    this.loops = true;
    eip(); f.set(this.tgt);
    f.block(); // $leave
    const leave = f.label();
    // (the target is rbase + delta[x]: the current block started at rbase + delta[cur], and x is
    // where its branch, fall-through or — compared by ret() — RET goes)
    // (x starts within the CS limit: checked at entry)
    if (this.mayStep) {
      f.get(this.slow).if();
      f.load32At(L.S_HALTED).load32At(L.S_INTR_SHADOW).op(Op.i32_or).brIfTo(leave);
      f.load32At(L.S_MODE).i32(head.mode).op(Op.i32_ne).brIfTo(leave);
      f.load32At(L.PAGE_GEN_BASE + 4 * mpn).i32(head.gen).op(Op.i32_ne).brIfTo(leave);
      if (!this.patched) f.load32At(this.patchAddr).brIfTo(leave);
      f.load32At(L.S_SEG_BASE + 4 * SR_CS).get(this.tgt).op(Op.i32_add).i32(12).op(Op.i32_shr_u).i32(2).op(Op.i32_shl);
      f.mem(Op.i32_load, L.TLB_BASE, 2).tee(t[2]);
      const need = this.mem.readNeed; // a fetch: present, user at CPL 3, not NX (access.ts translate)
      f.i32(need | TLB_NX).op(Op.i32_and).i32(need).op(Op.i32_ne).brIfTo(leave);
      f.get(t[2]).i32(12).op(Op.i32_shr_u).i32(mpn).op(Op.i32_ne).brIfTo(leave);
      // external interrupts are recognised when IF = 1 (SDM Vol. 3, 6.8.1)
      f.load32At(L.S_INTR_PENDING).op(Op.i32_eqz).op(Op.i32_eqz);
      f.load32At(L.S_FLAGS).i32(IF).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_and).brIfTo(leave);
      f.i32(0).set(this.slow);
      f.end();
    }
    // the run loop stops when the budget ends inside x: INSNS + n + (records of x - 1) >= BUDGET_END
    f.get(this.insns).i64(BigInt(n + blocks[x].records.length - 1)).op(Op.i64_add).get(this.budget).op(Op.i64_ge_u).brIfTo(leave);
    f.get(this.insns).i64(BigInt(n)).op(Op.i64_add).set(this.insns);
    this.fl.toCanon(this.allLive[x][0]);
    // the run loop's findBlock (one TLB hit for the fetch) and block entry
    f.get(this.runs).i32(1).op(Op.i32_add).set(this.runs);
    this.goTo(x);
    f.end();
  }

  /** CALL rel as the block's last record. */
  private call(r: RecordInfo, i: number): void {
    const { f, g, t } = this;
    const next = r.offset + r.len;
    f.block(); // $slow
    this.eipAt(next); f.set(t[0]);
    // the target within the CS limit (a block of the region is: checked at entry)
    if (!this.inRegion(next + r.imm2)) f.get(t[0]).i32(r.imm2).op(Op.i32_add).load32At(L.S_SEG_LIMIT + 4 * SR_CS).op(Op.i32_gt_u).brIf(0);
    this.mem.push(0);
    this.leave(next + r.imm2, () => f.get(t[0]).i32(r.imm2).op(Op.i32_add));
    f.end();
    this.step(r, i);
  }

  /** RET / RET imm16 as the block's last record: to a return site of the region when it is one. */
  private ret(imm: number, r: RecordInfo, i: number): void {
    const { f, g, t } = this;
    f.block(); // $slow
    this.mem.pop(0);
    const popped = () => { f.get(g[R_ESP]).i32(4 + imm).op(Op.i32_add).set(g[R_ESP]); this.countHits(1); };
    for (const x of this.returnSites) {
      // a return site of the region (within the CS limit: checked at entry)
      f.get(t[0]).get(this.rbase);
      if (this.delta[x]) f.i32(this.delta[x]).op(Op.i32_add);
      f.op(Op.i32_eq).if();
      popped();
      this.toBlock(x, () => f.get(t[0]));
      this.exit(() => f.get(t[0]));
      f.end();
    }
    // elsewhere: within the CS limit, else the handler raises #GP
    f.get(t[0]).load32At(L.S_SEG_LIMIT + 4 * SR_CS).op(Op.i32_gt_u).brIf(0);
    popped();
    this.exit(() => f.get(t[0]));
    f.end();
    this.step(r, i);
  }
}

function isBranch(p: Plan): boolean {
  return p.k === "jmp" || p.k === "jcc" || p.k === "loop" || p.k === "call" || p.k === "ret";
}
