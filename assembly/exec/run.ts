// The run loop: find the decoded block at CS:EIP, execute its records, repeat until something
// needs the host (an exit reason). Decoding happens in the host (src/decode): a missing block is
// the DECODE_MISS exit, after which the host writes the block and calls run() again.
import {
  S_EIP, S_INSTR_EIP, S_MODE, S_INSNS, S_BUDGET_END, S_HALTED, S_EXIT_REASON, S_EXIT_ARG,
  S_EXIT_COUNTS, S_FETCH_LIN, S_FETCH_PHYS, S_BLOCK_STALE, S_CUR_BLOCK_PAGE, S_CUR_BLOCK_PAGE2,
  S_BLOCKS_RUN, S_EXC_KIND, S_EXC_POLICY, S_CPL,
  BLOCK_HASH_BASE, BLOCK_HASH_SIZE, BLOCKS_BASE, BLK_SIZE, BLK_PHYS, BLK_MODE, BLK_GEN, BLK_PAGE2,
  BLK_GEN2, BLK_FIRST, BLK_COUNT, RECORDS_BASE, REC_SIZE, REC_LEN, REC_END, PAGE_GEN_BASE,
  EXIT_NONE, EXIT_BUDGET, EXIT_DECODE_MISS, EXIT_EXCEPTION, EXIT_HLT, EXIT_INTERNAL, EXIT_INTERRUPT,
  SR_CS, S_INTR_PENDING, S_FLAGS, S_INTR_SHADOW, S_EXC_VECTOR, S_SOFT_INT_DIRECT, S_JIT_THRESHOLD, S_JIT_QUEUE_COUNT, BLOCK_JIT_BASE,
  JIT_QUEUE_BASE, JIT_QUEUE_SIZE,
} from "../layout";
import { pending, clearPending, gp, raise, KIND_FAULT, KIND_EXTERNAL, KIND_SOFT } from "../priv/exception";
import { deliverPending, deliverDirect } from "../priv/interrupt";
import { translate, translateFetch, fetchHitsPage, countHit } from "../mmu/access";
import { ACC_FETCH, ACC_USER, NO_MA } from "../mmu/walk";
import { segBase, segLimit } from "../state";
import {
  dispatch, dispatchRegs, dispatchBranch, dispatchOther, OP_REGS_FIRST, OP_REGS_END, OP_BRANCH_END,
} from "./dispatch";
import { IF } from "./flags";
// the PV hypervisor's exception bouncing and iret in the core (EXC_POLICY 2)
import { pvException } from "../hv/bounce";

export const NO_PAGE: u32 = 0xFFFFFFFF;
/** MODE bit 0: the code segment is 32-bit (CS.D) */
export const MODE_D32: u32 = 1;

// The translation tier (src/translate): BLOCK_JIT holds, per block, how often it was entered, or
// JIT_QUEUED / JIT_NEVER, or JIT_COMPILED | the index of its translation in the function table the
// core imports. A translation is called with the block's address and returns what run() does next:
// EXIT_NONE (go on), an exit reason, or JIT_INTERPRET (run this entry in the loop below).
export const JIT_OFF: u32 = 0xFFFFFFFF;
export const JIT_COMPILED: u32 = 0x80000000;
export const JIT_QUEUED: u32 = 0x7FFFFFFE;
export const JIT_NEVER: u32 = 0x7FFFFFFF;
export const JIT_INTERPRET: u32 = 0xFFFFFFFF;
/** stepRecord: the block goes on with its next record */
export const STEP_NEXT: u32 = 0x100;

/** Set by handlers that need the host after the current instruction retires (I/O, HLT, ...). */
let exitRequest: u32 = EXIT_NONE;

/** Ask run() to return `reason` once the current instruction has retired. */
export function requestExit(reason: u32, arg0: u32): void {
  exitRequest = reason;
  store<u32>(S_EXIT_ARG, arg0);
}

/** True once a handler asked for an exit (checked by code that runs handlers' helpers itself). */
export function exitRequested(): bool { return exitRequest != EXIT_NONE; }

