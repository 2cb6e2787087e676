// Starting a built PV domain under the hypervisor: the Domain (src/hv/domain.ts) made from what
// the domain builder produced (xen-domain.ts), with the console ring and xenstore ports bound to
// their back ends and the boot stack as the ring-1 stack for bounces until stack_switch
// (XEN-PV-ABI.md §1). runDomain (src/hv/hypervisor.ts) then runs it.
import { Domain } from "../hv/domain.ts";
import type { PvDomain, PvMachine } from "./xen-domain.ts";

export interface StartOptions {
  /** where console output goes (default: stdout) */
  output?: (text: string) => void;
}

export function startPvDomain(pm: PvMachine, built: PvDomain, opts: StartOptions = {}): Domain {
  const d = new Domain(pm.machine, {
    layout: built.layout.name,
    domid: built.domid,
    mfns: built.p2m,
    sharedInfoMfn: built.sharedInfoMfn,
    console: { mfn: built.consoleMfn, evtchn: built.consoleEvtchn },
    storeEvtchn: built.storeEvtchn,
    hvArea: built.hvArea,
    allocFrame: () => pm.frames.allocXenHeap(built.domid),
    output: opts.output,
  });
  d.setKernelStack(built.vcpu.kernelSs, built.vcpu.kernelSp);
  d.vmAssist = built.vcpu.vmAssist;
  return d;
}
