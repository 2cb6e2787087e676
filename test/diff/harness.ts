// The differential test's driver: generate cases, get the expected results (the host CPU, the
// stored data, or both — then they must agree), run the emulator, compare, and tally.
import { Formatter, FormatterSyntax, Code } from "iced-x86";
import { type Case, type Result } from "./protocol.ts";
import { allForms, INVALID_FORM, ITEM3_MNEMONICS, type FormInfo } from "./forms.ts";
import { makeCase, Rng } from "./gen.ts";
import { nativeRunner, runNativeAsync } from "./native.ts";
import { Emu } from "./emu.ts";
import { compare, decodeCase, vecName, flagNames } from "./compare.ts";
import { Store, writeStore } from "./store.ts";

export interface DiffOptions {
  seed: number;
  count: number;
  start?: number;
  /** write the native results as expected data */
  store?: boolean;
  /** ignore the host CPU even if it can run the runner */
  storedOnly?: boolean;
  /** mismatches to print in full */
  show?: number;
  batch?: number;
  /** draw one case in ten from the forms files' rows outside item 3 (default true); off keeps the
   *  sequence independent of other families' forms files (the stored npm-test range) */
  extras?: boolean;
  log?: (line: string) => void;
}

export interface FormTally { cases: number; failed: number; unimplemented: number }

export interface DiffReport {
  passed: number;
  failed: number;
  /** failures because the core stopped with "unimplemented", by iced Code */
  unimplemented: Map<string, number>;
  /** other failures by form */
  mismatchByForm: Map<string, number>;
  stale: number;
  missing: number;
  hostDisagrees: number;
  source: string;
  byForm: Map<string, FormTally>;
  seconds: number;
}

/** The forms cases are drawn from: item 3's (stable) and the other rows of src/decode/forms. */
export async function formLists(): Promise<{ base: FormInfo[]; extra: FormInfo[]; all: FormInfo[] }> {
  const all = await allForms();
  const item3 = new Set(ITEM3_MNEMONICS);
  const base = [...all.filter((f) => f.covered && item3.has(f.mnemonic)), INVALID_FORM];
  const extra = all.filter((f) => f.covered && !item3.has(f.mnemonic));
  return { base, extra, all };
}

/** The form of case `index`: one in ten from the extra rows (when there are any). */
export function formOf(seed: number, index: number, base: FormInfo[], extra: FormInfo[]): FormInfo {
  const h = new Rng(seed ^ 0x5bd1e995, index).u32();
  if (extra.length && index % 10 === 9) return extra[h % extra.length];
  return base[h % base.length];
}

const fmt = new Formatter(FormatterSyntax.Gas);
export function disasm(c: Case): string {
  return fmt.format(decodeCase(c));
}

function hex(v: number, w = 8): string { return (v >>> 0).toString(16).padStart(w, "0"); }
const REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
function state(regs: number[], eflags: number, eip: number): string {
  return `${REGS.map((r, i) => `${r}=${hex(regs[i])}`).join(" ")}\n      eip=${hex(eip)} eflags=${hex(eflags)} [${flagNames(eflags)}]`;
}
function resultText(r: Result): string {
  const mem = r.mem.length ? r.mem.map((m) => `${hex(m.addr)}: ${Buffer.from(m.bytes.slice(0, 32)).toString("hex")}${m.bytes.length > 32 ? `… (${m.bytes.length} bytes)` : ""}`).join("\n      ") : "(no memory changed)";
  return `${state(r.regs, r.eflags, r.eip)}\n      exception ${vecName(r.vector)}${r.vector >= 0 ? ` err=${hex(r.err, 4)}${r.vector === 14 ? ` cr2=${hex(r.cr2)}` : ""}` : ""}\n      ${mem}`;
}
export function describeCase(c: Case): string {
  const pages = c.pages.map((p) => `${hex(p.addr)}${p.flags & 1 ? "w" : "r"}${p.flags & 2 ? "x" : ""}`).join(" ");
  const pokes = c.pokes.map((p) => `[${hex(p.addr)}]=${hex(p.value, p.size * 2)}`).join(" ");
  return `case ${c.index} ${c.form}: ${Buffer.from(c.bytes).toString("hex")}  ${disasm(c)}\n  before: ${state(c.regs, c.eflags, c.eip)}\n      pages ${pages}${pokes ? `\n      pokes ${pokes}` : ""}`;
}

