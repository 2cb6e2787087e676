// The host CPU as the oracle: build test/diff/native/runner.c into build/diff/ and run batches of
// cases through it, then turn each raw signal context into a Result.
import { execFileSync, spawnSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync, openSync, closeSync, writeFileSync, readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Case, type Result, type RawNative, encodeCases, decodeResults } from "./protocol.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(HERE, "native", "runner.c");
const OUT_DIR = path.join(HERE, "..", "..", "build", "diff");
const BINARY = path.join(OUT_DIR, "runner");

/** Linux's user segments as the runner saw them (from its header). */
export interface NativeInfo { cs: number; ss: number; ds: number; es: number; fs: number; gs: number }

export type NativeAvailability = { ok: true; binary: string; info: NativeInfo } | { ok: false; why: string };

let availability: NativeAvailability | undefined;

/** Build the runner (when its source is newer) and check that it runs; say why not otherwise. */
export function nativeRunner(): NativeAvailability {
  if (availability) return availability;
  if (process.env.XENOLITH_DIFF_NO_NATIVE) return (availability = { ok: false, why: "XENOLITH_DIFF_NO_NATIVE is set" });
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "ia32")) {
    return (availability = { ok: false, why: `the host is ${process.platform}/${process.arch}, not x86 Linux` });
  }
  try {
    mkdirSync(OUT_DIR, { recursive: true });
    if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
      execFileSync("gcc", [
        "-m32", "-ffreestanding", "-nostdlib", "-static", "-O2", "-fno-pic", "-fno-stack-protector",
        "-fno-builtin", "-fno-tree-loop-distribute-patterns", "-Wl,-z,noexecstack", "-o", BINARY, SOURCE,
      ], { stdio: ["ignore", "pipe", "pipe"] });
    }
  } catch (e) {
    const msg = (e as { stderr?: Buffer }).stderr?.toString().trim().split("\n")[0] ?? String(e);
    return (availability = { ok: false, why: `cannot build the 32-bit runner with gcc -m32: ${msg}` });
  }
  const r = spawnSync(BINARY, [], { input: Buffer.alloc(0), timeout: 10_000 });
  if (r.status !== 0 || r.stdout.length < 32) {
    return (availability = { ok: false, why: `the host cannot run 32-bit code (runner exit ${r.status ?? r.signal}: ${r.stderr?.toString().trim()})` });
  }
  const h = decodeResults(r.stdout, 0).header;
  if (h[0] !== 0x46464458) return (availability = { ok: false, why: "the runner's header is wrong" });
  return (availability = { ok: true, binary: BINARY, info: { cs: h[1], ss: h[2], ds: h[3], es: h[4], fs: h[5], gs: h[6] } });
}

/** Run `cases` natively (one process per call). Throws if the runner fails. */
export function runNative(cases: Case[]): Result[] {
  const a = nativeRunner();
  if (!a.ok) throw new Error(a.why);
  const r = spawnSync(a.binary, [], { input: encodeCases(cases), maxBuffer: 1 << 30, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`native runner failed (${r.status ?? r.signal}): ${r.stderr.toString()}`);
  const { raw } = decodeResults(r.stdout, cases.length);
  return raw.map((x, i) => normalize(cases[i], x));
}

/**
 * Run `cases` natively in the background: input and output go through files, so the runner never
 * waits on a pipe while this process is busy with the emulator side.
 */
export function runNativeAsync(cases: Case[]): Promise<Result[]> {
  const a = nativeRunner();
  if (!a.ok) return Promise.reject(new Error(a.why));
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-diff-"));
  const inPath = path.join(dir, "cases"), outPath = path.join(dir, "results");
  writeFileSync(inPath, encodeCases(cases));
  const inFd = openSync(inPath, "r"), outFd = openSync(outPath, "w");
  const child = spawn(a.binary, [], { stdio: [inFd, outFd, "pipe"] });
  closeSync(inFd); closeSync(outFd);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  return new Promise((resolve, reject) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`native runner failed (${code ?? signal}): ${err}`);
        const { raw } = decodeResults(readFileSync(outPath), cases.length);
        resolve(raw.map((x, i) => normalize(cases[i], x)));
      } catch (e) { reject(e); } finally { rmSync(dir, { recursive: true, force: true }); }
    });
  });
}

/** Vectors that push an error code (SDM Vol. 3, Table 6-1). */
export function hasErrorCode(v: number): boolean {
  return v === 8 || (v >= 10 && v <= 14) || v === 17;
}

/**
 * A raw signal context → Result. Every case ends in a signal:
 * - SIGTRAP (trap 3) one byte past an int3 pad (not the instruction's own bytes): the instruction
 *   completed and execution reached the pad; EIP is the pad's address.
 * - a #PF on fetching at the new EIP (CR2 = EIP, I/D set) outside the instruction: a branch landed
 *   on a non-executable or unmapped page; the instruction completed with that EIP.
 * - anything else: the instruction raised that vector (fault: EIP = the instruction; INT3, INTO,
 *   INT n: EIP = the next instruction).
 */
export function normalize(c: Case, x: RawNative): Result {
  if (x.signo === 0xffffffff) throw new Error(`the host refuses to map 0x${(x.cr2 >>> 0).toString(16)} (vm.mmap_min_addr?)`);
  const start = c.eip, end = c.eip + c.bytes.length;
  const inInstr = (a: number) => a >= start && a < end;
  const base = { regs: x.regs, eflags: x.eflags, mem: x.mem };
  if (x.trapno === 3 && x.signo === 5 && !inInstr((x.eip - 1) >>> 0)) {
    return { ...base, eip: (x.eip - 1) >>> 0, vector: -1, err: 0, cr2: 0 };
  }
  if (x.trapno === 14 && x.cr2 === x.eip && (x.err & 0x10) && !inInstr(x.eip)) {
    return { ...base, eip: x.eip, vector: -1, err: 0, cr2: 0 };
  }
  const v = x.trapno;
  return { ...base, eip: x.eip, vector: v, err: hasErrorCode(v) ? x.err : 0, cr2: v === 14 ? x.cr2 : 0 };
}
