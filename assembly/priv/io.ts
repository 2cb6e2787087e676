// I/O permission (SDM Vol. 1, 19.5): allowed when CPL <= IOPL; otherwise every bit for the
// accessed ports in the TSS I/O permission bitmap must be 0, else #GP(0).
import { S_FLAGS, S_TR_BASE, S_TR_LIMIT, S_TR_ATTR } from "../layout";
import { cpl } from "../state";
import { gp, pending } from "./exception";
import { readLinSlow } from "../mmu/access";

export function ioAllowed(port: u32, size: u32): bool {
  const iopl = (load<u32>(S_FLAGS) >> 12) & 3;
  if (cpl() <= iopl) return true;
  // A 32-bit TSS (type 9 or 11) is needed for a bitmap.
  const type = load<u32>(S_TR_ATTR) & 0xF;
  if (type != 9 && type != 11) { gp(0); return false; }
  const limit = load<u32>(S_TR_LIMIT);
  if (limit < 0x67) { gp(0); return false; }
  const base = load<u32>(S_TR_BASE);
  const mapOff = readLinSlow(base + 0x66, 2, 0);
  if (pending) return false;
  const byteOff = mapOff + (port >> 3);
  // two bytes are read so a check that spans a byte boundary sees both
  if (byteOff + 1 > limit) { gp(0); return false; }
  const bits = readLinSlow(base + byteOff, 2, 0);
  if (pending) return false;
  const mask: u32 = ((1 << size) - 1) << (port & 7);
  if (bits & mask) { gp(0); return false; }
  return true;
}
