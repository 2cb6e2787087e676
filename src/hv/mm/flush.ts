// TLB flushes a guest asks for (Xen: flush_tlb_local / flush_tlb_mask / flush_tlb_one_mask), on
// the one vCPU. The core's TLB behaves as a real one: without a flush a stale translation may
// survive an update (the guest's business), except across a type change, which flushes
// (page-info.ts), and a CR3 switch.
import type { Domain } from "../domain.ts";

/** vcpumask_to_pcpumask: the guest's vCPU bitmap (one u32 word covers the one vCPU). */
export function vcpuMaskHasSelf(d: Domain, bitmap: number): boolean {
  return (d.mem.readU32(bitmap) & 1) !== 0; // GuestFault: the caller's errno
}

export function flushLocal(d: Domain): void { d.flushTlb(); }
export function invlpgLocal(d: Domain, lin: number): void { d.invlpg(lin); }