/** An exit the core owes the host from outside run() (interrupt() failing): returned next run(). */
let deferredExit: u32 = EXIT_NONE;
/** Set by a handler that stopped part-way through its work (see resumeLater). */
let resumeRequest: bool = false;

/**
 * The current instruction stopped part-way and must run again: EIP goes back to it and it does
 * not retire yet. The run loop then checks interrupts and the budget before it runs again, as
 * the CPU does between iterations of a REP string instruction (SDM Vol. 2, REP: "interrupts
 * are recognised between iterations"). The handler has already committed the iterations it
 * did (ECX/ESI/EDI), so the state is precise. A requestExit() in the same instruction still
 * exits (string I/O: one port access per exit).
 */
export function resumeLater(): void { resumeRequest = true; }

function exitWith(reason: u32): u32 {
  store<u32>(S_EXIT_REASON, reason);
  const at = S_EXIT_COUNTS + (reason << 3);
  store<u64>(at, load<u64>(at) + 1);
  return reason;
}

@inline export function blockSlot(ma: u32, mode: u32): u32 {
  return ((ma ^ (mode << 28)) * 0x9E3779B1) >>> (32 - 16);
}

@inline function pageGen(mpn: u32): u32 { return load<u32>(mpn << 2, PAGE_GEN_BASE); }

/**
 * The block for the current CS:EIP, or 0: with an exception pending (fetch #PF, #GP for EIP past
 * the CS limit) or, without one, a decode miss (FETCH_LIN / FETCH_PHYS say where).
 */
@inline function findBlock(): usize {
  const eip = load<u32>(S_EIP);
  // SDM Vol. 3, 5.3: fetching beyond the CS limit raises #GP(0).
  if (eip > segLimit(SR_CS)) { gp(0); return 0; }
  const lin = segBase(SR_CS) + eip;
  const acc = ACC_FETCH | (load<u32>(S_CPL) == 3 ? ACC_USER : 0);
  const ma = translateFetch(lin, acc);
  if (ma == NO_MA && pending) return 0;
  const mode = load<u32>(S_MODE);
  const idx = load<u32>(blockSlot(ma, mode) << 2, BLOCK_HASH_BASE);
  if (idx != 0) {
    const b: usize = BLOCKS_BASE + (idx - 1) * BLK_SIZE;
    if (load<u32>(b, BLK_PHYS) == ma && load<u32>(b, BLK_MODE) == mode &&
        load<u32>(b, BLK_GEN) == pageGen(ma >>> 12)) {
      const page2 = load<u32>(b, BLK_PAGE2);
      if (page2 == NO_PAGE) return b;
      // A page-crossing instruction: its second page must still map to the same machine page.
      if (load<u32>(b, BLK_GEN2) == pageGen(page2)) {
        const ma2 = translate((lin | 0xFFF) + 1, acc);
        if (ma2 == NO_MA && pending) return 0;
        if ((ma2 >>> 12) == page2) return b;
      }
    }
  }
  store<u32>(S_FETCH_LIN, lin);
  store<u32>(S_FETCH_PHYS, ma);
  return 0;
}

/**
 * Block `b`, found at linear address `lin` in MODE `mode`, ran all its records and branched back
 * to its own start: what findBlock would return now, without the lookup — `b` while CS (base,
 * limit), MODE, the code page's generation and the fetch's TLB entry are unchanged (the block
 * cache itself changes only when the host decodes, between run() calls), else 0 (findBlock).
 */
@inline function sameBlockAgain(b: usize, lin: u32, mode: u32): usize {
  const eip = load<u32>(S_EIP);
  if (load<u32>(b, BLK_PAGE2) != NO_PAGE || eip > segLimit(SR_CS) || segBase(SR_CS) + eip != lin ||
      load<u32>(S_MODE) != mode) return 0;
  const mpn = load<u32>(b, BLK_PHYS) >>> 12;
  if (load<u32>(b, BLK_GEN) != pageGen(mpn)) return 0;
  return fetchHitsPage(lin, ACC_FETCH | (load<u32>(S_CPL) == 3 ? ACC_USER : 0), mpn) ? b : 0;
}

