// The PV domain builder: everything a Xen x86_32 PV kernel finds at its first instruction
// (XEN-PV-ABI.md §1; Xen's libxc xc_dom_* builder, whose order of pages it keeps).
//
// Memory. The domain gets nr_pages machine frames from the scattered pool (frames.ts), one per
// pseudo-physical frame 0 .. nr_pages-1, recorded in the P2M list (pfn → mfn) and in the machine's
// M2P table (mfn → pfn). Pseudo-physical frames are laid out from virt_base, so in the initial
// mappings virt = virt_base + (pfn << 12):
//
//   virt_kstart .. virt_kend   the kernel's PT_LOAD segments (.bss zeroed), hypercall page filled
//   then, page-aligned:        P2M list (u32 mfn[nr_pages]; start_info.mfn_list)
//                              start_info (ESI at entry)
//                              xenstore ring page, console ring page (xencons_interface)
//                              initial page tables (xen-pagetables.ts; start_info.pt_base)
//                              one boot-stack page (ESP = its top)
//   mapped_end                 round_up(boot stack end + 512 KiB, 4 MiB); everything from virt_base
//                              to there is mapped
//
// Outside the pseudo-physical space: the shared_info page (a xen-heap frame shared with the
// domain; start_info holds its MACHINE address), the M2P table and the hypervisor area's frames.
// Event channels: xenstore on port 1, console on port 2, the ports libxl's alloc_unbound calls
// give a first domU (their remote end is the console/xenstore back end, domain 0's role).
import { Machine } from "../core/machine.ts";
import { SHARED_INFO, VCPU_INFO, XEN_LEGACY_MAX_VCPUS } from "../hv/abi.ts";
import { type Mfn, type Gpfn, type Ma, mfnToMa, PAGE_SIZE, hex } from "../hv/addr.ts";
import { MachineFrames, DEFAULT_FRAME_SEED } from "../hv/frames.ts";
import { MachToPhys } from "../hv/m2p.ts";
import { HypervisorArea } from "../hv/hv-area.ts";
import { PhysMem } from "../hv/phys.ts";
import { buildHypercallPage } from "../hv/hypercall-page.ts";
import { PageInfo, PGT } from "../hv/page-info.ts";
import { DirectPaging } from "../hv/mm/validate.ts";
import { BadImageError } from "./errors.ts";
import type { PvKernel } from "./xen-kernel.ts";
import type { PvLayout } from "./xen-layout.ts";
import { countPageTables, buildInitialPageTables } from "./xen-pagetables.ts";
import { encodeStartInfo, type StartInfo } from "./xen-start-info.ts";
import { initialVcpuState, loadVcpuState, type PvVcpuState } from "./xen-vcpu.ts";

/** The first domU's id (domain 0 being the back ends' notional owner). */
export const DEFAULT_DOMID = 1;
export const STORE_EVTCHN = 1;
export const CONSOLE_EVTCHN = 2;
const MiB = 1 << 20;

/** The domain's memory cannot hold what the builder must put in it. */
export class DomainMemoryError extends BadImageError {
  constructor(message: string) {
    super(message);
    this.name = "DomainMemoryError";
  }
}

/** One page or a run of pages of the initial layout: pseudo-physical frame and virtual address. */
export interface Region {
  pfn: number;
  virt: number;
  pages: number;
}

export interface PvVirtLayout {
  virtBase: number;
  kernel: { start: number; end: number };
  p2m: Region;
  startInfo: Region;
  xenstore: Region;
  console: Region;
  pageTables: Region;
  bootStack: Region;
  stackTop: number;
  /** end of the initial mappings */
  mappedEnd: number;
}

const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

/**
 * Where everything goes (pure arithmetic, no memory touched). Throws DomainMemoryError when
 * nr_pages cannot hold the initial mappings or they would reach the hypervisor area.
 */
