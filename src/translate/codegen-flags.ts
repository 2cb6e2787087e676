// The arithmetic flags of a translation (codegen.ts): where each of CF PF AF ZF SF OF is while the
// region runs, known at generation time, so that flags stay in Wasm locals from block to block and
// reach the core's state (FLAGS, FLAGS_LAZY, LAZY_*; assembly/exec/flags.ts) only when a record
// runs in the core or the translation returns.
//
// Each flag is, at any point of the generated code, in exactly one place (FlagState):
// - `lazy`: computed from locals la/lb/lres as the core's lazy flags are, with an op known now
//   (LAZY_ADD, LAZY_SUB or LAZY_LOGIC, 32-bit);
// - `bits`: a 0/1 in its own local (CF/AF/OF of a shift, CF kept by INC/DEC);
// - `rot`: CF or OF of the last rotate, computed from its result in local lrot;
// - `dead`: nothing reads it before it is written again (liveness over the block, codegen.ts);
// - otherwise in `base`: "mem", the core's state in memory (at entry and after a record ran in the
//   core), or "canon", the canonical locals: lop, lmask, lfl with la/lb/lres, a copy of the core's
//   representation (lmask = FLAGS_LAZY, lfl = FLAGS, lop = LAZY_OP of ADD/SUB/LOGIC, 32-bit).
//
// Every block of a region starts with the flags it reads before writing them (its live-in set) in
// the canonical locals and the others dead; a transfer from block to block converts to that form
// with a few local writes (toCanon), so no flag goes to memory on the way. Writing la/lb/lres
// (a new lazy op) first moves the live flags it keeps that depend on them (lazy or base) to bits,
// so `lazy` and base-held flags never coexist and a flush (materialise) is always possible.
import { L } from "../core/layout.gen.ts";
import { FunctionBody, Op } from "./wasm.ts";

// assembly/exec/flags.ts
export const CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, OF = 1 << 11;
export const ARITH = CF | PF | AF | ZF | SF | OF;
export const LAZY_ADD = 0, LAZY_SUB = 2, LAZY_LOGIC = 4;
const FLAG_LIST = [CF, PF, AF, ZF, SF, OF];
/** log2 of a flag */
const pos = (flag: number): number => 31 - Math.clz32(flag);

/** The flags condition `cc` (Intel tttn, flags.ts testCC) reads. */
export function ccFlags(cc: number): number {
  return [OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF][cc >> 1];
}

export interface FlagState {
  lazy: number;
  op: number;
  bits: number;
  rot: number;
  /** the rotate that set `rot`: ROL (else ROR) */
  rol: boolean;
  dead: number;
  base: "mem" | "canon";
  /** memory holds exactly this state: a flush writes nothing */
  memCurrent: boolean;
}

/** The locals flags use (function-wide). */
export interface FlagLocals {
  la: number; lb: number; lres: number;
  lrot: number;
  lop: number; lmask: number; lfl: number;
  /** one 0/1 local per flag, by bit position */
  bit: number[];
}

/** Core entry points flags need (imported functions). */
export interface FlagImports {
  /** () -> CF of the core's state */
  getCF: number;
  /** (cc) -> 1 when it holds for the core's state */
  testCC: number;
  /** () -> EFLAGS of the core's state */
  eflags: number;
  /** () -> void: the core's lazy flags made explicit (FLAGS_LAZY = 0) */
  flatten: number;
}

export class FlagEmitter {
  state: FlagState = FlagEmitter.inMemory();

  constructor(private readonly f: FunctionBody, private readonly l: FlagLocals, private readonly imp: FlagImports) {}

  static inMemory(): FlagState {
    return { lazy: 0, op: 0, bits: 0, rot: 0, rol: true, dead: 0, base: "mem", memCurrent: true };
  }
  /** The state at a block's entry: its live-in flags in the canonical locals. */
  static atBlockEntry(liveIn: number): FlagState {
    return { lazy: 0, op: 0, bits: 0, rot: 0, rol: true, dead: ARITH & ~liveIn, base: "canon", memCurrent: false };
  }
  save(): FlagState { return { ...this.state }; }
  restore(s: FlagState): void { this.state = { ...s }; }
  /** A record ran in the core: its flags are in memory. */
  inCore(): void { this.state = FlagEmitter.inMemory(); }

  /** the flags held by `base` */
  private held(s = this.state): number { return ARITH & ~(s.lazy | s.bits | s.rot | s.dead); }

  // ---- reading ----

