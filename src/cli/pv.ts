// `xenolith run` of a Xen PV kernel: the domain built and run on the hypervisor
// (src/pv-image.ts). A part of the command of its own, dist/cli-pv.cjs (src/cli/parts.ts).
import { writeSync } from "node:fs";
import { readImage, BadImageError, formatStats, STATUS_BAD_INPUT } from "../index.ts";
import { runPvImage, formatPvStats, type PvRunResult } from "../pv-image.ts";
import { say, type RunFlags } from "./common.ts";

/** Boot a Xen PV kernel on the hypervisor; the exit status. */
export function runPv(image: string, flags: RunFlags): number {
  let result: PvRunResult;
  try {
    if (flags.module.length > 0) throw new BadImageError("--module: PV kernels get no modules (start_info.mod_start) yet");
    if (flags.trace !== undefined) throw new BadImageError("--trace: not available for PV kernels yet");
    result = runPvImage(readImage(image), {
      name: image, memoryMiB: flags.memory, cmdline: flags.cmdline, maxInsns: flags.maxInsns,
      output: (t) => writeSync(1, t),
    });
  } catch (e) {
    if (e instanceof BadImageError) { say(e.message); return STATUS_BAD_INPUT; }
    throw e;
  }
  if (result.message) say(result.message);
  if (flags.json) writeSync(2, JSON.stringify({ outcome: result.result, status: result.status, ...result.stats }) + "\n");
  else if (flags.stats) writeSync(2, formatStats(result.stats) + formatPvStats(result.stats.hypervisor));
  return result.status;
}
