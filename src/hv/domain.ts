// A PV domain: one vCPU running on a Machine, the state Xen keeps for it (struct domain /
// struct pv_vcpu: trap table, callbacks, kernel stack, virtual IOPL, GDT frames, timers), its
// shared_info page, event channels and the counters --stats reports. The run loop that serves
// its exits is hypervisor.ts.
import type { Machine } from "../core/machine.ts";
import { L } from "../core/layout.gen.ts";
import {
  HYPERVISOR_VIRT_START_CLASSIC, HYPERVISOR_VIRT_START_PAE, SHARED_INFO, VCPU_INFO,
  MACH2PHYS_VIRT_END_PAE, MACH2PHYS_VIRT_END_NONPAE,
} from "./abi.ts";
import { GuestMemory } from "./guest-memory.ts";
import { EventChannels } from "./events.ts";
import { VirtualClock } from "./time.ts";
import { ConsoleBackend } from "./console.ts";
import { Stats } from "./stats.ts";
import { GrantTable } from "./grant-table.ts";
import { Preemption } from "./continuation.ts";
import { DirectTrap } from "./direct-trap.ts";
import { initCoreMirror, fastPathDefault } from "./core-mirror.ts";
import { DOMID_XEN } from "./abi.ts";
import { type Mfn, hex } from "./addr.ts";
import { MachineFrames } from "./frames.ts";
import type { MachToPhys } from "./m2p.ts";
import { PageInfo, PGT } from "./page-info.ts";
import { DirectPaging } from "./mm/validate.ts";
import { checkDescriptor } from "./descriptor-tables.ts";

export type Layout = "pae" | "classic";

/** One trap-table entry (struct trap_info, kept decoded). */
export interface TrapEntry { flags: number; cs: number; address: number }
/** A registered callback (callback_op / set_callbacks). */
export interface Callback { cs: number; eip: number; flags: number }

/** struct pv_vcpu: the guest-visible CPU state the hypervisor virtualizes. */
export class Vcpu {
  constructor(private readonly machine: Machine) {}
  /** trap_ctxt[256]: an entry with address 0 means "no handler" (mirrored: core-mirror.ts) */
  trapTable: (TrapEntry | undefined)[] = new Array(256).fill(undefined);
  // Kept in core state fields, which the core's bounce and iret fast paths use (core-mirror.ts).
  /** stack_switch: the ring-1 stack used when an exception arrives from ring 3 */
  get kernelSs(): number { return this.machine.field(L.S_PV_KERNEL_SS); }
  set kernelSs(v: number) { this.machine.setField(L.S_PV_KERNEL_SS, v); }
  get kernelSp(): number { return this.machine.field(L.S_PV_KERNEL_SP); }
  set kernelSp(v: number) { this.machine.setField(L.S_PV_KERNEL_SP, v); }
  /** virtual IOPL (0-3), set by physdev_op set_iopl or, under architectural_iopl, by iret */
  get iopl(): number { return this.machine.field(L.S_PV_IOPL); }
  set iopl(v: number) { this.machine.setField(L.S_PV_IOPL, v); }
  /** guest-visible CR2: the last page-fault address the hypervisor reported */
  get cr2(): number { return this.machine.field(L.S_PV_CR2); }
  set cr2(v: number) { this.machine.setField(L.S_PV_CR2, v); }
  callbacks: { event?: Callback; failsafe?: Callback; syscall32?: Callback; sysenter?: Callback; nmi?: Callback } = {};
  /** PHYSDEVOP_set_iobitmap: the guest's I/O bitmap (linear address) and the ports it covers */
  iobmp = 0;
  iobmpLimit = 0;
  /** Xen's virtual I/O registers of a domU: the RTC index (port 0x70), PCI CONFIG_ADDRESS (0xcf8) */
  cmosIndex = 0;
  pciCf8 = 0;
  /** guest-visible CR0.TS (fpu_taskswitch, clts) */
  cr0Ts = false;
  gdtFrames: number[] = [];
  gdtEntries = 0;
  /** MMUEXT_SET_LDT: the LDT's linear address and entry count (0: no LDT) */
  ldtBase = 0;
  ldtEntries = 0;
  /** LDT pages mapped into the per-domain window: page index → machine frame (ldt.ts) */
  ldtMapped = new Map<number, number>();
  /** set_timer_op deadline in virtual nanoseconds, or null */
  timerDeadline: bigint | null = null;
  /** SCHEDOP_block: waiting for any event; SCHEDOP_poll: waiting for one of these ports */
  blocked = false;
  pollPorts: number[] | null = null;
  pollDeadline: bigint | null = null;
}