  /** push flag `flag` (0/1) */
  read(flag: number): void {
    const { f, l } = this;
    const s = this.state;
    if (s.dead & flag) throw new Error(`translator: flag ${flag.toString(16)} read where it is dead`);
    if (s.lazy & flag) { this.lazyFlag(flag, s.op); return; }
    if (s.bits & flag) { f.get(l.bit[pos(flag)]); return; }
    if (s.rot & flag) { this.rotFlag(flag); return; }
    if (s.base === "canon") { this.canonFlag(flag); return; }
    if (flag === CF) { f.call(this.imp.getCF); return; }
    f.call(this.imp.eflags).i32(pos(flag)).op(Op.i32_shr_u).i32(1).op(Op.i32_and);
  }

  /** push flag `flag` of the lazy op `op` on la/lb/lres (flags.ts lazyCF …, 32-bit) */
  private lazyFlag(flag: number, op: number): void {
    const { f } = this;
    const { la, lb, lres } = this.l;
    switch (flag) {
      case ZF: f.get(lres).op(Op.i32_eqz); return;
      case SF: f.get(lres).i32(31).op(Op.i32_shr_u); return;
      case PF: f.get(lres).i32(0xff).op(Op.i32_and).op(Op.i32_popcnt).i32(1).op(Op.i32_and).i32(1).op(Op.i32_xor); return;
    }
    if (op === LAZY_LOGIC) { f.i32(0); return; }
    switch (flag) {
      case CF:
        if (op === LAZY_ADD) f.get(lres).get(la).op(Op.i32_lt_u); else f.get(la).get(lb).op(Op.i32_lt_u);
        return;
      case AF:
        f.get(la).get(lb).op(Op.i32_xor).get(lres).op(Op.i32_xor).i32(4).op(Op.i32_shr_u).i32(1).op(Op.i32_and);
        return;
      default: // OF
        if (op === LAZY_ADD) f.get(la).get(lres).op(Op.i32_xor).get(lb).get(lres).op(Op.i32_xor).op(Op.i32_and);
        else f.get(la).get(lb).op(Op.i32_xor).get(la).get(lres).op(Op.i32_xor).op(Op.i32_and);
        f.i32(31).op(Op.i32_shr_u);
    }
  }

  /** push CF or OF of the last rotate (shift.ts: ROL CF = bit 0, ROR CF = bit 31; OF = MSB ^ CF / two MSBs) */
  private rotFlag(flag: number): void {
    const { f } = this;
    const r = this.l.lrot;
    if (this.state.rol) {
      if (flag === CF) f.get(r).i32(1).op(Op.i32_and);
      else f.get(r).i32(31).op(Op.i32_shr_u).get(r).i32(1).op(Op.i32_and).op(Op.i32_xor);
    } else {
      if (flag === CF) f.get(r).i32(31).op(Op.i32_shr_u);
      else f.get(r).i32(31).op(Op.i32_shr_u).get(r).i32(30).op(Op.i32_shr_u).op(Op.i32_xor).i32(1).op(Op.i32_and);
    }
  }

  /** push a flag of the canonical locals: lazy (by the op in lop) when lmask has it, else from lfl */
  private canonFlag(flag: number): void {
    const { f } = this;
    const { lop, lmask, lfl } = this.l;
    // lazy value by lop (ADD, SUB or LOGIC)
    if (flag === ZF || flag === SF || flag === PF) {
      this.lazyFlag(flag, LAZY_ADD);
    } else {
      this.lazyFlag(flag, LAZY_ADD);
      this.lazyFlag(flag, LAZY_SUB);
      f.get(lop).i32(LAZY_ADD).op(Op.i32_eq).op(Op.select);
      f.i32(0).get(lop).i32(LAZY_LOGIC).op(Op.i32_ne).op(Op.select);
    }
    f.get(lfl).i32(pos(flag)).op(Op.i32_shr_u).i32(1).op(Op.i32_and);
    f.get(lmask).i32(flag).op(Op.i32_and).op(Op.select);
  }

