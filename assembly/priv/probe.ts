// Probing descriptors without loading them (SDM Vol. 2: LAR, LSL, VERR, VERW): each reports in
// ZF whether the selector names a descriptor of an accepted type that the current CPL and the
// selector's RPL may access (conforming code is exempt from the privilege check for LAR, LSL,
// VERR). A null selector or one outside its table gives ZF = 0, never a fault.
import { cpl } from "../state";
import {
  readDescriptor, descHi, descLo, descIsSeg, descIsCode, descConforming, descRW, descDpl,
  descType, descLimit, selIsNull,
} from "./descriptor";

export const PROBE_LAR: u32 = 0;
export const PROBE_LSL: u32 = 1;
export const PROBE_VERR: u32 = 2;
export const PROBE_VERW: u32 = 3;

/** LAR/LSL result when probe() returned true. */
export let probeValue: u32 = 0;

/** System descriptor types LAR accepts: TSSs, LDT, call gates, task gate (not int/trap gates). */
@inline function larType(t: u32): bool { return t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 11 || t == 12; }
/** ... LSL accepts: those with a limit (TSSs, LDT). */
@inline function lslType(t: u32): bool { return t == 1 || t == 2 || t == 3 || t == 9 || t == 11; }

/** Returns ZF; false with `pending` set if reading the descriptor faulted. */
export function probe(sel: u32, kind: u32): bool {
  if (selIsNull(sel)) return false;
  if (!readDescriptor(sel)) return false;
  const hi = descHi;
  const privOk = descDpl(hi) >= cpl() && descDpl(hi) >= (sel & 3);
  if (descIsSeg(hi)) {
    const conforming = descIsCode(hi) && descConforming(hi);
    if (kind == PROBE_VERR) return descIsCode(hi) ? descRW(hi) && (conforming || privOk) : privOk;
    if (kind == PROBE_VERW) return !descIsCode(hi) && descRW(hi) && privOk;
    if (!conforming && !privOk) return false;
  } else {
    if (kind == PROBE_VERR || kind == PROBE_VERW) return false;
    const t = descType(hi);
    if (kind == PROBE_LAR ? !larType(t) : !lslType(t)) return false;
    if (!privOk) return false;
  }
  probeValue = kind == PROBE_LAR ? hi & 0x00F0FF00 : descLimit(descLo, hi);
  return true;
}