/**
 * An exception is pending: put EIP where the exception says and deliver it, or exit to the host.
 * Returns an exit reason, or EXIT_NONE when the core delivered it and execution goes on.
 */
function takeException(): u32 {
  clearPending();
  if (load<u32>(S_EXC_KIND) == KIND_FAULT) store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
  const policy = load<u32>(S_EXC_POLICY);
  if (policy == 0) return EXIT_EXCEPTION;
  if (policy == 2) {
    // PV guests: a software INT n the hypervisor opened (SOFT_INT_DIRECT) goes through the IDT
    // with no hypervisor exit — Xen's int $0x80 direct trap; the common exceptions and
    // HYPERVISOR_iret are served by the hypervisor's fast paths in the core (hv/bounce.ts);
    // everything else exits to the hypervisor.
    const v = load<u32>(S_EXC_VECTOR);
    if (load<u32>(S_EXC_KIND) == KIND_SOFT && (load<u32>(S_SOFT_INT_DIRECT + ((v >> 5) << 2)) & (1 << (v & 31)))) return deliverDirect();
    return pvException() ? EXIT_NONE : EXIT_EXCEPTION;
  }
  return deliverPending();
}

/**
 * The host acknowledged its interrupt controller after EXIT_INTERRUPT: deliver external
 * interrupt `vector` at the current instruction boundary (SDM Vol. 3, 6.8.1). An exit it
 * causes (triple fault, unsupported case; with EXC_POLICY 0, the interrupt itself) is
 * returned by the next run().
 */
export function interrupt(vector: u32): void {
  store<u32>(S_HALTED, 0);
  store<u32>(S_INSTR_EIP, load<u32>(S_EIP));
  raise(vector & 0xFF, 0, false, KIND_EXTERNAL);
  exitRequest = EXIT_NONE;
  const x = takeException();
  if (x != EXIT_NONE) deferredExit = x;
}

/**
 * One record executed exactly as run() executes it, for translated code (which keeps EIP and
 * INSNS in memory around the call, and enters a block only without an interrupt shadow):
 * STEP_NEXT when the block goes on with its next record, else what run() must do: EXIT_NONE
 * (the block ends: stale code, an instruction to resume, an exception the core delivered) or
 * an exit reason.
 */
export function stepRecord(rec: usize): u32 { return stepOne(rec); }

/** stepRecord's body, inlined into the core's loops over records for translated code (translated.ts). */
@inline export function stepOne(rec: usize): u32 {
  const e = load<u32>(S_EIP);
  store<u32>(S_INSTR_EIP, e);
  const next = e + load<u8>(rec, REC_LEN);
  store<u32>(S_EIP, (load<u32>(S_MODE) & MODE_D32) != 0 ? next : next & 0xFFFF);
  dispatch(rec);
  const insns = load<u64>(S_INSNS);
  if (pending) {
    resumeRequest = false;
    if (load<u32>(S_EXC_KIND) != KIND_FAULT) store<u64>(S_INSNS, insns + 1);
    return takeException();
  }
  if (resumeRequest) {
    resumeRequest = false;
    store<u32>(S_BLOCK_STALE, 0);
    store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
    return exitRequest;
  }
  store<u64>(S_INSNS, insns + 1);
  if (exitRequest != EXIT_NONE) return exitRequest;
  if (load<u32>(S_BLOCK_STALE)) { store<u32>(S_BLOCK_STALE, 0); return EXIT_NONE; }
  return STEP_NEXT;
}

/** The handler classes of dispatch.ts (one unsigned comparison each; 0 and 1 are in neither). */
@inline function isRegsOnly(op: u32): bool { return op - OP_REGS_FIRST < OP_REGS_END - OP_REGS_FIRST; }
@inline function isNearBranch(op: u32): bool { return op - OP_REGS_END < OP_BRANCH_END - OP_REGS_END; }

/** runBlocks' answers besides an exit reason and EXIT_NONE (run() looks up the next block). */
/** The block branched to its own start: run() runs it again without a lookup (sameBlockAgain). */
const RUN_AGAIN: u32 = 0xFFFFFFFF;
/** runBlocks looked up the next block and found none (findBlock returned 0). */
const RUN_NO_BLOCK: u32 = 0xFFFFFFFE;
/** runBlocks found the next block (in jitFound, not entered), one the translation tier may run. */
const RUN_FOUND: u32 = 0xFFFFFFFD;