  /** push 1 when condition `cc` holds (flags.ts testCC) */
  condition(cc: number): void {
    const { f } = this;
    const { la, lb, lres } = this.l;
    const s = this.state;
    const need = ccFlags(cc);
    if ((s.lazy & need) === need && s.op === LAZY_SUB) {
      // after SUB/CMP: the SDM's unsigned/signed comparisons of the operands
      const cmp: Record<number, number> = { 2: Op.i32_lt_u, 3: Op.i32_ge_u, 4: Op.i32_eq, 5: Op.i32_ne, 6: Op.i32_le_u, 7: Op.i32_gt_u, 12: Op.i32_lt_s, 13: Op.i32_ge_s, 14: Op.i32_le_s, 15: Op.i32_gt_s };
      if (cmp[cc] !== undefined) { f.get(la).get(lb).op(cmp[cc]); return; }
    }
    if ((s.lazy & need) === need && s.op === LAZY_LOGIC) {
      // CF = OF = 0: the signed conditions compare the result with 0
      const cmp: Record<number, number> = { 12: Op.i32_lt_s, 13: Op.i32_ge_s, 14: Op.i32_le_s, 15: Op.i32_gt_s, 4: Op.i32_eq, 5: Op.i32_ne, 6: Op.i32_eq, 7: Op.i32_ne };
      if (cmp[cc] !== undefined) { f.get(lres).i32(0).op(cmp[cc]); return; }
    }
    if (s.base === "mem" && (this.held() & need) === need) { f.i32(cc).call(this.imp.testCC); return; }
    switch (cc >> 1) {
      case 0: this.read(OF); break;
      case 1: this.read(CF); break;
      case 2: this.read(ZF); break;
      case 3: this.read(CF); this.read(ZF); f.op(Op.i32_or); break;
      case 4: this.read(SF); break;
      case 5: this.read(PF); break;
      case 6: this.read(SF); this.read(OF); f.op(Op.i32_xor); break;
      default: this.read(ZF); this.read(SF); this.read(OF); f.op(Op.i32_xor); f.op(Op.i32_or); break;
    }
    if (cc & 1) f.op(Op.i32_eqz);
  }

  // ---- writing ----

  /**
   * An op is about to write la/lb/lres and define the flags `def`: the flags it keeps that are
   * live after it (`liveAfter`) and held in la/lb/lres (lazy, or base) move to their bit locals;
   * kept flags not live become dead.
   */
  private keep(def: number, liveAfter: number): void {
    const s = this.state;
    const kept = ARITH & ~def;
    const onLazyLocals = kept & (s.lazy | this.held());
    for (const flag of FLAG_LIST) {
      if (!(onLazyLocals & flag)) continue;
      if (liveAfter & flag) {
        this.read(flag);
        this.f.set(this.l.bit[pos(flag)]);
        s.bits |= flag;
      } else {
        s.dead |= flag;
      }
    }
    s.lazy = 0;
  }

  /**
   * The flags `def` become lazy from `op` (the caller then writes la/lb/lres): ALU ops (def all),
   * INC/DEC (all but CF).
   */
  setLazy(op: number, def: number, liveAfter: number): void {
    this.keep(def, liveAfter);
    const s = this.state;
    s.lazy = def;
    s.op = op;
    s.bits &= ~def;
    s.rot &= ~def;
    s.dead &= ~def;
    s.memCurrent = false;
    if (this.held() !== 0) throw new Error("translator: lazy flags beside base-held flags");
  }

  /** A rotate set CF and OF from its result (the caller stores it in lrot when `rotLive()` says). */
  rotate(rol: boolean, liveAfter: number): void {
    const s = this.state;
    const m = (CF | OF) & liveAfter;
    s.lazy &= ~(CF | OF);
    s.bits &= ~(CF | OF);
    s.dead = (s.dead & ~(CF | OF)) | ((CF | OF) & ~liveAfter);
    s.rot = m;
    s.rol = rol;
    s.memCurrent = false;
  }

  /**
   * A shift set CF, AF, OF to the values in their bit locals (set by the caller for the live ones:
   * `bitLocal`) and PF ZF SF lazily from lres (LAZY_LOGIC).
   */
  shift(liveAfter: number): void {
    const s = this.state;
    const m = (CF | AF | OF) & liveAfter;
    s.lazy = PF | ZF | SF;
    s.op = LAZY_LOGIC;
    s.bits = m;
    s.rot = 0;
    s.dead = (CF | AF | OF) & ~liveAfter;
    s.memCurrent = false;
  }

  bitLocal(flag: number): number { return this.l.bit[pos(flag)]; }

  // ---- to memory and to the canonical locals ----

  /** push the bits|rot flags in `m` in their EFLAGS positions */
  private values(m: number): void {
    const { f } = this;
    let first = true;
    for (const flag of FLAG_LIST) {
      if (!(m & flag)) continue;
      this.read(flag);
      if (pos(flag)) f.i32(pos(flag)).op(Op.i32_shl);
      if (!first) f.op(Op.i32_or);
      first = false;
    }
    if (first) f.i32(0);
  }

  private store(addr: number, value: () => void): void {
    this.f.i32(0); value(); this.f.mem(Op.i32_store, addr, 2);
  }

