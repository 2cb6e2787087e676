// The bare PC: one Machine (CPU + RAM), the devices of a minimal PC on its port bus, a multiboot
// loader, and the loop that runs it to an end:
//
//   COM1 0x3F8-0x3FF (IRQ 4)   debug console 0xE9   exit port 0xF4-0xF7   POST/delay port 0x80
//   8259A PICs 0x20/0xA0       8254 PIT 0x40-0x43 (IRQ 0)            port B 0x61
//
// Time is the virtual clock of src/devices/pit.ts: retired instructions, plus the instructions a
// halted CPU would have retired until its next interrupt (HLT skips ahead to the next timer tick).
// A run ends at: a write to the exit port; HLT that nothing can end (IF = 0, or no unmasked
// timer running); the instruction limit; a triple fault (shutdown); an internal error.
import { INTERNAL_UNSUPPORTED, describeUnsupported } from "../core/unsupported.ts";
import { L } from "../core/layout.gen.ts";
import { Machine } from "../core/machine.ts";
import { codeName } from "../decode/iced.ts";
import { GuestConsole, type ConsoleSink } from "../devices/console.ts";
import { Serial16550, COM1_PORT, COM1_IRQ } from "../devices/serial.ts";
import { DebugConsole, DEBUGCON_PORT } from "../devices/debugcon.ts";
import { ExitPort, EXIT_PORT } from "../devices/exitport.ts";
import { Pic8259, PIC_MASTER_PORT, PIC_SLAVE_PORT } from "../devices/pic.ts";
import { Pit8254, PIT_PORT, PIT_IRQ } from "../devices/pit.ts";
import { PortB, PORT_B } from "../devices/port61.ts";
import { PostPort, POST_PORT } from "../devices/post.ts";
import { loadMultiboot, type MultibootBoot, type MultibootOptions } from "../boot/multiboot.ts";
import { collectStats, type RunStats } from "./stats.ts";
import { Tracer } from "./trace.ts";

const IF = 1 << 9;
const MiB = 1 << 20;

export interface PcOptions {
  /** guest RAM in MiB (default 32) */
  memoryMiB?: number;
  /** where guest output goes as it is produced (default: nowhere) */
  sink?: ConsoleSink | null;
  /** also keep the output for `output()` (default true) */
  keepOutput?: boolean;
}

export interface RunOptions {
  /** stop after this many instructions (outcome "max-insns") */
  maxInsns?: bigint;
  /** trace instructions: how many, and where each line goes */
  trace?: Tracer;
}

/** How a run ended. */
export type Outcome =
  /** the guest wrote `value` to the exit port: status (value << 1) | 1 */
  | { kind: "exit"; value: number; status: number }
  /** HLT that nothing can end (IF = 0, or no timer interrupt can arrive) */
  | { kind: "halted"; eip: number; interruptsEnabled: boolean }
  | { kind: "max-insns"; eip: number }
  /** triple fault: the CPU shut down */
  | { kind: "triple-fault"; eip: number }
  /** something the emulator cannot do or a bug: `message` says what */
  | { kind: "internal"; eip: number; message: string };

/** The emulator cannot go on (unimplemented, or a bug); the guest's EIP is known. */
export class InternalError extends Error {}

export class PC {
  readonly machine: Machine;
  readonly console: GuestConsole;
  readonly serial: Serial16550;
  readonly exitPort: ExitPort;
  readonly pic: Pic8259;
  readonly pit: Pit8254;
  /** instructions skipped while halted (part of the virtual clock) */
  idle = 0n;
  /** host seconds spent in run() */
  seconds = 0;
  boot?: MultibootBoot;

  constructor(opts: PcOptions = {}) {
    const mib = opts.memoryMiB ?? 32;
    if (!Number.isInteger(mib) || mib < 1 || mib > 1024) throw new RangeError(`memory must be a whole number of MiB from 1 to 1024 (got ${mib})`);
    this.machine = new Machine({ ramBytes: mib * MiB });
    // exceptions are delivered through the guest's IDT by the core
    this.machine.setField(L.S_EXC_POLICY, 1);
    this.console = new GuestConsole(opts.sink ?? null, opts.keepOutput ?? true);
    this.pic = new Pic8259((level) => this.machine.setField(L.S_INTR_PENDING, level ? 1 : 0));
    this.pit = new Pit8254(() => this.clock, () => this.pic.pulseIrq(PIT_IRQ));
    this.serial = new Serial16550(this.console, COM1_PORT, this.pic.line(COM1_IRQ));
    this.exitPort = new ExitPort(() => { this.machine.stopRequested = true; });
    const m = this.machine;
    m.attachPorts(COM1_PORT, 8, this.serial);
    m.attachPorts(DEBUGCON_PORT, 1, new DebugConsole(this.console));
    // as QEMU's isa-debug-exit with iosize=4: a write to any of 0xF4-0xF7 ends the run
    m.attachPorts(EXIT_PORT, 4, this.exitPort);
    m.attachPorts(PIC_MASTER_PORT, 2, this.pic);
    m.attachPorts(PIC_SLAVE_PORT, 2, this.pic);
    m.attachPorts(PIT_PORT, 4, this.pit);
    m.attachPorts(PORT_B, 1, new PortB(this.pit));
    m.attachPorts(POST_PORT, 1, new PostPort());
  }

