// Telling a Xen PV kernel from a multiboot one, without the PV domain builder and the hypervisor
// (what `xenolith run` asks of every image before it loads anything else: src/cli/main.ts).
import { parseElf32, type Elf32 } from "./elf.ts";

/** Does this ELF carry Xen's PV notes or the legacy `__xen_guest` section? */
export function isPvKernel(elf: Elf32): boolean {
  return elf.notes.some((n) => n.name === "Xen") || elf.section("__xen_guest") !== undefined;
}

/** Is this a Xen PV kernel (an ELF32 with Xen notes or a __xen_guest section)? */
export function isPvImage(bytes: Uint8Array): boolean {
  try {
    return isPvKernel(parseElf32(bytes));
  } catch {
    return false;
  }
}
