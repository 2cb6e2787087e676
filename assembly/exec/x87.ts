// x87 instructions on a processor without an FPU (CPUID.1:EDX.FPU = 0; docs/CPUID.md). With
// CR0.EM = 1 (the OS emulates the FPU) or CR0.TS = 1, an x87 instruction raises #NM (SDM Vol. 3,
// 6.15 "Interrupt 7", Table 9-1). With EM = 0 and no FPU the SDM defines nothing
// (a 386 waited on the absent coprocessor); this CPU raises #UD, as for the other extensions it
// does not report. WAIT/FWAIT raises #NM only when CR0.MP and CR0.TS are both 1 (SDM Vol. 3,
// Table 9-1); otherwise it has nothing to wait for.
import { S_CR0 } from "../layout";
import { fault, ud, NM } from "../priv/exception";

const CR0_MP: u32 = 1 << 1, CR0_EM: u32 = 1 << 2, CR0_TS: u32 = 1 << 3;

export function x87NoFpu(r: usize): void {
  if (load<u32>(S_CR0) & (CR0_EM | CR0_TS)) fault(NM); else ud();
}

export function fwait(r: usize): void {
  if ((load<u32>(S_CR0) & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) fault(NM);
}