  /** the virtual clock (instructions) */
  get clock(): bigint { return this.machine.instructions + this.idle; }

  /** Load a multiboot kernel (throws BadImageError for bad input). */
  load(image: Uint8Array, opts: MultibootOptions = {}): MultibootBoot {
    this.boot = loadMultiboot(this.machine, image, opts);
    return this.boot;
  }

  /** Everything the guest printed (serial and debug console, in order). */
  output(): string { return this.console.text(); }

  stats(): RunStats { return collectStats(this.machine, this.seconds, this.clock); }

  /** Run until the guest ends the run or one of the limits is reached. Never throws for the guest. */
  run(opts: RunOptions = {}): Outcome {
    // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (8 modules) on start
    const t0 = process.hrtime.bigint();
    try {
      return this.runLoop(opts);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { kind: "internal", eip: this.machine.eip, message };
    } finally {
      this.console.flush();
      this.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }

  private runLoop(opts: RunOptions): Outcome {
    const m = this.machine;
    const end = opts.maxInsns !== undefined ? m.instructions + opts.maxInsns : -1n;
    const trace = opts.trace;
    for (;;) {
      this.pit.service();
      let budget = 1n << 62n;
      if (end >= 0n) {
        budget = end - m.instructions;
        if (budget <= 0n) return { kind: "max-insns", eip: m.eip };
      }
      const next = this.pit.nextIrqClock();
      if (next >= 0n) {
        const until = next - this.clock;
        budget = until < 1n ? 1n : until < budget ? until : budget;
      }
      if (trace && !trace.done) {
        if (!m.field(L.S_HALTED)) trace.line(m);
        budget = 1n;
      }
      const reason = m.run(budget);
      switch (reason) {
        case "BUDGET":
          continue;
        case "SHUTDOWN":
          if (this.exitPort.value !== undefined) return { kind: "exit", value: this.exitPort.value, status: this.exitPort.status! };
          return { kind: "triple-fault", eip: m.eip };
        case "HLT": {
          // HLT ends with an interrupt (SDM Vol. 3, 6.8.1 / HLT): only the timer can raise one
          // while the CPU waits, and only if IF = 1 and the PIC passes IRQ 0.
          const ifSet = (m.eflags & IF) !== 0;
          const wake = this.pit.nextIrqClock(); // the guest may have programmed the PIT just now
          if (ifSet && wake >= 0n && !(this.pic.master.imr & (1 << PIT_IRQ))) {
            if (wake > this.clock) this.idle += wake - this.clock;
            continue;
          }
          return { kind: "halted", eip: m.eip, interruptsEnabled: ifSet };
        }
        case "INTERRUPT":
          this.deliverInterrupt(this.pic.acknowledge());
          continue;
        case "EXCEPTION":
          throw new InternalError(`exception ${m.field(L.S_EXC_VECTOR)} was not delivered by the core (EXC_POLICY 0)`);
        case "HYPERCALL":
          throw new InternalError("hypercall exit on the bare machine");
        case "INTERNAL":
          throw new InternalError(this.internalMessage());
        default:
          throw new InternalError(`unexpected exit ${reason}`);
      }
    }
  }

  /** External interrupt `vector` from the PIC, through the core (Machine.raiseInterrupt). */
  private deliverInterrupt(vector: number): void {
    const raise = (this.machine as unknown as { raiseInterrupt?: (v: number) => void }).raiseInterrupt;
    if (typeof raise !== "function") throw new InternalError(`external interrupt (vector ${vector}): the core cannot deliver interrupts yet (no Machine.raiseInterrupt)`);
    raise.call(this.machine, vector);
  }

  private internalMessage(): string {
    const m = this.machine;
    const arg0 = m.field(L.S_EXIT_ARG), arg1 = m.field(L.S_EXIT_ARG + 4);
    switch (arg0) {
      case 2: return `instruction ${codeName(arg1) ?? `code ${arg1}`} is not implemented`;
      case INTERNAL_UNSUPPORTED: return describeUnsupported(arg1);
      default: return `the core stopped with internal error ${arg0} (${arg1})`;
    }
  }
}
