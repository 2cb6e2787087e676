// The privileged-stack pointers in the current TSS (SDM Vol. 3, 7.2.1, Figure 7-2): a 32-bit TSS
// holds ESPn at 4 + 8n and SSn at 8 + 8n for rings 0-2. A stack switch reads them; a TSS too
// short to hold them is #TS(TR selector) (SDM Vol. 2, INT n and CALL "Operation").
import { S_TR_SEL, S_TR_BASE, S_TR_LIMIT, S_TR_ATTR } from "../layout";
import { faultCode, pending, TS } from "./exception";
import { readSys32, readSys16 } from "../mmu/access";
import { SYS_TSS32_BUSY, SYS_TSS32_AVAIL } from "./descriptor";
import { unsupported, UNSUP_TSS16 } from "./unsupported";

export let tssSS: u32 = 0;
export let tssESP: u32 = 0;

/** Read SS:ESP for `ring` from the TSS. `ext` is the EXT bit for error codes. False on a fault. */
export function readTssStack(ring: u32, ext: u32): bool {
  const type = load<u32>(S_TR_ATTR) & 0xF;
  if (type != SYS_TSS32_BUSY && type != SYS_TSS32_AVAIL) {
    unsupported(UNSUP_TSS16);
    return false;
  }
  const at: u32 = 4 + (ring << 3);
  if (at + 5 > load<u32>(S_TR_LIMIT)) { faultCode(TS, (load<u32>(S_TR_SEL) & 0xFFFC) | ext); return false; }
  const base = load<u32>(S_TR_BASE);
  const esp = readSys32(base + at);
  if (pending) return false;
  const ss = readSys16(base + at + 4);
  if (pending) return false;
  tssESP = esp; tssSS = ss;
  return true;
}
