// The benchmark workloads: loops in the project's own guests (guests/bench/bare.{c,S} on the bare
// machine, guests/bench/pv.{c,S} as a PV domain), selected by `w=<name> n=<iterations>` on the
// kernel command line. Instruction workloads are reported in guest MIPS, event workloads in ns
// per event (one event per iteration).

export interface Workload {
  name: string;
  image: "bare" | "pv";
  unit: "MIPS" | "ns/event";
  /** iterations of the large run (--scale multiplies it); the small run does a tenth */
  n: number;
  doc: string;
}

export const WORKLOADS: readonly Workload[] = [
  { name: "alu", image: "bare", unit: "MIPS", n: 20_000_000, doc: "add/xor/rol/dec/jnz on registers" },
  { name: "mem", image: "bare", unit: "MIPS", n: 10_000_000, doc: "load + store over 64 KiB, paging on" },
  { name: "call", image: "bare", unit: "MIPS", n: 5_000_000, doc: "push/call/ret with a stack load" },
  { name: "syscall", image: "bare", unit: "ns/event", n: 1_000_000, doc: "ring 3 int 0x81 → ring 0 (IDT, TSS stack) → iret" },
  { name: "tlb", image: "bare", unit: "ns/event", n: 1_000_000, doc: "invlpg + CR3 reload + a load (walk)" },
  { name: "pf", image: "bare", unit: "ns/event", n: 500_000, doc: "#PF on a not-present page, handler sets P, returns" },
  // (2 M: with fewer the translated run is mostly translation and V8's baseline tier, ~40 ms)
  { name: "smc", image: "bare", unit: "ns/event", n: 2_000_000, doc: "store into the next instruction's immediate" },
  { name: "hypercall", image: "pv", unit: "ns/event", n: 200_000, doc: "PV: xen_version round trip" },
  { name: "bounce", image: "pv", unit: "ns/event", n: 100_000, doc: "PV: #UD bounced to the guest, HYPERVISOR_iret back" },
  { name: "fastsys", image: "pv", unit: "ns/event", n: 500_000, doc: "PV: ring 3 int 0x80, direct path (no hypervisor entry)" },
  { name: "slowsys", image: "pv", unit: "ns/event", n: 100_000, doc: "PV: ring 3 int 0x83, bounced by the hypervisor" },
];
