// The project's benchmark (`npm run bench`, `xenolith bench`): each workload of workloads.ts runs
// in this process with two iteration counts, n/10 and n; the difference cancels boot, decoding and
// translation: MIPS = extra instructions / extra seconds, ns/event = extra seconds / extra
// iterations. Medians over the repetitions. Start-up of the empty kernel and peak RSS are
// measured on `xenolith run` in a child process, as the peer runner measures them (wall time
// from spawn to exit, peak RSS from /usr/bin/time). Figures are printed, never asserted.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { packageRoot } from "../core/core.ts";
import type { Engine } from "../core/machine.ts";
import { runImage, readImage } from "../index.ts";
import { runPvImage } from "../pv-image.ts";
import { WORKLOADS, type Workload } from "./workloads.ts";

export interface BenchOptions {
  reps: number;
  engines: Engine[];
  /** workload names (default: all) */
  workloads?: string[];
  /** multiplies every workload's iteration count */
  scale: number;
  /** jit: block entries before translation (undefined: the machine's default) */
  jitThreshold?: number;
  /** also measure start-up and peak RSS in child processes */
  process: boolean;
  /** wall: host seconds in the run loop; cpu: the process's user + system CPU time of the whole
   * run (steadier on a loaded machine; counts V8's compiler threads too) */
  clock?: "wall" | "cpu";
}

export interface WorkloadResult {
  workload: string;
  engine: Engine;
  unit: Workload["unit"];
  doc: string;
  /** MIPS or ns/event (median) */
  value: number;
  /** guest instructions per iteration (from the two runs' counts) */
  insnsPerIter: number;
  iterations: [number, number];
  /** the guest's `DONE` checksum of the large run */
  checksum: string;
}

export interface ProcessResult {
  engine: Engine;
  /** wall seconds of `xenolith run` on the empty kernel (median) */
  startupSeconds: number;
  /** peak RSS of that run, MiB */
  nullRssMiB: number;
  /** peak RSS of an alu run (the large iteration count), MiB */
  aluRssMiB: number;
}

export interface BenchReport {
  node: string;
  clock: "wall" | "cpu";
  reps: number;
  scale: number;
  results: WorkloadResult[];
  process: ProcessResult[];
}

