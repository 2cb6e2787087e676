// Running a Xen PV kernel: the domain builder (src/boot/xen-domain.ts) lays the domain out in a
// machine sized for it, the hypervisor (src/hv) takes the domain over and runs it until it shuts
// down, is killed, or reaches the instruction limit. What `xenolith run` does for a PV kernel.
//
//   import { runPvImage } from "xenolith/pv-image";
//   const r = runPvImage(bytes, { memoryMiB: 16, cmdline: "hello" });
//   r.output   // what the guest wrote on its console (console_io and the PV console ring)
//   r.status   // 0 poweroff; 1 crash or killed; 3 instruction limit; 16 + code other shutdowns
//
// Exit status (README "Exit status", PV kernels):
//   0          SHUTDOWN_poweroff
//   1          SHUTDOWN_crash, or the hypervisor killed the domain (reported with EIP and why),
//              or an emulator error
//   3          the instruction limit (--max-insns) was reached
//   16 + code  any other shutdown reason: 17 reboot, 18 suspend, 20 watchdog, 21 soft_reset
import { parsePvKernel, type PvKernel } from "./boot/xen-kernel.ts";
import { bootPvDomain, pvRamBytes, DomainMemoryError, type PvDomain, type PvMachine } from "./boot/xen-domain.ts";
import { MAX_RAM_BYTES } from "./core/layout-table.ts";
import type { Domain } from "./hv/domain.ts";
import { startPvDomain, exitStatus, describeEnd } from "./boot/xen-run.ts";
import { runDomain, type RunResult } from "./hv/hypervisor.ts";
import { collectStats, type RunStats } from "./board/stats.ts";
import { STATUS_CRASH } from "./board/outcome.ts";

export interface PvImageOptions {
  /** the domain's memory in MiB (nr_pages = MiB * 256); default 32 */
  memoryMiB?: number;
  /** start_info.cmd_line */
  cmdline?: string;
  /** stop after this many guest instructions */
  maxInsns?: bigint | number;
  /** where console output goes as the guest writes it (default: kept only in the result) */
  output?: (text: string) => void;
  /** seed of the machine-frame shuffle */
  seed?: number;
  /** the image's name in messages */
  name?: string;
}

export interface PvStartResult {
  pm: PvMachine;
  built: PvDomain;
  domain: Domain;
}

export { isPvImage } from "./boot/pv-detect.ts";

/** Build the domain in a machine sized for it and hand it to the hypervisor, ready to run. */
export function startPvImage(kernel: PvKernel, opts: PvImageOptions = {}): PvStartResult {
  const memoryMiB = opts.memoryMiB ?? 32;
  const nrPages = memoryMiB * 256;
  if (pvRamBytes(kernel.layout, nrPages) > MAX_RAM_BYTES) {
    let max = memoryMiB;
    while (max > 1 && pvRamBytes(kernel.layout, max * 256) > MAX_RAM_BYTES) max--;
    throw new DomainMemoryError(`--memory ${memoryMiB}: a PV domain can have at most ${max} MiB (the machine's RAM, at most ${MAX_RAM_BYTES >> 20} MiB, also holds the M2P table and the hypervisor's frames)`);
  }
  const { pm, domain: built } = bootPvDomain(kernel, { nrPages, cmdline: opts.cmdline, seed: opts.seed });
  const domain = startPvDomain(pm, built, { output: opts.output ?? (() => {}) });
  return { pm, built, domain };
}

export interface PvRunResult extends PvStartResult {
  result: RunResult | { kind: "internal"; eip: number; message: string };
  status: number;
  /** the one-line report when the guest did not power off */
  message?: string;
  output: string;
  stats: RunStats & { hypervisor: object };
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/** Boot a PV kernel (its bytes) and run it to its end. Throws BadImageError for bad input. */
export function runPvImage(bytes: Uint8Array, opts: PvImageOptions = {}): PvRunResult {
  const kernel = parsePvKernel(bytes, opts.name ?? "image");
  const chunks: string[] = [];
  const started = startPvImage(kernel, { ...opts, output: (t) => { chunks.push(t); opts.output?.(t); } });
  const m = started.pm.machine;
  const t0 = process.hrtime.bigint(); // not performance.now(): see PC.run
  let result: PvRunResult["result"];
  try {
    result = runDomain(started.domain, opts.maxInsns === undefined ? undefined : BigInt(opts.maxInsns));
  } catch (e) {
    result = { kind: "internal", eip: m.eip, message: e instanceof Error ? e.message : String(e) };
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let status: number, message: string | undefined;
  if (result.kind === "internal") {
    status = STATUS_CRASH;
    message = `internal error at guest EIP ${hex(result.eip)}: ${result.message}`;
  } else {
    status = exitStatus(result);
    message = result.kind === "shutdown" && result.reason === "poweroff" ? undefined
      : result.kind === "budget" ? `stopped at the instruction limit (--max-insns): ${m.instructions} instructions, EIP ${hex(result.eip)}`
      : describeEnd(result);
  }
  return {
    ...started, result, status, message, output: chunks.join(""),
    stats: { ...collectStats(m, seconds, m.instructions), hypervisor: started.domain.stats.toJSON() },
  };
}

/** The hypervisor's part of --stats (human-readable). */
export function formatPvStats(h: object): string {
  const s = h as { hypervisorEntries: number; hypercalls: Record<string, number>; bounces: Record<string, number>; events: number; upcalls: number; emulatedInstructions: number;
    balloonFramesIn: number; balloonFramesOut: number; writablePagetableEmulations: number;
    mm?: { entriesValidated: number; entriesFastPath: number; tableValidations: number; typeChanges: number; pins: number; unpins: number;
      framesFreed: number; failures: Record<string, number> } };
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    `hypervisor    ${s.hypervisorEntries} entries (hypercalls, bounced exceptions, emulated instructions)`,
    `hypercalls    ${list(s.hypercalls)}`,
    `bounces       ${list(s.bounces)}`,
    `events        ${s.events} sent, ${s.upcalls} upcalls; ${s.emulatedInstructions} instructions emulated`,
    `memory        balloon ${s.balloonFramesIn} frames in, ${s.balloonFramesOut} out; ${s.writablePagetableEmulations} writable page-table writes emulated`,
    ...(s.mm ? [
      `page tables   ${s.mm.entriesValidated} entries validated (${s.mm.entriesFastPath} fast path), ${s.mm.tableValidations} tables validated, ` +
        `${s.mm.typeChanges} type changes, ${s.mm.pins} pins, ${s.mm.unpins} unpins, ${s.mm.framesFreed} frames freed; refused: ${list(s.mm.failures)}`,
    ] : []),
  ].join("\n") + "\n";
}