/**
 * The hypervisor's part of the address space, as the domain builder made it (src/hv/hv-area.ts):
 * its L2 slots, which every new top-level table gets, and the per-domain GDT mapping.
 */
export interface HypervisorAreaHooks {
  /** write the hypervisor's slots into the L2 page covering the hypervisor area */
  installInto(l2Mfn: number): void;
  /** map guest GDT page `page` (0-13) to `mfn`, or unmap it */
  mapGdtFrame(page: number, mfn: number | undefined): void;
  /** write per-domain L1 slot `slot` (the LDT window, ldt.ts): a PTE, or 0 to unmap */
  mapPerdomainSlot?(slot: number, pte: number): void;
  /** for the fast system-call path (direct-trap.ts): the per-domain L1, Xen's reserved GDT page */
  readonly perdomainL1?: number;
  readonly gdtReserved?: number;
  readonly layout?: { readonly gdtVirtStart: number; readonly pteBytes: number };
}

export interface DomainConfig {
  layout: Layout;
  /** machine frames the domain owns (its P2M contents) */
  mfns: Iterable<number>;
  /** machine frame of shared_info (Xen-heap page shared with the domain) */
  sharedInfoMfn: number;
  domid?: number;
  /** the PV console ring and the port the guest signals it on (start_info.console.domU) */
  console?: { mfn: number; evtchn: number };
  /** the xenstore ring port (start_info.store_evtchn): bound, but no back end serves it */
  storeEvtchn?: number;
  /** allocates a free machine frame for Xen-heap pages given to the guest (grant table), or null */
  allocFrame?: () => number | null;
  /** where console output goes (default: process.stdout) */
  output?: (text: string) => void;
  /** first linear address of the hypervisor area (default by layout; HV_START_LOW may raise it) */
  hvStart?: number;
  /** the builder's hypervisor area (without it, set_gdt and NEW_BASEPTR touch no mappings) */
  hvArea?: HypervisorAreaHooks;
  /** bounce exceptions and serve HYPERVISOR_iret in the core (default: on unless XENOLITH_PV_FASTPATH=0) */
  coreFastPath?: boolean;
  /**
   * The machine's page_info with the domain's frames typed by the builder (top table pinned).
   * Without it (a hand-built test domain) the domain makes its own over the machine's RAM,
   * owning `mfns` and shared_info, and validates the tables CR3 points at.
   */
  paging?: DirectPaging;
  /** the machine's M2P table (MMU_MACHPHYS_UPDATE), if it has one */
  m2p?: MachToPhys;
  /** the machine's frame allocator, M2P table and page_info (without them memory_op is -ENOSYS) */
  machineMemory?: MachineMemory;
}

/** The machine-wide memory state a domain allocates from (Xen's heap, M2P and frame_table). */
export interface MachineMemory {
  frames: MachineFrames;
  m2p: MachToPhys;
  pageInfo: PageInfo;
}

export type ShutdownReason = "poweroff" | "reboot" | "suspend" | "crash" | "watchdog" | "soft_reset";

/** How a domain ended. */
export interface DomainEnd {
  /** shutdown by the guest (sched_op shutdown) or killed by the hypervisor */
  kind: "shutdown" | "killed";
  reason: ShutdownReason | string;
  /** numeric shutdown code (SHUTDOWN_*) for kind "shutdown" */
  code?: number;
  /** guest EIP when it ended */
  eip: number;
}

export class Domain {
  readonly layout: Layout;
  readonly hvStart: number;
  /** guest segments end here (the end of the read-only M2P): x86_32 Xen's GUEST_SEGMENT_MAX_ADDR */
  readonly segmentEnd: number;
  readonly hvArea?: HypervisorAreaHooks;
  readonly machineMemory?: MachineMemory;
  readonly domid: number;
  readonly mem: GuestMemory;
  readonly vcpu: Vcpu;
  readonly events: EventChannels;
  readonly clock: VirtualClock;
  readonly console?: ConsoleBackend;
  readonly stats = new Stats();
  readonly grants: GrantTable;
  /** hypercall preemption and continuations (continuation.ts) */
  readonly preempt = new Preemption();
  /** the int $0x80 fast path, when the builder's hypervisor area allows it */
  directTrap?: DirectTrap;
  readonly ramBase = L.RAM_BASE;
  readonly sharedInfoMa: number;
  /** vm_assist bits (VMASST_TYPE_*), kept in the core for its fast paths */
  get vmAssist(): number { return this.machine.field(L.S_PV_VM_ASSIST); }
  set vmAssist(v: number) { this.machine.setField(L.S_PV_VM_ASSIST, v); }
  /** set when the domain has ended */
  end: DomainEnd | null = null;
  /** direct paging: page_info of every machine frame and the page-table validator (src/hv/mm) */
  readonly paging: DirectPaging;
  readonly m2p?: MachToPhys;
  /** the frame CR3 holds a type reference on (Xen: v->arch.guest_table) */
  baseMfn: Mfn;
  /** the hypervisor's log (Xen's gdprintk): refused updates, unimplemented requests */
  readonly hvLog: string[] = [];
  private readonly owned: Set<number>;
  readonly output: (text: string) => void;

