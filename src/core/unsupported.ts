// What the core reports with EXIT_INTERNAL, EXIT_ARG[0] = 3 (assembly/priv/unsupported.ts):
// architecture it does not implement, named for people. EXIT_ARG[1] is the reason.
export const INTERNAL_UNSUPPORTED = 3;

const REASONS: Record<number, string> = {
  1: "16-bit TSSs (task switches and stack switches through them) are not supported",
  2: "virtual-8086 mode is not supported",
  3: "real mode (CR0.PE = 0) is not supported",
  4: "hardware breakpoints (DR7) are not supported",
  5: "hardware task switches are not supported",
  6: "task switches to a TSS with the debug trap (T) flag are not supported",
  7: "single-stepping (EFLAGS.TF = 1) is not supported",
};

export function describeUnsupported(reason: number): string {
  return REASONS[reason] ?? `unsupported feature ${reason}`;
}
