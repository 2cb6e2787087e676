// Starting a built PV domain under the hypervisor: the Domain (src/hv/domain.ts) made from what
// the domain builder produced (xen-domain.ts), with the console ring and xenstore ports bound to
// their back ends and the boot stack as the ring-1 stack for bounces until stack_switch
// (XEN-PV-ABI.md §1). runDomain (src/hv/hypervisor.ts) then runs it.
import { Domain } from "../hv/domain.ts";
import type { PvDomain, PvMachine } from "./xen-domain.ts";
import type { RunResult } from "../hv/hypervisor.ts";

export interface StartOptions {
  /** where console output goes (default: stdout) */
  output?: (text: string) => void;
}

export function startPvDomain(pm: PvMachine, built: PvDomain, opts: StartOptions = {}): Domain {
  // page_info for every frame (the builder assigned the domain's frames and typed its tables)
  const pageInfo = pm.pages;
  const d = new Domain(pm.machine, {
    layout: built.layout.name,
    domid: built.domid,
    mfns: built.p2m,
    sharedInfoMfn: built.sharedInfoMfn,
    console: { mfn: built.consoleMfn, evtchn: built.consoleEvtchn },
    storeEvtchn: built.storeEvtchn,
    hvArea: built.hvArea,
    paging: built.paging,
    m2p: pm.m2p,
    allocFrame: () => pm.frames.allocXenHeap(built.domid),
    output: opts.output,
    machineMemory: { frames: pm.frames, m2p: pm.m2p, pageInfo },
  });
  // A frame back in the pool (free_heap_pages) is scrubbed and no longer anyone's in the M2P.
  pm.frames.onFree = (f) => {
    pm.mem.zeroFrame(f);
    pm.m2p.clear(f);
    d.forgetFrame(f);
  };
  d.setKernelStack(built.vcpu.kernelSs, built.vcpu.kernelSp);
  d.vmAssist = built.vcpu.vmAssist;
  return d;
}

/**
 * The command's exit status for how a domain ended (issue 4 item 6; README "Exit status"), in the
 * command's scheme, where 2 is bad input and 3 the instruction limit: 0 for poweroff, 1 for a
 * crash (the guest's own SHUTDOWN_crash, or killed by the hypervisor), 3 when the instruction
 * budget ran out first, 16 + the shutdown code for any other reason (17 reboot, 18 suspend,
 * 20 watchdog, 21 soft_reset).
 */
export const STATUS_SHUTDOWN_OTHER = 16;
export function exitStatus(r: RunResult): number {
  if (r.kind === "budget") return 3;
  if (r.kind === "killed") return 1;
  if (r.reason === "poweroff") return 0;
  if (r.reason === "crash") return 1;
  return STATUS_SHUTDOWN_OTHER + (r.code ?? 5);
}

/** One line saying how the domain ended (for the command's stderr). */
export function describeEnd(r: RunResult): string {
  const at = `EIP 0x${(r.eip >>> 0).toString(16)}`;
  if (r.kind === "budget") return `instruction budget used up at ${at}`;
  if (r.kind === "killed") return `domain killed at ${at}: ${r.reason}`;
  return `domain shut down (${r.reason}) at ${at}`;
}