export function planVirtLayout(kernel: PvKernel, nrPages: number): PvVirtLayout {
  const { layout, virtBase } = kernel;
  let next = roundUp(kernel.virtKend, PAGE_SIZE);
  const alloc = (pages: number): Region => {
    const r = { pfn: (next - virtBase) / PAGE_SIZE, virt: next, pages };
    next += pages * PAGE_SIZE;
    return r;
  };
  const p2m = alloc(Math.ceil((nrPages * 4) / PAGE_SIZE));
  const startInfo = alloc(1), xenstore = alloc(1), console = alloc(1);
  const ptStart = next;
  // The tables must map themselves: grow their count until it covers the end it implies.
  let ptFrames = 0;
  let mappedEnd = 0;
  for (;;) {
    const stackEnd = ptStart + (ptFrames + 1) * PAGE_SIZE;
    mappedEnd = roundUp(stackEnd + 512 * 1024, 4 * MiB);
    const need = countPageTables(layout, virtBase, mappedEnd).total;
    if (need <= ptFrames) break;
    ptFrames = need;
  }
  const pageTables = alloc(ptFrames);
  const bootStack = alloc(1);
  if (mappedEnd > layout.hvStart) {
    throw new DomainMemoryError(`the initial mappings would end at ${hex(mappedEnd)}, inside the hypervisor area (from ${hex(layout.hvStart)})`);
  }
  const mappedPages = (mappedEnd - virtBase) / PAGE_SIZE;
  if (mappedPages > nrPages) {
    throw new DomainMemoryError(`${nrPages} pages (${(nrPages * PAGE_SIZE) / MiB} MiB) of memory cannot hold the initial mappings: they need ${mappedPages} pages (${hex(virtBase)}..${hex(mappedEnd)})`);
  }
  return {
    virtBase, kernel: { start: kernel.virtKstart, end: kernel.virtKend },
    p2m, startInfo, xenstore, console, pageTables, bootStack, stackTop: bootStack.virt + PAGE_SIZE, mappedEnd,
  };
}

/** The machine-wide pieces a PV domain lives in. */
export interface PvMachine {
  machine: Machine;
  mem: PhysMem;
  frames: MachineFrames;
  m2p: MachToPhys;
  layout: PvLayout;
  /** Xen's page_info for every machine frame */
  pages: PageInfo;
}

/**
 * RAM for a machine running one domain of `nrPages`: the M2P superpage, the domain, the
 * hypervisor's few frames, and an eighth more (at least 1 MiB) so the pool stays scattered.
 */
export function pvRamBytes(layout: PvLayout, nrPages: number): number {
  const domain = nrPages * PAGE_SIZE;
  const spare = Math.max(MiB, domain / 8);
  return roundUp(layout.l1Span + domain + 64 * PAGE_SIZE + spare, MiB);
}

export function createPvMachine(layout: PvLayout, ramBytes: number, seed = DEFAULT_FRAME_SEED): PvMachine {
  const machine = new Machine({ ramBytes });
  const mem = new PhysMem(machine);
  const frames = new MachineFrames(ramBytes / PAGE_SIZE, seed);
  const m2p = new MachToPhys(mem, frames, layout.l1Span);
  return { machine, mem, frames, m2p, layout, pages: new PageInfo(frames) };
}

export interface PvBuildOptions {
  /** nr_pages: the domain's memory in 4 KiB pages */
  nrPages: number;
  cmdline?: string;
  domid?: number;
  /** start_info.flags (SIF_*), default 0: an unprivileged domU */
  flags?: number;
}

/** A built domain: what the hypervisor needs to run it, and the facts tests check. */
export interface PvDomain {
  domid: number;
  kernel: PvKernel;
  layout: PvLayout;
  nrPages: number;
  /** the hypervisor's copy of the P2M: p2m[pfn] = mfn */
  p2m: Uint32Array;
  virt: PvVirtLayout;
  startInfo: StartInfo;
  sharedInfoMfn: Mfn;
  consoleMfn: Mfn;
  storeMfn: Mfn;
  consoleEvtchn: number;
  storeEvtchn: number;
  /** the L3 (PAE) or L2 (classic) the vCPU starts on */
  topTableMfn: Mfn;
  hvArea: HypervisorArea;
  /** the validator the domain's page tables were typed with (top table pinned) */
  paging: DirectPaging;
  vcpu: PvVcpuState;
}