/** The translation tier will never translate block `b` (BLOCK_JIT JIT_NEVER): the interpreter may chain through it. */
@inline function interpreterOnly(b: usize): bool {
  return load<u32>(BLOCK_JIT_BASE + ((<u32>(b - BLOCKS_BASE) / BLK_SIZE) << 2)) == JIT_NEVER;
}

/** run()'s checks before a block: INSNS reached the budget, HLT, an interrupt to take. */
@inline function mustStop(insns: u64): bool {
  // External interrupts are recognised at instruction boundaries when IF = 1 (SDM Vol. 3, 6.8.1);
  // they also end HLT. After STI, MOV SS and POP SS they wait one instruction (INTR_SHADOW).
  return insns >= load<u64>(S_BUDGET_END) || load<u32>(S_HALTED) != 0 ||
    (load<u32>(S_INTR_PENDING) != 0 && (load<u32>(S_FLAGS) & IF) != 0 && load<u32>(S_INTR_SHADOW) == 0);
}

/**
 * What jitNextBlock found for run() when its translation did not go on there: the block (not yet
 * entered), or that findBlock returned 0 (a fault pending or a decode miss). run() takes them after
 * the translation returns, as it takes runBlocks' RUN_AGAIN / RUN_NO_BLOCK.
 */
let jitFound: usize = 0;
let jitLookedUp = false;

/**
 * For translated code whose block ended in the core (its last record ran and the block goes on): do what run() does between blocks — its checks (mustStop), findBlock — and when that
 * finds block `x` (a block of the translation's region with `count` records) and the run loop
 * would run all of it in its translation (no interrupt shadow, the budget does not end inside it),
 * enter it (enterBlock) and return 1: the translation goes on at x. Otherwise return 0 with what
 * was found kept for run(), so nothing is looked up or counted twice; the translation returns
 * EXIT_NONE.
 */
export function jitNextBlock(x: usize, count: u32): u32 {
  if (mustStop(load<u64>(S_INSNS))) return 0;
  const b = findBlock();
  if (b == x && load<u32>(S_INTR_SHADOW) == 0 && load<u64>(S_INSNS) + <u64>(count - 1) < load<u64>(S_BUDGET_END)) {
    enterBlock(b);
    return 1;
  }
  if (b == 0) jitLookedUp = true;
  else jitFound = b;
  return 0;
}

/** run()'s per-block counters for block `b`, about to run. */
@inline function enterBlock(b: usize): void {
  store<u64>(S_BLOCKS_RUN, load<u64>(S_BLOCKS_RUN) + 1);
  store<u32>(S_CUR_BLOCK_PAGE, load<u32>(b, BLK_PHYS) >>> 12);
  store<u32>(S_CUR_BLOCK_PAGE2, load<u32>(b, BLK_PAGE2));
}

/**
 * Execute the records of block `b` (found for the current CS:EIP and entered), and with `chain`
 * (no translation tier) go on with the blocks after it, doing what run() does between blocks,
 * until one needs run(). Returns an exit reason, EXIT_NONE (run() looks up the next block),
 * RUN_AGAIN or RUN_NO_BLOCK.
 *
 * Registers-only records (dispatch.ts OP_REGS_END, forms' `registersOnly`) run without any
 * bookkeeping: EIP, INSTR_EIP and INSNS follow from the record's place in the block (REC_END,
 * its index) and are written before any other record runs and when the block ends, so every
 * handler that can fault, exit or read them sees them current. Near branches (OP_BRANCH_END)
 * need EIP only. A block stops early where the budget ends inside it, and after its first
 * instruction under an interrupt shadow.
 *
 * A block that ran to its end and branched back to its own start runs again without a lookup
 * (sameBlockAgain). When it holds only registers-only records and near branches, the first
 * sameBlockAgain stays true (CS, MODE, CPL, the TLB and code pages are untouched by those
 * records), so later rounds only count the fetch's TLB hit, as sameBlockAgain does.
 */
