// Runs every built PV guest (guests/build/pv/<name>-<layout>.elf, from guests/pv/ and the PV SDK)
// through the library path: parse the image, build the domain, run it under the hypervisor. Each
// guest checks itself, printing one line per check ("ok N - ..." / "not ok N - ...") and a
// verdict, then powers off (exit status 0) when every check passed, crashes otherwise.
import { describe, it, expect } from "vitest";
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describeEnd } from "../../src/boot/xen-run.ts";
import { runGuest, PV_GUEST_DIR as dir } from "../helpers/pv-guest.ts";

const images = readdirSync(dir).filter((f) => f.endsWith(".elf")).map((f) => f.slice(0, -".elf".length)).sort();
/** guests without the SDK's check lines, or meant to die (each has its own test below) */
const special = new Set(["badstack-pae", "badstack-classic", "headers-only-pae", "headers-only-classic"]);

/** Every check line passed, there was at least one, and the verdict says so. */
function expectAllChecksPass(out: string, why: string) {
  const lines = out.split("\n");
  const checks = lines.filter((l) => /^(not )?ok \d+ - /.test(l));
  expect(checks.length, out).toBeGreaterThan(0);
  expect(checks.filter((l) => l.startsWith("not ok")), out).toEqual([]);
  expect(lines, `${out}\n${why}`).toContain(`PASS: ${checks.length} checks`);
}

describe("PV guests", () => {
  it("are all built, in both layouts", () => {
    for (const g of ["hello", "traps", "syscall", "events", "multicall", "badstack", "headers-only", "descriptors", "timers", "privops", "gates", "preempt", "grants", "ldt"]) {
      expect(images).toContain(`${g}-pae`);
      expect(images).toContain(`${g}-classic`);
    }
  });

  it.each(images.filter((g) => !special.has(g)))("%s passes its checks and powers off", (name) => {
    const r = runGuest(name, { cmdline: "console=hvc0 greeting=yes" });
    expectAllChecksPass(r.out, describeEnd(r.end));
    expect(r.end, r.out).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(r.status).toBe(0);
    expect(r.layout).toBe(name.endsWith("-pae") ? "pae" : "classic");
  });

  it.each(["hello-pae", "hello-classic"])("%s greets and sees its command line", (name) => {
    const r = runGuest(name, { cmdline: "console=hvc0 greeting=yes" });
    expect(r.out).toContain("Hello from a xenolith PV guest!\n");
    expect(r.out).toContain(`cmdline: "console=hvc0 greeting=yes"\n`);
  });

  it.each(["traps-pae", "traps-classic"])("%s: each exception was one bounce through the hypervisor", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect([0, 6, 13, 14, 0x41, 0x42].map((v) => r.d.stats.bounces.get(v))).toEqual([1, 1, 3, 2, 1, undefined]);
  });

  it.each(["syscall-pae", "syscall-classic"])("%s: 1002 fast system calls from ring 3, no hypervisor entry for any", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("system calls made: 1002\n");
    // Every hypervisor entry is one of the kernel's own hypercalls (set_trap_table, stack_switch,
    // update_va_mapping, console_io, the iret to ring 3, shutdown) or one of the three bounced
    // soft interrupts (int $0x81 and $0x82 as #GP, int $0x83): none for vector 0x80.
    const hypercalls = [...r.d.stats.hypercalls.values()].reduce((a, b) => a + b, 0);
    expect(Object.fromEntries(r.d.stats.bounces)).toEqual({ 13: 2, 0x83: 1 });
    expect(r.d.stats.entries).toBe(hypercalls + 3);
    expect(r.d.stats.hypercalls.get(23)).toBe(1); // the one iret hypercall, into ring 3
    expect(hypercalls).toBeLessThan(30);
  });

  it.each(["events-pae", "events-classic"])("%s: three upcalls (two ipi sends, the timer), no bounce", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.d.stats.upcalls).toBe(3);
    expect(r.d.stats.bounces.size).toBe(0);
  });

  it.each(["multicall-pae", "multicall-classic"])("%s: the batched console_io reached the console", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("multicall: console_io from inside a batch\n");
  });

  it.each(["timers-pae", "timers-classic"])("%s: the default 100 Hz tick, 2 ms ticks, a single-shot wake; the wall clock", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("first default tick at 10000000 ns");
    expect(r.out).toContain("wc_sec: system time 0 is 2026-01-01T00:00:00Z");
  });

  it.each(["privops-pae", "privops-classic"])("%s: MSRs and port I/O emulated; refused ones bounced as #GP(0)", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    // RDMSR of an unknown MSR, WRMSR TSC, the hypercall-page MSR with an index, IN at IOPL 0 and
    // through a closed bitmap bit: five #GP(0); one #PF from INS into a read-only page.
    expect(r.d.stats.bounces.get(13)).toBe(5);
    expect(r.d.stats.bounces.get(14)).toBe(1);
    expect(r.d.stats.emulated).toBeGreaterThanOrEqual(12);
  });

  it.each(["gates-pae", "gates-classic"])("%s: five gate uses emulated; refused ones bounced as the CPU would fault", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    // lcall, lcall *m, ljmp from ring 1; lcall to ring 1 and the exit gate from ring 3
    expect(r.d.stats.emulated).toBe(5);
    expect(Object.fromEntries(r.d.stats.bounces)).toEqual({ 13: 3, 11: 1 });
  });

  it.each(["preempt-pae", "preempt-classic"])("%s: long batches restarted by continuations, invisibly", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    // 1000 ops at 256 per entry: 4 entries; multicall of 300: 2; multicall with 600 ops inside: 3
    expect(r.d.stats.hypercalls.get(26)).toBe(4);
    expect(r.d.stats.hypercalls.get(13)).toBe(5);
    // continuations created: 3 + 1 + 2 × 2 (a preempted sub-call's, then its multicall's)
    expect(r.d.preempt.continuations).toBe(3 + 1 + 4);
  });

  it.each(["ldt-pae", "ldt-classic"])("%s: LDT pages mapped on first use; the faults a guest must see bounced", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    // #NP (not present), #GP (beyond the LDT, no LDT), #PF (page still writable); one gate emulated
    expect(Object.fromEntries(r.d.stats.bounces)).toEqual({ 11: 1, 13: 2, 14: 1 });
    expect(r.d.stats.emulated).toBe(1);
    expect(r.d.vcpu.ldtMapped.size).toBe(0);
  });

  it.each(["badstack-pae", "badstack-classic"])("%s: a bounce frame that cannot be written kills the domain (exit 1)", (name) => {
    const r = runGuest(name);
    expect(r.end, r.out).toMatchObject({ kind: "killed" });
    expect(describeEnd(r.end)).toMatch(/fault writing the bounce frame for vector 6/);
    expect(r.status).toBe(1);
    expect(r.out).toContain("ok 1 - set_trap_table with a #UD handler");
    expect(r.out).toContain("the domain must die now");
    expect(r.out).not.toContain("still running");
    expect(r.d.stats.bounces.get(6)).toBe(1);
  });

  it.each(["headers-only-pae", "headers-only-classic"])("%s (Xen's public headers, no SDK) boots and prints", (name) => {
    const r = runGuest(name);
    expect(r.end).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const magic = name.endsWith("-pae") ? "xen-3.0-x86_32p" : "xen-3.0-x86_32";
    expect(r.out).toBe(`Hello from a guest built only against Xen's public headers: ${magic}\n`);
  });
});