  constructor(readonly machine: Machine, cfg: DomainConfig) {
    this.layout = cfg.layout;
    this.hvStart = cfg.hvStart ?? (cfg.layout === "pae" ? HYPERVISOR_VIRT_START_PAE : HYPERVISOR_VIRT_START_CLASSIC);
    this.segmentEnd = cfg.layout === "pae" ? MACH2PHYS_VIRT_END_PAE : MACH2PHYS_VIRT_END_NONPAE;
    this.hvArea = cfg.hvArea;
    this.machineMemory = cfg.machineMemory;
    this.domid = cfg.domid ?? 1;
    this.vcpu = new Vcpu(machine);
    for (const f of [L.S_PV_KERNEL_SS, L.S_PV_KERNEL_SP, L.S_PV_IOPL, L.S_PV_CR2, L.S_PV_VM_ASSIST]) machine.setField(f, 0);
    this.owned = new Set(cfg.mfns);
    this.owned.add(cfg.sharedInfoMfn);
    this.sharedInfoMa = cfg.sharedInfoMfn * 4096;
    this.m2p = cfg.m2p;
    this.paging = cfg.paging ?? this.ownPaging(cfg);
    this.paging.log = (msg) => this.logHv(msg);
    this.paging.checkDescriptor = (a, b) => checkDescriptor(this, a, b);
    this.stats.mm = { paging: this.paging.stats, pages: this.paging.pages.stats };
    this.mem = new GuestMemory(machine, this.hvStart);
    this.output = cfg.output ?? ((t) => process.stdout.write(t));
    this.events = new EventChannels(this);
    this.clock = new VirtualClock(this);
    this.clock.publishWallClock();
    this.grants = new GrantTable(this, cfg.allocFrame);
    if (cfg.console) {
      this.console = new ConsoleBackend(this, cfg.console.mfn);
      this.console.port = cfg.console.evtchn;
      this.events.bindBackend(cfg.console.evtchn, () => this.console!.drain());
    }
    if (cfg.storeEvtchn !== undefined) this.events.bindBackend(cfg.storeEvtchn, () => {});
    // Exceptions go to the hypervisor: its fast paths in the core (core-mirror.ts) or an exit
    // (assembly/exec/run.ts takeException); the direct trap may open int $0x80.
    machine.setField(L.S_EXC_POLICY, 2);
    initCoreMirror(this, cfg.coreFastPath ?? fastPathDefault());
    // The vCPU starts with events masked (XEN-PV-ABI.md §1: shared_info).
    this.setVcpuInfoU8(VCPU_INFO.evtchn_upcall_mask, 1);
    this.directTrap = DirectTrap.setup(this, cfg.allocFrame);
    // arch_set_info_guest: CR3 holds a type reference on the top-level table (validating it)
    this.baseMfn = (machine.field(L.S_CR3) >>> 12) as Mfn;
    const rc = this.paging.getPageAndTypeFromMfn(this.baseMfn, this.rootType, this.domid);
    if (rc) throw new Error(`domain ${this.domid}: the top-level table ${hex(this.baseMfn)} does not validate (${rc}): ${this.hvLog.join("; ")}`);
  }

  /** The page type of a top-level table: L3 (PAE) or L2 (classic). */
  get rootType(): number { return this.layout === "pae" ? PGT.l3 : PGT.l2; }

