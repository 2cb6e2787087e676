// Task switches (SDM Vol. 3, 7.3). Not implemented yet: every path fails loudly.
import { unsupported, UNSUP_TASK_SWITCH } from "./unsupported";

export const SWITCH_JMP: u32 = 0;
export const SWITCH_CALL: u32 = 1;
export const SWITCH_IRET: u32 = 2;

export function taskSwitch(sel: u32, how: u32, ext: u32, hasCode: bool, code: u32): void {
  unsupported(UNSUP_TASK_SWITCH);
}
