// x87 on a processor without a floating-point unit (CPUID.1:EDX.FPU = 0, docs/CPUID.md): every x87
// instruction (iced-x86 Codes named F…, but FXSAVE/FXRSTOR, FEMMS and FISTTP, which belong to
// FXSR, 3DNow! and SSE3) and WAIT/FWAIT.
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import { any, type Form } from "./form.ts";

const { Code } = createRequire(import.meta.url)("iced-x86") as typeof Iced;
const X87 = Object.keys(Code).filter((n) => isNaN(Number(n)) && /^F/.test(n) && !/^Fx|^Femms|^Fisttp/.test(n));

export const forms: Form[] = [
  any(X87, "x87NoFpu"),
  any(["Wait"], "fwait"),
];