function runBlocks(b: usize, chain: bool, jit: bool): u32 {
  const budgetEnd = load<u64>(S_BUDGET_END);
  while (true) {
    // with the translation tier, only through blocks it never translates (run() counts the others)
    const chainHere = chain || (jit && interpreterOnly(b));
    const first: usize = RECORDS_BASE + load<u32>(b, BLK_FIRST) * REC_SIZE;
    const count = load<u32>(b, BLK_COUNT);
    const recEnd = first + count * REC_SIZE;
    const mode = load<u32>(S_MODE);
    const eipMask: u32 = (mode & MODE_D32) != 0 ? 0xFFFFFFFF : 0xFFFF;
    const eip0 = load<u32>(S_EIP);
    const lin = segBase(SR_CS) + eip0;
    let insns0 = load<u64>(S_INSNS); // INSNS before the block's first record
    let simple = true; // only registers-only records and near branches ran
    let verified = false;
    let insns: u64;
    while (true) {
      // how many records may run (INSNS is below BUDGET_END); an interrupt shadow covers the
      // first instruction of the block only
      const left: u64 = load<u32>(S_INTR_SHADOW) != 0 ? 1 : budgetEnd - insns0;
      store<u32>(S_INTR_SHADOW, 0);
      const recStop = left < <u64>count ? first + <usize>left * REC_SIZE : recEnd;
      let rec = first;
      for (; rec < recStop; rec += REC_SIZE) {
        const op = <u32>load<u16>(rec);
        if (isRegsOnly(op)) {
          dispatchRegs(rec, op);
          continue;
        }
        const next = (eip0 + load<u16>(rec, REC_END)) & eipMask;
        const at = insns0 + <u64>((rec - first) / REC_SIZE);
        if (isNearBranch(op)) {
          store<u32>(S_EIP, next);
          dispatchBranch(rec, op);
          store<u32>(S_INSTR_EIP, (next - load<u8>(rec, REC_LEN)) & eipMask);
          if (pending) { // #GP(0): a target beyond the CS limit
            store<u64>(S_INSNS, at);
            return takeException();
          }
          continue;
        }
        simple = false;
        store<u32>(S_INSTR_EIP, (next - load<u8>(rec, REC_LEN)) & eipMask);
        store<u32>(S_EIP, next);
        store<u64>(S_INSNS, at); // current for RDTSC / RDMSR(TSC)
        dispatchOther(rec, op);
        // one test for the common case: nothing raised, requested or made stale
        if ((<u32>pending | <u32>resumeRequest | exitRequest | load<u32>(S_BLOCK_STALE)) != 0) {
          if (pending) {
            resumeRequest = false;
            // INT n, INT3, INTO retire
            store<u64>(S_INSNS, load<u32>(S_EXC_KIND) != KIND_FAULT ? at + 1 : at);
            return takeException();
          }
          if (resumeRequest) {
            // not retired: back to the instruction, through the interrupt and budget checks
            resumeRequest = false;
            store<u32>(S_BLOCK_STALE, 0);
            store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
            return exitRequest;
          }
          store<u64>(S_INSNS, at + 1);
          if (exitRequest != EXIT_NONE) return exitRequest;
          store<u32>(S_BLOCK_STALE, 0);
          return EXIT_NONE;
        }
      }
      // EIP and INSTR_EIP are in memory unless the last record was registers-only
      const last = rec - REC_SIZE;
      let e: u32;
      if (isRegsOnly(load<u16>(last))) {
        e = (eip0 + load<u16>(last, REC_END)) & eipMask;
        store<u32>(S_EIP, e);
        store<u32>(S_INSTR_EIP, (e - load<u8>(last, REC_LEN)) & eipMask);
      } else {
        e = load<u32>(S_EIP);
      }
      insns = insns0 + <u64>((rec - first) / REC_SIZE);
      store<u64>(S_INSNS, insns);
      // again only when the whole block ran and the budget (or a shadow) did not stop it there
      if (rec != recEnd || left <= <u64>count || e != eip0) break;
      if (simple && verified) {
        countHit(); // the fetch's TLB hit, as sameBlockAgain counts it
      } else {
        if (!sameBlockAgain(b, lin, mode)) break;
        if (!chainHere) return RUN_AGAIN;
        verified = true;
      }
      if (mustStop(insns)) return RUN_AGAIN;
      store<u64>(S_BLOCKS_RUN, load<u64>(S_BLOCKS_RUN) + 1);
      insns0 = insns;
    }
    // the next block, as run() finds it
    if (!chainHere || mustStop(insns)) return EXIT_NONE;
    b = findBlock();
    if (b == 0) return RUN_NO_BLOCK;
    if (jit && !interpreterOnly(b)) {
      jitFound = b; // run() enters it (counting it, calling its translation)
      return RUN_FOUND;
    }
    enterBlock(b);
  }
}

