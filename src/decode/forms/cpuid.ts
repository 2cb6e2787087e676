// CPUID (feature set: docs/CPUID.md) and RDTSC.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Cpuid"], reg: "cpuid" },
  { codes: ["Rdtsc"], reg: "rdtsc" },
];
