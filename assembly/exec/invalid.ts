// Handler 0: an encoding the CPU rejects (#UD). Handler 1: a valid instruction the core does
// not implement yet; the run stops with EXIT_INTERNAL (EXIT_ARG[0] = 2, [1] = the iced Code) so
// the host can name it, instead of pretending it is invalid.
import { S_EIP, S_INSTR_EIP, S_EXIT_ARG, REC_CODE, EXIT_INTERNAL } from "../layout";
import { ud } from "../priv/exception";
import { requestExit } from "./run";

export const INTERNAL_UNIMPLEMENTED: u32 = 2;

export function invalidOpcode(r: usize): void { ud(); }

export function unimplemented(r: usize): void {
  store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
  requestExit(EXIT_INTERNAL, INTERNAL_UNIMPLEMENTED);
  store<u32>(S_EXIT_ARG + 4, load<u32>(r, REC_CODE));
}