/** Execute until an exit. Returns the exit reason (also in EXIT_REASON). */
export function run(): u32 {
  exitRequest = EXIT_NONE;
  if (deferredExit != EXIT_NONE) {
    const x = deferredExit;
    deferredExit = EXIT_NONE;
    return exitWith(x);
  }
  resumeRequest = false;
  if (pending) {
    // Raised while the host was decoding (a fetch fault on the second page of an instruction).
    store<u32>(S_INSTR_EIP, load<u32>(S_EIP));
    const x = takeException();
    if (x != EXIT_NONE) return exitWith(x);
  }
  let found: usize = 0; // a block runBlocks found or ran again, not yet run
  let lookedUp = false;  // runBlocks' findBlock returned 0
  while (true) {
    // the checks of mustStop()
    if (load<u64>(S_INSNS) >= load<u64>(S_BUDGET_END)) return exitWith(EXIT_BUDGET);
    if (load<u32>(S_INTR_PENDING) && (load<u32>(S_FLAGS) & IF) && !load<u32>(S_INTR_SHADOW)) {
      store<u32>(S_HALTED, 0);
      return exitWith(EXIT_INTERRUPT);
    }
    if (load<u32>(S_HALTED)) return exitWith(EXIT_HLT);
    const b = found != 0 ? found : lookedUp ? 0 : findBlock();
    found = 0;
    lookedUp = false;
    if (b == 0) {
      if (pending) {
        store<u32>(S_INSTR_EIP, load<u32>(S_EIP));
        const x = takeException();
        if (x != EXIT_NONE) return exitWith(x);
        continue;
      }
      return exitWith(EXIT_DECODE_MISS);
    }
    enterBlock(b);
    const threshold = load<u32>(S_JIT_THRESHOLD);
    if (threshold != JIT_OFF) {
      const bi = <u32>(b - BLOCKS_BASE) / BLK_SIZE;
      const jit = BLOCK_JIT_BASE + (bi << 2);
      const j = load<u32>(jit);
      if (j & JIT_COMPILED) {
        const x = call_indirect<u32>(j & ~JIT_COMPILED, b);
        if (x != JIT_INTERPRET) {
          // the next block, if the translation looked it up (jitNextBlock)
          found = jitFound;
          lookedUp = jitLookedUp;
          jitFound = 0;
          jitLookedUp = false;
          if (x != EXIT_NONE) return exitWith(x);
          continue;
        }
      } else if (j < JIT_QUEUED) {
        const n = load<u32>(S_JIT_QUEUE_COUNT);
        if (j >= threshold && n < (JIT_QUEUE_SIZE >> 2)) {
          // hot: the host translates the queue when run() next returns (batched into one module)
          store<u32>(JIT_QUEUE_BASE + (n << 2), bi);
          store<u32>(S_JIT_QUEUE_COUNT, n + 1);
          store<u32>(jit, JIT_QUEUED);
        } else {
          store<u32>(jit, j + 1);
        }
      }
    }
    const x = runBlocks(b, threshold == JIT_OFF, threshold != JIT_OFF);
    if (x == RUN_AGAIN) found = b;
    else if (x == RUN_NO_BLOCK) lookedUp = true;
    else if (x == RUN_FOUND) {
      found = jitFound;
      jitFound = 0;
    }
    else if (x != EXIT_NONE) return exitWith(x);
  }
  return EXIT_NONE;
}