// The same images through the command (needs `npm run build`: the CLI bundle in dist/).
describe("PV guests through `xenolith run`", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const xenolith = (...args: string[]) =>
    spawnSync("node", [join(root, "bin/xenolith.mjs"), "run", ...args], { encoding: "utf8", timeout: 60_000 });

  it.each(["hello-pae", "hello-classic"])("%s prints the greeting and exits 0", (name) => {
    const run = xenolith(join(dir, `${name}.elf`), "--cmdline", "from the command line");
    expect(run.stdout).toContain("Hello from a xenolith PV guest!\n");
    expect(run.stdout).toContain(`cmdline: "from the command line"\n`);
    expect(run.stdout).toMatch(/^PASS: \d+ checks$/m);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it("syscall: --stats --json shows 1002 system calls with no hypervisor entry for any of them", () => {
    const run = xenolith("--stats", "--json", join(dir, "syscall-pae.elf"));
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("system calls made: 1002\n");
    const stats = JSON.parse(run.stderr.trim().split("\n").pop()!);
    const hv = stats.hypervisor;
    const hypercalls = Object.values(hv.hypercalls as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(hv.bounces).toEqual({ "vector 13": 2, "vector 131": 1 }); // the ring-3 soft-int checks, not 0x80
    expect(hv.emulatedInstructions).toBe(0);
    expect(hv.hypervisorEntries).toBe(hypercalls + 3);
    expect(hypercalls).toBeLessThan(30);
  });

  it("attack: --stats prints the page-table work and every refused update by errno", () => {
    const run = xenolith("--stats", join(dir, "attack-pae.elf"));
    expect(run.status, run.stdout + run.stderr).toBe(0);
    // the guest prints "attack <what>: <result>"; the refused mm updates are its negative results
    // from mmu_update / update_va_mapping / mmuext_op (the hypervisor counts them by errno)
    const line = run.stderr.match(/^page tables +(\d+) entries validated \((\d+) fast path\), (\d+) tables validated, (\d+) type changes, (\d+) pins, (\d+) unpins, (\d+) frames freed; refused: (.*)$/m);
    expect(line, run.stderr).not.toBeNull();
    const refused = Object.fromEntries(line![8].split(", ").map((kv) => kv.split(" ")).map(([k, v]) => [k, Number(v)]));
    const json = JSON.parse(xenolith("--stats", "--json", join(dir, "attack-pae.elf")).stderr.trim().split("\n").pop()!).hypervisor.mm;
    expect(refused).toEqual(json.failures);
    expect(Number(line![5])).toBe(json.pins);
    expect(Number(line![4])).toBe(json.typeChanges);
    expect(Object.values(refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("badstack exits 1 and says why the domain died", () => {
    const run = xenolith(join(dir, "badstack-classic.elf"));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/fault writing the bounce frame for vector 6/);
  });
});
