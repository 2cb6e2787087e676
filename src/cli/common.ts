// What the command's parts share (src/cli/parts.ts): the flags of `xenolith run` and the line
// xenolith writes on stderr for its own messages.
import { writeSync } from "node:fs";

export interface RunFlags {
  maxInsns?: number;
  stats?: boolean;
  json?: boolean;
  trace?: number | true;
  cmdline?: string;
  memory: number;
  /** absent: a kernel with Xen PV notes runs in pv mode, anything else on the bare machine */
  mode?: "bare" | "pv";
  module: string[];
  engine?: "interp" | "jit";
  jitThreshold?: number;
}

/** A message from xenolith itself: one line on stderr. */
export const say = (line: string): void => { writeSync(2, `xenolith: ${line}\n`); };
