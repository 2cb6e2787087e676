// Hypervisor entries as Xen would count them, apart from the emulator's own exits: hypercalls by
// number, exceptions bounced to the guest by vector, events (ports made pending) and event
// upcalls delivered, instructions emulated for the guest.
import { ERRNO, HYPERCALL } from "./abi.ts";
import type { MmStats } from "./mm/validate.ts";
import type { PageInfo } from "./page-info.ts";

/** Key of failsafe-callback deliveries in Stats.bounces. */
export const FAILSAFE_BOUNCE = 256;

const NAMES = new Map<number, string>(Object.entries(HYPERCALL).map(([k, v]) => [v, k]));

const ERRNO_NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** --stats "mm": page-table entries validated, pins, type changes, failures by errno. */
function mmJson(p: MmStats, pages: PageInfo["stats"]): object {
  return {
    entriesValidated: p.entriesValidated,
    entriesFastPath: p.entriesFastPath,
    machphysUpdates: p.machphysUpdates,
    writableFrameUpdates: p.writableUpdates,
    tableValidations: pages.validations,
    validationFailures: pages.validationFailures,
    typeChanges: pages.typeChanges,
    pins: pages.pins,
    unpins: pages.unpins,
    framesFreed: pages.freed,
    failures: Object.fromEntries([...p.failures].sort((a, b) => a[0] - b[0]).map(([e, n]) => [ERRNO_NAMES.get(e) ?? `errno ${e}`, n])),
  };
}

export class Stats {
  hypercalls = new Map<number, number>();
  bounces = new Map<number, number>();
  events = 0;
  upcalls = 0;
  emulated = 0;
  /** frames allocated to the domain by memory_op (balloon in) / given back by it (balloon out) */
  balloonIn = 0;
  balloonOut = 0;
  /** direct paging's counters (src/hv/mm/validate.ts MmStats, page-info.ts), set by the domain */
  mm?: { paging: MmStats; pages: PageInfo["stats"] };
  /** guest writes to its page tables emulated under writable_pagetables (ptwr) */
  ptwrEmulations = 0;

  countHypercall(nr: number): void { this.hypercalls.set(nr, (this.hypercalls.get(nr) ?? 0) + 1); }
  countBounce(vector: number): void { this.bounces.set(vector, (this.bounces.get(vector) ?? 0) + 1); }
  /** All hypervisor entries: hypercalls, bounced exceptions, emulated instructions (ptwr's too). */
  get entries(): number {
    let n = this.emulated + this.ptwrEmulations;
    for (const c of this.hypercalls.values()) n += c;
    for (const c of this.bounces.values()) n += c;
    return n;
  }

  toJSON(): object {
    const byName = (m: Map<number, number>, name: (k: number) => string) =>
      Object.fromEntries([...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => [name(k), v]));
    return {
      hypervisorEntries: this.entries,
      hypercalls: byName(this.hypercalls, (k) => NAMES.get(k) ?? `#${k}`),
      bounces: byName(this.bounces, (k) => (k === FAILSAFE_BOUNCE ? "failsafe" : `vector ${k}`)),
      events: this.events,
      upcalls: this.upcalls,
      emulatedInstructions: this.emulated,
      balloonFramesIn: this.balloonIn,
      balloonFramesOut: this.balloonOut,
      writablePagetableEmulations: this.ptwrEmulations,
      ...(this.mm ? { mm: mmJson(this.mm.paging, this.mm.pages) } : {}),
    };
  }
}