const image = (name: "bare" | "pv" | "null") => path.join(packageRoot(), "guests/build/bench", `${name}.elf`);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Every Machine takes its engine from these variables (src/core/machine.ts), bare or PV. */
function withEngine<T>(engine: Engine, threshold: number | undefined, f: () => T): T {
  const saved = { engine: process.env.XENOLITH_ENGINE, threshold: process.env.XENOLITH_JIT_THRESHOLD };
  process.env.XENOLITH_ENGINE = engine;
  if (threshold !== undefined) process.env.XENOLITH_JIT_THRESHOLD = String(threshold);
  try {
    return f();
  } finally {
    for (const [k, v] of [["XENOLITH_ENGINE", saved.engine], ["XENOLITH_JIT_THRESHOLD", saved.threshold]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }
}

/** One run of workload `w` with `n` iterations: host seconds in the run loop, instructions, checksum. */
function runOnce(w: Workload, n: number, bytes: Uint8Array, clock: "wall" | "cpu"): { seconds: number; insns: number; checksum: string } {
  const cmdline = `w=${w.name} n=${n}`;
  const cpu0 = process.cpuUsage();
  let output: string, seconds: number, insns: number, ok: boolean;
  if (w.image === "bare") {
    const r = runImage(bytes, { name: "bench", cmdline });
    ({ output } = r);
    ({ seconds, instructions: insns } = r.stats);
    ok = r.status === 33; // 0x10 written to port 0xF4
    if (!ok) output += r.message ?? "";
  } else {
    const r = runPvImage(bytes, { name: "bench", cmdline });
    ({ output } = r);
    ({ seconds, instructions: insns } = r.stats);
    ok = r.status === 0;
    if (!ok) output += r.message ?? "";
  }
  const done = output.match(new RegExp(`^DONE ${w.name} (\\S+)$`, "m"));
  if (clock === "cpu") { const c = process.cpuUsage(cpu0); seconds = (c.user + c.system) / 1e6; }
  if (!ok || !done) throw new Error(`workload ${w.name} (n=${n}) did not finish: ${output.trim().split("\n").slice(-2).join(" / ")}`);
  return { seconds, insns, checksum: done[1] };
}

export function runWorkload(w: Workload, engine: Engine, opts: BenchOptions): WorkloadResult {
  const bytes = readImage(image(w.image));
  const nLarge = Math.max(11, Math.round(w.n * opts.scale));
  const nSmall = Math.max(1, Math.round(nLarge / 10));
  const dts: number[] = [];
  let insnsPerIter = 0, checksum = "";
  withEngine(engine, opts.jitThreshold, () => {
    for (let i = 0; i < opts.reps; i++) {
      const s = runOnce(w, nSmall, bytes, opts.clock ?? "wall"), l = runOnce(w, nLarge, bytes, opts.clock ?? "wall");
      dts.push(l.seconds - s.seconds);
      insnsPerIter = (l.insns - s.insns) / (nLarge - nSmall);
      checksum = l.checksum;
    }
  });
  const dt = median(dts);
  const value = w.unit === "MIPS" ? (insnsPerIter * (nLarge - nSmall)) / dt / 1e6 : (dt * 1e9) / (nLarge - nSmall);
  return { workload: w.name, engine, unit: w.unit, doc: w.doc, value, insnsPerIter, iterations: [nSmall, nLarge], checksum };
}

/**
 * `/usr/bin/time` (GNU time), as the peer runner (shared/bench/bench.mjs) measures: the
 * child's peak RSS from wait4(), with nothing added to the child. Without it the child reports
 * its own peak RSS from an --import hook on exit (which adds the hook's own loading to it).
 */
const GNU_TIME = "/usr/bin/time";
const RSS_HOOK = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\nxenolith-bench-maxrss "+process.resourceUsage().maxRSS+"\\n"))`;

/** `xenolith run` of the bench image in a child process: wall seconds (spawn to exit) and peak RSS. */
function child(engine: Engine, kernel: "null" | "bare", cmdline?: string): { seconds: number; rssMiB: number } {
  const run = [path.join(packageRoot(), "bin/xenolith.mjs"), "run", "--engine", engine, image(kernel), ...(cmdline ? ["--cmdline", cmdline] : [])];
  const timed = existsSync(GNU_TIME);
  const timeFile = path.join(tmpdir(), `xenolith-bench-time-${process.pid}.txt`);
  const [cmd, args] = timed
    ? [GNU_TIME, ["-f", "%M", "-o", timeFile, process.execPath, ...run]]
    : [process.execPath, ["--import", RSS_HOOK, ...run]];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 33) throw new Error(`xenolith run ${kernel} ${cmdline ?? ""}: exit status ${r.status}: ${r.stderr.trim()}`);
  // GNU time's file: "Command exited with non-zero status 33", then the peak RSS in KiB
  const kib = timed ? Number(readFileSync(timeFile, "utf8").trim().split("\n").pop()) : Number(r.stderr.match(/xenolith-bench-maxrss (\d+)/)?.[1]);
  if (timed) rmSync(timeFile, { force: true });
  return { seconds, rssMiB: kib / 1024 };
}

/** Start-up (wall time) and peak RSS of the empty kernel (guests/bench/null.S), from the same runs; RSS of a large alu run. */
export function measureProcess(engine: Engine, opts: BenchOptions): ProcessResult {
  const runs = Array.from({ length: opts.reps }, () => child(engine, "null"));
  const alu = WORKLOADS.find((w) => w.name === "alu")!;
  const aluRssMiB = child(engine, "bare", `w=alu n=${Math.max(11, Math.round(alu.n * opts.scale))}`).rssMiB;
  return { engine, startupSeconds: median(runs.map((r) => r.seconds)), nullRssMiB: median(runs.map((r) => r.rssMiB)), aluRssMiB };
}

export function runBench(opts: BenchOptions, progress?: (r: WorkloadResult) => void): BenchReport {
  const names = opts.workloads ?? WORKLOADS.map((w) => w.name);
  const results: WorkloadResult[] = [];
  for (const name of names) {
    const w = WORKLOADS.find((x) => x.name === name);
    if (!w) throw new Error(`unknown workload ${name} (${WORKLOADS.map((x) => x.name).join(", ")})`);
    for (const engine of opts.engines) {
      const r = runWorkload(w, engine, opts);
      results.push(r);
      progress?.(r);
    }
    const sums = new Set(results.filter((r) => r.workload === name).map((r) => r.checksum));
    if (sums.size > 1) throw new Error(`workload ${name}: the engines disagree on the checksum (${[...sums].join(", ")})`);
  }
  const proc = opts.process ? opts.engines.map((e) => measureProcess(e, opts)) : [];
  return { node: process.version, clock: opts.clock ?? "wall", reps: opts.reps, scale: opts.scale, results, process: proc };
}

/** The report as a Markdown table: one row per workload, one column per engine. */
export function formatReport(rep: BenchReport): string {
  const engines = [...new Set([...rep.results.map((r) => r.engine), ...rep.process.map((p) => p.engine)])];
  const lines = [
    `xenolith benchmark (Node ${rep.node}; ${rep.clock} time; medians of ${rep.reps}; two sizes n/10 and n, the difference counts)`,
    "",
    `| workload | unit | ${engines.join(" | ")} | insns/iter | what |`,
    `|---|---|${engines.map(() => "---:|").join("")}---:|---|`,
  ];
  const fmt = (v: number, unit: string) => unit === "MIPS" ? v.toFixed(0) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  for (const name of [...new Set(rep.results.map((r) => r.workload))]) {
    const rs = rep.results.filter((r) => r.workload === name);
    const cells = engines.map((e) => { const r = rs.find((x) => x.engine === e); return r ? fmt(r.value, r.unit) : ""; });
    lines.push(`| ${name} | ${rs[0].unit} | ${cells.join(" | ")} | ${rs[0].insnsPerIter.toFixed(1)} | ${rs[0].doc} |`);
  }
  if (rep.process.length > 0) {
    const cell = (f: (p: ProcessResult) => string) => engines.map((e) => { const p = rep.process.find((x) => x.engine === e); return p ? f(p) : ""; }).join(" | ");
    lines.push(`| start-up | s | ${cell((p) => p.startupSeconds.toFixed(3))} | | \`xenolith run\` of the empty kernel (guests/bench/null.S), wall time as the peer runner measures it |`);
    lines.push(`| peak RSS | MiB | ${cell((p) => p.nullRssMiB.toFixed(1))} | | the empty kernel's run (/usr/bin/time, as the peer runner) |`);
    lines.push(`| peak RSS | MiB | ${cell((p) => p.aluRssMiB.toFixed(1))} | | an alu run (large n) |`);
  }
  return lines.join("\n");
}