  /** A hand-built domain's page_info: its frames claimed from a pool over the machine's RAM. */
  private ownPaging(cfg: DomainConfig): DirectPaging {
    const frames = new MachineFrames(this.machine.ramBytes / 4096);
    const pages = new PageInfo(frames);
    const mfns = [...this.owned].filter((f) => f !== cfg.sharedInfoMfn);
    frames.setMax(this.domid, mfns.length);
    for (const f of mfns) { frames.claim(f as Mfn, this.domid); pages.assign(f as Mfn); }
    frames.claim(cfg.sharedInfoMfn as Mfn, this.domid, true);
    pages.share(cfg.sharedInfoMfn as Mfn);
    return new DirectPaging(this.machine, pages, this.layout === "pae", this.hvStart, this.hvArea);
  }

  logHv(msg: string): void { this.hvLog.push(msg); }

  /** stack_switch: the ring-1 stack for exceptions and direct traps from ring 3 */
  setKernelStack(ss: number, sp: number): void {
    this.vcpu.kernelSs = ss & 0xffff;
    this.vcpu.kernelSp = sp >>> 0;
    this.directTrap?.syncStack();
  }

  ownsMfn(mfn: number): boolean { return this.owned.has(mfn >>> 0); }
  /** A frame allocated to the domain (memory_op) / returned to the free pool. */
  adoptFrame(mfn: number): void { this.owned.add(mfn >>> 0); }
  forgetFrame(mfn: number): void { this.owned.delete(mfn >>> 0); }
  /** A Xen-heap frame: zeroed; shared with the guest (it may map it, e.g. the grant table) or not. */
  adoptXenFrame(mfn: number, shared = true): void {
    this.machine.writePhys(mfn * 4096, new Uint8Array(4096));
    // share_xen_page_with_guest: a frame the guest may map writable (page_info: writable, pinned
    // by the hypervisor); an unshared one is the hypervisor's (DOMID_XEN to page_info)
    const f = (mfn >>> 0) as Mfn, pages = this.paging.pages;
    if (f < pages.frameCount && pages.refCount(f) === 0) {
      if (pages.frames.isFree(f)) pages.frames.claim(f, shared ? this.domid : DOMID_XEN, true);
      if (shared) pages.share(f);
    }
    if (shared) this.owned.add(mfn >>> 0);
  }

  // ---- machine memory (the hypervisor's own mappings: not through the guest's page tables) ----
  private get dv(): DataView { return this.machine.core.dv; }
  readMachineU32(ma: number): number { return this.dv.getUint32(L.RAM_BASE + ma, true); }
  writeMachineU32(ma: number, v: number): void {
    this.dv.setUint32(L.RAM_BASE + ma, v >>> 0, true);
    this.machine.invalidateCode(ma >>> 12);
  }
  writeMachineU64(ma: number, lo: number, hi: number): void {
    this.writeMachineU32(ma, lo);
    this.writeMachineU32(ma + 4, hi);
  }

  // ---- shared_info / vcpu_info (vCPU 0) ----
  sharedU8(off: number): number { return this.machine.u8[L.RAM_BASE + this.sharedInfoMa + off]; }
  setSharedU8(off: number, v: number): void { this.machine.u8[L.RAM_BASE + this.sharedInfoMa + off] = v; }
  sharedU32(off: number): number { return this.readMachineU32(this.sharedInfoMa + off); }
  setSharedU32(off: number, v: number): void { this.dv.setUint32(L.RAM_BASE + this.sharedInfoMa + off, v >>> 0, true); }
  vcpuInfoU8(off: number): number { return this.sharedU8(SHARED_INFO.vcpu_info + off); }
  setVcpuInfoU8(off: number, v: number): void { this.setSharedU8(SHARED_INFO.vcpu_info + off, v); }
  get upcallMask(): boolean { return this.vcpuInfoU8(VCPU_INFO.evtchn_upcall_mask) !== 0; }
  set upcallMask(m: boolean) { this.setVcpuInfoU8(VCPU_INFO.evtchn_upcall_mask, m ? 1 : 0); }
  get upcallPending(): boolean { return this.vcpuInfoU8(VCPU_INFO.evtchn_upcall_pending) !== 0; }

  // ---- CPU state helpers ----
  get cpl(): number { return this.machine.field(L.S_CPL); }
  flushTlb(): void { this.machine.core.exports.tlbFlush(0); }
  invlpg(lin: number): void { this.machine.core.exports.tlbInvalidatePage(lin >>> 12); }

  /** The domain dies (domain_crash): the emulator keeps running and reports it. */
  kill(why: string): void {
    if (this.end) return;
    this.end = { kind: "killed", reason: why, eip: this.machine.eip };
  }
  shutdown(reason: ShutdownReason | string, code: number): void {
    if (this.end) return;
    this.end = { kind: "shutdown", reason, code, eip: this.machine.eip };
  }
}
