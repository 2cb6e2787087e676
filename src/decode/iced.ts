// The whole iced-x86 package, loaded with require() when first needed: the formatter for --trace,
// Code names for messages and the PV page-table write emulation. Decoding blocks does not load
// it (iced-wasm.ts binds the decoder directly). require(), not an ES import: importing the
// CommonJS package from an ES module makes Node scan its 900 KB of JavaScript for export names.
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";

let pkg: typeof Iced | undefined;

export function icedPackage(): typeof Iced {
  return (pkg ??= createRequire(import.meta.url)("iced-x86") as typeof Iced);
}

/** iced's name of instruction code `code` (e.g. "Add_rm32_r32"). */
export function codeName(code: number): string | undefined {
  return (icedPackage().Code as unknown as Record<number, string>)[code];
}
