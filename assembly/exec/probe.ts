// LAR, LSL, VERR, VERW (rules in priv/probe.ts) and ARPL (SDM Vol. 2, ARPL). Only ZF changes.
import { reg16, setReg16, setRegN } from "../state";
import { pending } from "../priv/exception";
import { probe, probeValue } from "../priv/probe";
import { read16, write16 } from "../mmu/access";
import { setArithFlags, ZF } from "./flags";
import { r0, r1, seg, ea } from "./operand";

@inline function setZF(z: bool): void { setArithFlags(ZF, z ? ZF : 0); }

/** LAR/LSL r, r/m16: on success the destination gets the access rights / limit; else unchanged. */
function larLsl(r: usize, kind: u32, size: u32, sel: u32): void {
  const ok = probe(sel, kind);
  if (pending) return;
  if (ok) setRegN(r0(r), probeValue, size);
  setZF(ok);
}
export function larLslR(r: usize, kind: u32, size: u32): void { larLsl(r, kind, size, reg16(r1(r))); }
export function larLslM(r: usize, kind: u32, size: u32): void {
  const sel = read16(seg(r), ea(r)); if (pending) return;
  larLsl(r, kind, size, sel);
}

export function verR(r: usize, kind: u32): void {
  const ok = probe(reg16(r0(r)), kind);
  if (pending) return;
  setZF(ok);
}
export function verM(r: usize, kind: u32): void {
  const sel = read16(seg(r), ea(r)); if (pending) return;
  const ok = probe(sel, kind);
  if (pending) return;
  setZF(ok);
}

/** ARPL r/m16, r16: raise the destination's RPL to the source's (ZF = 1), else ZF = 0. */
export function arplR(r: usize): void {
  const d = reg16(r0(r)), s = reg16(r1(r));
  if ((d & 3) < (s & 3)) { setReg16(r0(r), (d & ~3) | (s & 3)); setZF(true); } else setZF(false);
}
export function arplM(r: usize): void {
  const sg = seg(r), a = ea(r);
  // a read, and a write only when the RPL is raised (SDM Vol. 2, ARPL; the host CPU does not
  // fault on a read-only or code-segment destination it leaves alone)
  const d = read16(sg, a); if (pending) return;
  const s = reg16(r1(r));
  if ((d & 3) < (s & 3)) { write16(sg, a, (d & ~3) | (s & 3)); if (pending) return; setZF(true); } else setZF(false);
}
