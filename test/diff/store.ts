// Expected native results stored as data: test/diff/expected/<seed>-<start>-<count>.json.gz.
// A case's record carries its form and a fingerprint of the case (bytes, registers, flags, pages,
// pokes), so a changed generator cannot silently compare against another case's result; registers
// are stored only where they differ from the case's initial value.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, readdirSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { type Case, type Result, encodeCases } from "./protocol.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const EXPECTED_DIR = path.join(HERE, "expected");

/** [form, fingerprint, eip, eflags, vector, err, cr2, {reg index: value} changed, mem runs [addr, hex]] */
type Stored = [string, string, number, number, number, number, number, Record<string, number>, [number, string][]];

interface StoreFile { seed: number; start: number; count: number; cases: Stored[] }

export function fingerprint(c: Case): string {
  return createHash("sha1").update(encodeCases([c])).digest("base64").slice(0, 10);
}

function pack(c: Case, r: Result): Stored {
  const regs: Record<string, number> = {};
  r.regs.forEach((v, i) => { if (v !== c.regs[i]) regs[i] = v; });
  return [c.form, fingerprint(c), r.eip, r.eflags, r.vector, r.err, r.cr2, regs,
    r.mem.map((m) => [m.addr, Buffer.from(m.bytes).toString("hex")])];
}

function unpack(c: Case, s: Stored): Result {
  const regs = c.regs.slice();
  for (const [k, v] of Object.entries(s[7])) regs[Number(k)] = v;
  return { regs, eip: s[2], eflags: s[3], vector: s[4], err: s[5], cr2: s[6], mem: s[8].map(([addr, hex]) => ({ addr, bytes: Array.from(Buffer.from(hex, "hex")) })) };
}

export function storePath(seed: number, start: number, count: number): string {
  return path.join(EXPECTED_DIR, `${seed}-${start}-${count}.json.gz`);
}

/** Write the native results of cases [start, start+count) of `seed`. */
export function writeStore(seed: number, start: number, cases: Case[], results: Result[]): string {
  mkdirSync(EXPECTED_DIR, { recursive: true });
  const file: StoreFile = { seed, start, count: cases.length, cases: cases.map((c, i) => pack(c, results[i])) };
  const p = storePath(seed, start, cases.length);
  writeFileSync(p, gzipSync(JSON.stringify(file).replace(/\],\["/g, "],\n[\""), { level: 9 }));
  return p;
}

/** Stored expectations covering cases of `seed` from `start` (files whose range contains them). */
export class Store {
  private files: StoreFile[] = [];
  constructor(seed: number, start: number, count: number) {
    if (!existsSync(EXPECTED_DIR)) return;
    for (const f of readdirSync(EXPECTED_DIR)) {
      const m = /^(\d+)-(\d+)-(\d+)\.json\.gz$/.exec(f);
      if (!m || Number(m[1]) !== seed) continue;
      const s = Number(m[2]), n = Number(m[3]);
      if (s + n <= start || s >= start + count) continue;
      this.files.push(JSON.parse(gunzipSync(readFileSync(path.join(EXPECTED_DIR, f))).toString()) as StoreFile);
    }
  }
  get empty(): boolean { return this.files.length === 0; }
  /** The stored result of case `c`, "stale" if the stored case is a different one, or undefined. */
  get(c: Case): Result | "stale" | undefined {
    for (const f of this.files) {
      if (c.index < f.start || c.index >= f.start + f.count) continue;
      const s = f.cases[c.index - f.start];
      if (s[0] !== c.form || s[1] !== fingerprint(c)) return "stale";
      return unpack(c, s);
    }
    return undefined;
  }
}
