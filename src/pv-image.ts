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
import { parsePvKernel, isPvKernel, type PvKernel } from "./boot/xen-kernel.ts";
import { parseElf32 } from "./boot/elf.ts";
import { bootPvDomain, pvRamBytes, DomainMemoryError, type PvDomain, type PvMachine } from "./boot/xen-domain.ts";
import { MAX_RAM_BYTES } from "./core/layout-table.ts";
import { Domain } from "./hv/domain.ts";
import { runDomain, type RunResult } from "./hv/hypervisor.ts";
import { collectStats, type RunStats } from "./board/stats.ts";
import { STATUS_CRASH, STATUS_MAX_INSNS } from "./board/outcome.ts";

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

/** Is this a Xen PV kernel (an ELF32 with Xen notes or a __xen_guest section)? */
export function isPvImage(bytes: Uint8Array): boolean {
  try {
    return isPvKernel(parseElf32(bytes));
  } catch {
    return false;
  }
}

/** Build the domain and hand it to the hypervisor, ready to run. */
export function startPvDomain(kernel: PvKernel, opts: PvImageOptions = {}): PvStartResult {
  const memoryMiB = opts.memoryMiB ?? 32;
  const nrPages = memoryMiB * 256;
  if (pvRamBytes(kernel.layout, nrPages) > MAX_RAM_BYTES) {
    let max = memoryMiB;
    while (max > 1 && pvRamBytes(kernel.layout, max * 256) > MAX_RAM_BYTES) max--;
    throw new DomainMemoryError(`--memory ${memoryMiB}: a PV domain can have at most ${max} MiB (the machine's RAM, at most ${MAX_RAM_BYTES >> 20} MiB, also holds the M2P table and the hypervisor's frames)`);
  }
  const { pm, domain: built } = bootPvDomain(kernel, { nrPages, cmdline: opts.cmdline, seed: opts.seed });
  const domid = built.domid;
  const domain = new Domain(pm.machine, {
    layout: kernel.layout.name,
    mfns: built.p2m,
    sharedInfoMfn: built.sharedInfoMfn,
    domid,
    console: { mfn: built.consoleMfn, evtchn: built.consoleEvtchn },
    storeEvtchn: built.storeEvtchn,
    allocFrame: () => {
      try { return pm.frames.allocXenHeap(domid); } catch { return null; }
    },
    output: opts.output ?? (() => {}),
  });
  // What the builder decided about the vCPU that the hypervisor keeps (Xen's kernel_ss/sp, vm_assist).
  domain.vcpu.kernelSs = built.vcpu.kernelSs;
  domain.vcpu.kernelSp = built.vcpu.kernelSp;
  domain.vmAssist = built.vcpu.vmAssist;
  return { pm, built, domain };
}

export const STATUS_SHUTDOWN_OTHER = 16;

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
  const started = startPvDomain(kernel, { ...opts, output: (t) => { chunks.push(t); opts.output?.(t); } });
  const m = started.pm.machine;
  const t0 = performance.now();
  let result: PvRunResult["result"];
  try {
    result = runDomain(started.domain, opts.maxInsns === undefined ? undefined : BigInt(opts.maxInsns));
  } catch (e) {
    result = { kind: "internal", eip: m.eip, message: e instanceof Error ? e.message : String(e) };
  }
  const seconds = (performance.now() - t0) / 1000;
  let status: number, message: string | undefined;
  switch (result.kind) {
    case "shutdown":
      status = result.code === 0 ? 0 : result.code === 3 ? STATUS_CRASH : STATUS_SHUTDOWN_OTHER + (result.code ?? 0);
      message = result.code === 0 ? undefined : `the domain shut down (${result.reason}) at EIP ${hex(result.eip)}`;
      break;
    case "killed":
      status = STATUS_CRASH;
      message = `the domain was killed at EIP ${hex(result.eip)}: ${result.reason}`;
      break;
    case "budget":
      status = STATUS_MAX_INSNS;
      message = `stopped at the instruction limit (--max-insns): ${m.instructions} instructions, EIP ${hex(result.eip)}`;
      break;
    case "internal":
      status = STATUS_CRASH;
      message = `internal error at guest EIP ${hex(result.eip)}: ${result.message}`;
      break;
  }
  return {
    ...started, result, status, message, output: chunks.join(""),
    stats: { ...collectStats(m, seconds, m.instructions), hypervisor: started.domain.stats.toJSON() },
  };
}

/** The hypervisor's part of --stats (human-readable). */
export function formatPvStats(h: object): string {
  const s = h as { hypervisorEntries: number; hypercalls: Record<string, number>; bounces: Record<string, number>; events: number; upcalls: number; emulatedInstructions: number };
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    `hypervisor    ${s.hypervisorEntries} entries (hypercalls, bounced exceptions, emulated instructions)`,
    `hypercalls    ${list(s.hypercalls)}`,
    `bounces       ${list(s.bounces)}`,
    `events        ${s.events} sent, ${s.upcalls} upcalls; ${s.emulatedInstructions} instructions emulated`,
  ].join("\n") + "\n";
}
