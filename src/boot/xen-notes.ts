// Xen's guest-kernel notes (elfnote.h): ELF notes named "Xen" in PT_NOTE segments, and the older
// `__xen_guest` section string ("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,...").
// Both describe the same facts: where the kernel's virtual addresses start, its entry point,
// the hypercall page, PAE support and required features.
import { ELFNOTE } from "../hv/abi.ts";

export interface XenNotes {
  guestOs?: string;
  guestVersion?: string;
  xenVersion?: string;
  loader?: string;
  /** virtual address the kernel's pseudo-physical address 0 maps to (default 0) */
  virtBase?: number;
  paddrOffset?: number;
  entry?: number;
  hypercallPage?: number;
  /** "yes", "no", "bimodal", "yes,bimodal" */
  paeMode?: string;
  /** feature names, a leading "!" marking a required feature */
  features: string[];
  hvStartLow?: number;
  /** the note kinds seen, for diagnostics */
  seen: number[];
}

export class XenNotesError extends Error {}

const textDecoder = new TextDecoder("latin1");

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return textDecoder.decode(end < 0 ? b : b.subarray(0, end));
}

/** Note descriptors hold a 32- or 64-bit number (Xen accepts both sizes). */
function number(desc: Uint8Array, kind: string): number {
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  if (desc.length === 4) return dv.getUint32(0, true);
  if (desc.length === 8) {
    const v = dv.getBigUint64(0, true);
    if (v > 0xffffffffn) throw new XenNotesError(`Xen note ${kind}: value 0x${v.toString(16)} does not fit a 32-bit guest`);
    return Number(v);
  }
  throw new XenNotesError(`Xen note ${kind}: descriptor of ${desc.length} bytes is not a number`);
}

/**
 * Parse the notes of one PT_NOTE segment (or SHT_NOTE section), adding the "Xen" ones to `into`.
 * Notes are {namesz, descsz, type, name (padded to 4), desc (padded to 4)}.
 */
export function parseXenNotes(bytes: Uint8Array, into: XenNotes = { features: [], seen: [] }): XenNotes {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const pad = (n: number) => (n + 3) & ~3;
  while (off + 12 <= bytes.length) {
    const namesz = dv.getUint32(off, true), descsz = dv.getUint32(off + 4, true), type = dv.getUint32(off + 8, true);
    const nameAt = off + 12, descAt = nameAt + pad(namesz), next = descAt + pad(descsz);
    if (namesz > bytes.length || descsz > bytes.length || next > bytes.length + 3) {
      throw new XenNotesError(`truncated ELF note at offset ${off}`);
    }
    const name = cString(bytes.subarray(nameAt, nameAt + namesz));
    const desc = bytes.subarray(descAt, Math.min(descAt + descsz, bytes.length));
    off = next;
    if (name !== "Xen") continue;
    addXenNote(type, desc, into);
  }
  return into;
}

/** Add one "Xen" note (type, descriptor bytes) to `into`. */
export function addXenNote(type: number, desc: Uint8Array, into: XenNotes): XenNotes {
  into.seen.push(type);
  switch (type) {
    case ELFNOTE.GUEST_OS: into.guestOs = cString(desc); break;
    case ELFNOTE.GUEST_VERSION: into.guestVersion = cString(desc); break;
    case ELFNOTE.XEN_VERSION: into.xenVersion = cString(desc); break;
    case ELFNOTE.LOADER: into.loader = cString(desc); break;
    case ELFNOTE.VIRT_BASE: into.virtBase = number(desc, "VIRT_BASE"); break;
    case ELFNOTE.PADDR_OFFSET: into.paddrOffset = number(desc, "PADDR_OFFSET"); break;
    case ELFNOTE.ENTRY: into.entry = number(desc, "ENTRY"); break;
    case ELFNOTE.HYPERCALL_PAGE: into.hypercallPage = number(desc, "HYPERCALL_PAGE"); break;
    case ELFNOTE.PAE_MODE: into.paeMode = cString(desc); break;
    case ELFNOTE.FEATURES: into.features.push(...cString(desc).split("|").filter((f) => f.length > 0)); break;
    case ELFNOTE.HV_START_LOW: into.hvStartLow = number(desc, "HV_START_LOW"); break;
    default: break; // notes xenolith does not use (BSD_SYMTAB, SUSPEND_CANCEL, ...)
  }
  return into;
}

/** Parse the legacy `__xen_guest` section string into the same record. */
export function parseXenGuestString(s: string, into: XenNotes = { features: [], seen: [] }): XenNotes {
  for (const item of s.replace(/\0.*$/s, "").split(",")) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? "" : item.slice(eq + 1);
    const num = () => {
      const v = Number(value);
      if (!Number.isFinite(v) || v < 0 || v > 0xffffffff) throw new XenNotesError(`__xen_guest: bad number in ${item}`);
      return v;
    };
    switch (key) {
      case "GUEST_OS": into.guestOs = value; break;
      case "GUEST_VER": into.guestVersion = value; break;
      case "XEN_VER": into.xenVersion = value; break;
      case "LOADER": into.loader = value; break;
      case "VIRT_BASE": into.virtBase = num(); break;
      case "ELF_PADDR_OFFSET": into.paddrOffset = num(); break;
      case "VIRT_ENTRY": into.entry = num(); break;
      case "HYPERCALL_PAGE": into.hypercallPage = num(); break; // a page number relative to VIRT_BASE
      case "PAE": into.paeMode = value; break;
      case "FEATURES": into.features.push(...value.split("|").filter((f) => f.length > 0)); break;
      default: break;
    }
  }
  return into;
}

/** True when the notes say the kernel uses the PAE (3-level) layout. */
export function wantsPae(n: XenNotes): boolean {
  return n.paeMode !== undefined && /^(yes|bimodal)/.test(n.paeMode);
}