/** Build the domain into a PV machine (memory only; loadVcpuState starts the CPU on it). */
export function buildPvDomain(pm: PvMachine, kernel: PvKernel, opts: PvBuildOptions): PvDomain {
  const { mem, frames, m2p, layout } = pm;
  if (kernel.layout !== layout) throw new Error(`a ${kernel.layout.name} kernel cannot run in a ${layout.name}-layout machine`);
  const nrPages = opts.nrPages;
  if (!Number.isInteger(nrPages) || nrPages <= 0) throw new DomainMemoryError(`bad page count ${nrPages}`);
  const domid = opts.domid ?? DEFAULT_DOMID;
  const virt = planVirtLayout(kernel, nrPages);

  // Frames: one per pseudo-physical frame, from the scattered pool; the P2M and M2P agree.
  frames.setMax(domid, nrPages);
  const got = frames.allocMany(domid, nrPages);
  if (!got) throw new DomainMemoryError(`the machine has ${frames.freeCount} free frames, the domain needs ${nrPages}`);
  const p2m = Uint32Array.from(got);
  got.forEach((f, pfn) => { mem.zeroFrame(f); m2p.set(f, pfn as Gpfn); pm.pages.assign(f); });
  const pfnMfn = (pfn: number): Mfn => {
    if (pfn < 0 || pfn >= nrPages) throw new Error(`pseudo-physical frame ${pfn} is outside the domain (${nrPages} pages)`);
    return p2m[pfn] as Mfn;
  };
  /** write bytes at a virtual address of the initial mappings, page by page */
  const writeVirt = (va: number, data: Uint8Array) => {
    for (let done = 0; done < data.length;) {
      const at = va + done;
      const off = (at - virt.virtBase) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      mem.write((mfnToMa(pfnMfn(Math.floor((at - virt.virtBase) / PAGE_SIZE))) + off) as Ma, data.subarray(done, done + n));
      done += n;
    }
  };

  // The kernel image; .bss is zero because every frame was zeroed.
  for (const seg of kernel.segments) writeVirt(seg.virt, seg.bytes);
  if (kernel.hypercallPage !== undefined) writeVirt(kernel.hypercallPage, buildHypercallPage());

  // The P2M list the guest reads (u32 per pseudo-physical frame).
  writeVirt(virt.p2m.virt, new Uint8Array(p2m.buffer, p2m.byteOffset, p2m.byteLength));

  // shared_info: zeroed, every vCPU's events masked (libxc shared_info_x86_32).
  const sharedInfoMfn = frames.allocXenHeap(domid);
  mem.zeroFrame(sharedInfoMfn);
  pm.pages.share(sharedInfoMfn); // share_xen_page_with_guest(SHARE_rw)
  for (let v = 0; v < XEN_LEGACY_MAX_VCPUS; v++) {
    const at = mfnToMa(sharedInfoMfn) + SHARED_INFO.vcpu_info + v * VCPU_INFO.size + VCPU_INFO.evtchn_upcall_mask;
    mem.write(at as Ma, Uint8Array.of(1));
  }

  // Page tables, with the hypervisor area's slots.
  const hvArea = new HypervisorArea(mem, frames, layout, m2p);
  const topTableMfn = buildInitialPageTables(mem, hvArea, {
    layout, virtBase: virt.virtBase, mappedEnd: virt.mappedEnd, ptPfn: virt.pageTables.pfn, ptFrames: virt.pageTables.pages, p2m: pfnMfn,
  });

  // libxc pins the top-level table (MMUEXT_PIN_L3_TABLE / _L2_TABLE): this types and validates
  // every table under it; the vCPU's CR3 takes its own reference when the domain starts.
  const paging = new DirectPaging(pm.machine, pm.pages, layout.pae, layout.hvStart, hvArea);
  const pinned = pm.pages.pin(topTableMfn, domid, layout.pae ? PGT.l3 : PGT.l2);
  if (pinned !== 0) throw new Error(`the builder's page tables do not validate (${pinned})`);

  const storeMfn = pfnMfn(virt.xenstore.pfn), consoleMfn = pfnMfn(virt.console.pfn);
  const startInfo: StartInfo = {
    magic: layout.magic, nrPages, sharedInfo: mfnToMa(sharedInfoMfn), flags: opts.flags ?? 0,
    storeMfn, storeEvtchn: STORE_EVTCHN, consoleMfn, consoleEvtchn: CONSOLE_EVTCHN,
    ptBase: virt.pageTables.virt, nrPtFrames: virt.pageTables.pages, mfnList: virt.p2m.virt,
    modStart: 0, modLen: 0, cmdLine: opts.cmdline ?? "", firstP2mPfn: 0, nrP2mFrames: 0,
  };
  writeVirt(virt.startInfo.virt, encodeStartInfo(startInfo));

  const vcpu = initialVcpuState(layout, {
    entry: kernel.entry, stackTop: virt.stackTop, startInfoVirt: virt.startInfo.virt, topTable: topTableMfn, paeMode: kernel.paeMode,
  });
  return {
    domid, kernel, layout, nrPages, p2m, virt, startInfo, sharedInfoMfn, consoleMfn, storeMfn,
    consoleEvtchn: CONSOLE_EVTCHN, storeEvtchn: STORE_EVTCHN, topTableMfn, hvArea, paging, vcpu,
  };
}

/** Parse nothing, decide nothing: a machine sized for the kernel, the domain built, vCPU 0 loaded. */
export function bootPvDomain(kernel: PvKernel, opts: PvBuildOptions & { seed?: number; ramBytes?: number }): { pm: PvMachine; domain: PvDomain } {
  const pm = createPvMachine(kernel.layout, opts.ramBytes ?? pvRamBytes(kernel.layout, opts.nrPages), opts.seed);
  const domain = buildPvDomain(pm, kernel, opts);
  loadVcpuState(pm.machine, kernel.layout, domain.vcpu);
  return { pm, domain };
}