export async function runDiff(o: DiffOptions): Promise<DiffReport> {
  const t0 = Date.now();
  const log = o.log ?? ((l: string) => console.log(l));
  const start = o.start ?? 0;
  const show = o.show ?? 5;
  const batch = o.batch ?? 5000;
  const lists = await formLists();
  const base = lists.base, extra = o.extras === false ? [] : lists.extra;
  const nat = o.storedOnly ? ({ ok: false, why: "--stored given" } as const) : nativeRunner();
  const store = new Store(o.seed, start, o.count);
  if (o.store && !nat.ok) throw new Error(`--store needs the native runner: ${nat.why}`);
  if (!nat.ok) log(`native runner: skipped (${nat.why}); comparing against stored expectations`);
  const source = nat.ok ? (store.empty ? "host CPU" : "host CPU, checked against stored expectations") : "stored expectations";
  const emu = new Emu();
  const report: DiffReport = {
    passed: 0, failed: 0, unimplemented: new Map(), mismatchByForm: new Map(), stale: 0, missing: 0, hostDisagrees: 0,
    source, byForm: new Map(), seconds: 0,
  };
  let shown = 0;
  const storeCases: Case[] = [];
  const storeResults: Result[] = [];
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let b = start; b < start + o.count; b += batch) {
    const n = Math.min(batch, start + o.count - b);
    const cases: Case[] = [];
    for (let i = b; i < b + n; i++) cases.push(makeCase(o.seed, i, formOf(o.seed, i, base, extra)));
    // the host runs the batch in the background while the emulator runs it here
    const nativeP = nat.ok ? runNativeAsync(cases) : undefined;
    const emuOut = cases.map((c) => {
      try { return emu.run(c); } catch (e) { emu.reset(); return { kind: "exit", why: `threw ${(e as Error).message}` } as const; }
    });
    const native = nativeP ? await nativeP : undefined;
    if (o.store && native) { storeCases.push(...cases); storeResults.push(...native); }
    for (let k = 0; k < n; k++) {
      const c = cases[k];
      const t = report.byForm.get(c.form) ?? { cases: 0, failed: 0, unimplemented: 0 };
      report.byForm.set(c.form, t);
      t.cases++;
      const fail = (why: string, detail?: string) => {
        report.failed++; t.failed++;
        if (shown < show) { shown++; log(`\nMISMATCH ${why}\n${describeCase(c)}${detail ? "\n" + detail : ""}`); }
      };
      const stored = store.get(c);
      let expected: Result | undefined = native?.[k];
      if (expected && stored && stored !== "stale" && !o.store) {
        const d = compare(c, stored, expected);
        if (d.length) { report.hostDisagrees++; fail("(host CPU vs stored expectation)", `  stored: ${resultText(stored)}\n  host:   ${resultText(expected)}\n  ${d.join("\n  ")}`); continue; }
      }
      if (!expected) {
        if (stored === "stale") { report.stale++; fail("(stored expectation is for another case: regenerate with --store)"); continue; }
        if (!stored) { report.missing++; fail("(no expectation: no native runner and nothing stored for this case)"); continue; }
        expected = stored;
      }
      const out = emuOut[k];
      if (out.kind === "unimplemented") {
        // counted as failed; named once per form (the full listing is for wrong results)
        if (!report.unimplemented.has(out.code)) log(`unimplemented in the core: ${out.code} (first at case ${c.index}: ${Buffer.from(c.bytes).toString("hex")}  ${disasm(c)})`);
        bump(report.unimplemented, out.code); t.unimplemented++; report.failed++; t.failed++;
        continue;
      }
      if (out.kind === "exit") { bump(report.mismatchByForm, c.form); fail(`(emulator: ${out.why})`, `  native:   ${resultText(expected)}`); continue; }
      const d = compare(c, expected, out.result);
      if (d.length) {
        bump(report.mismatchByForm, c.form);
        fail("", `  native:   ${resultText(expected)}\n  emulator: ${resultText(out.result)}\n  ${d.join("\n  ")}`);
        continue;
      }
      report.passed++;
    }
    const done = b + n - start;
    if (o.count >= 200_000 && done % 100_000 < batch && done < o.count) log(`… ${done} cases: ${report.passed} passed, ${report.failed} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  if (o.store) log(`stored ${storeCases.length} expectations in ${writeStore(o.seed, start, storeCases, storeResults)}`);
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

/** The coverage table: one line per mnemonic (forms generated / known, cases, failures). */
export async function coverageSummary(r?: DiffReport): Promise<string[]> {
  const { all } = await formLists();
  const byMn = new Map<string, FormInfo[]>();
  for (const f of [...all, INVALID_FORM]) byMn.set(f.mnemonic, [...(byMn.get(f.mnemonic) ?? []), f]);
  const lines: string[] = [];
  for (const [mn, fs] of [...byMn].sort((a, b) => a[0].localeCompare(b[0]))) {
    const cov = fs.filter((f) => f.covered);
    let cases = 0, failed = 0, unimpl = 0;
    for (const f of fs) { const t = r?.byForm.get(f.name); if (t) { cases += t.cases; failed += t.failed; unimpl += t.unimplemented; } }
    const notes = [...new Set(fs.map((f) => f.note).filter((n) => n !== "compared in full"))];
    lines.push(`${mn.padEnd(10)} ${String(cov.length).padStart(2)}/${String(fs.length).padEnd(2)} forms${r ? `  ${String(cases).padStart(7)} cases ${String(failed).padStart(6)} failed${unimpl ? ` (${unimpl} unimplemented)` : ""}` : ""}${notes.length ? "  — " + notes.join("; ") : ""}`);
  }
  return lines;
}

export { Code };
