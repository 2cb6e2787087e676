// The core's exports: the host (src/core/machine.ts) drives the CPU through these only.
export { run, interrupt } from "./exec/run";
export { tlbFlush, tlbInvalidatePage, tlbClearNoCode, refreshAccessRights } from "./mmu/tlb";
export { translate } from "./mmu/access";
export { getEflags, setEflags } from "./exec/flags";
export { withDerivedAttr } from "./state";
export { jitSegRefresh } from "./priv/segment";
export { stepRecord, jitNextBlock } from "./exec/run";
export { jitGetCF, jitTestCC, jitEflags, jitFlattenFlags, jitStepRest, jitStepRun, jitCodeStore } from "./exec/translated";
export { finishStringIn } from "./exec/string";