  /**
   * Write the flags to the core's state (before a record runs in the core, or the function
   * returns). Changes nothing known here: other paths may follow.
   */
  flush(): void {
    const { f, l } = this;
    const s = this.state;
    if (s.memCurrent) return;
    if (s.dead) throw new Error(`translator: flags ${s.dead.toString(16)} dead where they must be written`);
    const held = this.held();
    const own = s.bits | s.rot;
    if (s.lazy || (s.base === "canon" && held === 0)) {
      // every flag from locals: FLAGS gets the explicit ones, FLAGS_LAZY the lazy ones
      this.store(L.S_FLAGS, () => { f.load32At(L.S_FLAGS).i32(~(ARITH & ~s.lazy)).op(Op.i32_and); if (own) { this.values(own); f.op(Op.i32_or); } });
      this.store(L.S_FLAGS_LAZY, () => f.i32(s.lazy));
      if (s.lazy) this.storeLazy(() => f.i32(s.op), s.op !== LAZY_LOGIC);
    } else if (s.base === "mem") {
      // base flags stay as the core has them (lazy or not): set the own ones (flags.ts setCFOF)
      if (own) {
        this.store(L.S_FLAGS, () => { f.load32At(L.S_FLAGS).i32(~own).op(Op.i32_and); this.values(own); f.op(Op.i32_or); });
        this.store(L.S_FLAGS_LAZY, () => f.load32At(L.S_FLAGS_LAZY).i32(~own).op(Op.i32_and));
      }
    } else {
      // the canonical locals, with the own flags over them
      this.store(L.S_FLAGS, () => {
        f.load32At(L.S_FLAGS).i32(~ARITH).op(Op.i32_and).get(l.lfl).i32(held).op(Op.i32_and).op(Op.i32_or);
        if (own) { this.values(own); f.op(Op.i32_or); }
      });
      this.store(L.S_FLAGS_LAZY, () => f.get(l.lmask).i32(held).op(Op.i32_and));
      this.storeLazy(() => f.get(l.lop), true);
    }
  }

  private storeLazy(op: () => void, ab: boolean): void {
    const { l } = this;
    this.store(L.S_LAZY_OP, op);
    if (ab) {
      this.store(L.S_LAZY_A, () => this.f.get(l.la));
      this.store(L.S_LAZY_B, () => this.f.get(l.lb));
    }
    this.store(L.S_LAZY_RES, () => this.f.get(l.lres));
    this.store(L.S_LAZY_SIZE, () => this.f.i32(31));
  }

  /**
   * Load the canonical locals from the core's state. Lazy flags of an op the translation does not
   * compute (ADC, SBB) or of 8/16-bit operands are first made explicit by the core (flatten), which
   * leaves EFLAGS as it was.
   */
  loadCanon(): void {
    const { f, l } = this;
    f.load32At(L.S_FLAGS_LAZY).op(Op.i32_eqz).op(Op.i32_eqz);
    f.load32At(L.S_LAZY_SIZE).i32(31).op(Op.i32_xor).load32At(L.S_LAZY_OP).i32(~6).op(Op.i32_and).op(Op.i32_or);
    f.op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_and).if().call(this.imp.flatten).end();
    f.load32At(L.S_FLAGS).set(l.lfl);
    f.load32At(L.S_FLAGS_LAZY).set(l.lmask);
    f.load32At(L.S_LAZY_OP).set(l.lop);
    f.load32At(L.S_LAZY_A).set(l.la);
    f.load32At(L.S_LAZY_B).set(l.lb);
    f.load32At(L.S_LAZY_RES).set(l.lres);
  }

  /**
   * Emit what makes the canonical locals hold the flags `need` (a block's live-in set) as they are
   * now. Changes nothing known here (the code that follows branches to that block).
   */
  toCanon(need: number): void {
    if (need === 0) return;
    const { f, l } = this;
    const s = this.state;
    if (s.dead & need) throw new Error(`translator: flags ${(s.dead & need).toString(16)} dead where a block needs them`);
    const own = need & (s.bits | s.rot);
    if (need & this.held()) {
      // some come from the base (so nothing is lazy): the canonical locals hold them
      if (s.base === "mem") this.loadCanon();
      if (own) {
        f.get(l.lfl).i32(~own).op(Op.i32_and); this.values(own); f.op(Op.i32_or).set(l.lfl);
        f.get(l.lmask).i32(~own).op(Op.i32_and).set(l.lmask);
      }
      return;
    }
    f.i32(s.lazy).set(l.lmask);
    if (s.lazy) f.i32(s.op).set(l.lop);
    if (own) { this.values(own); f.set(l.lfl); }
  }
}
