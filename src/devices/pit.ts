// The 8254 programmable interval timer (Intel 8254 data sheet; QEMU hw/timer/i8254.c): counters
// 0-2 at ports 0x40-0x42, the control word at 0x43. Counter 0 drives IRQ 0.
//
// Time is virtual and deterministic: the machine's clock is its retired-instruction count (plus
// the instructions it would have retired while halted), read as a CPU retiring
// VIRTUAL_INSNS_PER_SECOND = 100 million instructions per second. The counters' input clock is the
// PC's 1.193182 MHz, so PIT tick t happens at instruction ceil(t · 10^8 / 1193182) (≈ 83.8 per tick).
//
// Modes: 0 (interrupt on terminal count), 2 (rate generator), 3 (square wave). Binary counting;
// BCD, the read-back command and modes 1, 4, 5 fail loudly. Counter reads use the latch command
// or read the live count. Gates are always high (port 0x61 bit 0 is not wired to counter 2).
// In mode 3 a read gives the position in the period, not the 8254's count-by-two value.
import type { PortDevice } from "../core/machine.ts";

export const PIT_PORT = 0x40;
export const PIT_IRQ = 0;
export const PIT_HZ = 1_193_182n;
export const VIRTUAL_INSNS_PER_SECOND = 100_000_000n;

export class PitError extends Error {}

/** The PIT tick at virtual clock `clock` (instructions). */
export function pitTicks(clock: bigint): bigint {
  return (clock * PIT_HZ) / VIRTUAL_INSNS_PER_SECOND;
}
/** The first clock (instructions) at which tick `tick` has happened. */
export function clockOfTick(tick: bigint): bigint {
  return (tick * VIRTUAL_INSNS_PER_SECOND + PIT_HZ - 1n) / PIT_HZ;
}

class Counter {
  mode = 0;
  /** 1 LSB only, 2 MSB only, 3 LSB then MSB */
  access = 3;
  /** the count loaded (1-65536), 0 while none has been written since the control word */
  reload = 0;
  /** PIT tick at which counting started */
  start = 0n;
  /** next LSB/MSB half to write/read in access mode 3 */
  writeHigh = false;
  readHigh = false;
  writeLow = 0;
  latched = -1;
  /** output edges already signalled, up to this tick */
  signalledUpTo = 0n;

  count(now: bigint): number {
    if (this.reload === 0) return 0;
    const e = now - this.start;
    const n = BigInt(this.reload);
    if (this.mode === 0) return Number((n - e) & 0xffffn); // counts on through 0 and wraps
    return Number(n - (e % n)) & 0xffff;
  }

  /** OUT: mode 0 high from terminal count on; mode 2 low for the last tick of each period;
   * mode 3 high for the first half of each period. */
  output(now: bigint): boolean {
    if (this.reload === 0) return this.mode !== 0;
    const e = now - this.start;
    const n = BigInt(this.reload);
    if (this.mode === 0) return e >= n;
    const pos = e % n;
    if (this.mode === 2) return pos !== n - 1n;
    return pos < (n + 1n) / 2n;
  }

  /** the tick of the first rising edge of OUT after tick `after`, or -1n (none coming) */
  nextEdge(after: bigint): bigint {
    if (this.reload === 0) return -1n;
    const n = BigInt(this.reload);
    if (this.mode === 0) return this.start + n > after ? this.start + n : -1n;
    // modes 2 and 3: OUT rises as the count reloads, every n ticks
    const k = (after - this.start) / n + 1n;
    return this.start + k * n;
  }
}

export class Pit8254 implements PortDevice {
  readonly counters = [new Counter(), new Counter(), new Counter()];

  /** `clock`: the machine's virtual clock in instructions; `irq0`: pulses IRQ 0 */
  constructor(private readonly clock: () => bigint, private readonly irq0: () => void = () => {}) {}

  private now(): bigint { return pitTicks(this.clock()); }

  read(port: number, _size?: number): number {
    if (port === PIT_PORT + 3) return 0xff; // the control word register cannot be read
    const c = this.counters[port - PIT_PORT];
    const v = c.latched >= 0 ? c.latched : c.count(this.now());
    let out: number;
    if (c.access === 1) out = v & 0xff;
    else if (c.access === 2) out = v >> 8;
    else { out = c.readHigh ? v >> 8 : v & 0xff; c.readHigh = !c.readHigh; }
    // a latched value is held until it has been read completely
    if (c.latched >= 0 && (c.access !== 3 || !c.readHigh)) c.latched = -1;
    return out & 0xff;
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === PIT_PORT + 3) return this.control(v);
    const c = this.counters[port - PIT_PORT];
    let count: number;
    if (c.access === 1) count = v;
    else if (c.access === 2) count = v << 8;
    else if (!c.writeHigh) { c.writeLow = v; c.writeHigh = true; return; }
    else { count = c.writeLow | (v << 8); c.writeHigh = false; }
    // a count of 0 means 65536 (binary counting)
    c.reload = count === 0 ? 0x10000 : count;
    c.start = this.now();
    c.signalledUpTo = c.start;
  }

  private control(v: number): void {
    const sc = v >> 6;
    if (sc === 3) throw new PitError("8254: the read-back command is not implemented");
    const c = this.counters[sc];
    const rw = (v >> 4) & 3;
    if (rw === 0) {
      // counter latch command (latches once until read)
      if (c.latched < 0) { c.latched = c.count(this.now()); c.readHigh = false; }
      return;
    }
    if (v & 1) throw new PitError("8254: BCD counting is not implemented");
    let mode = (v >> 1) & 7;
    if (mode >= 6) mode -= 4; // modes 6 and 7 are modes 2 and 3
    if (mode !== 0 && mode !== 2 && mode !== 3) throw new PitError(`8254: counter ${sc} mode ${mode} is not implemented`);
    // a control word stops the counter until a new count is written
    c.mode = mode; c.access = rw; c.reload = 0; c.latched = -1;
    c.writeHigh = false; c.readHigh = false;
  }

  /** OUT of counter `n` now (counter 2's is readable at port 0x61 bit 5). */
  output(n: number): boolean {
    return this.counters[n].output(this.now());
  }

  /** The clock (instructions) at which counter 0 next raises IRQ 0, or -1n. */
  nextIrqClock(): bigint {
    const t = this.counters[0].nextEdge(this.counters[0].signalledUpTo);
    return t < 0n ? -1n : clockOfTick(t);
  }

  /** Signal the IRQ 0 edges that are due; several missed edges reach the 8259A as one request. */
  service(): void {
    const c = this.counters[0];
    const now = this.now();
    let t = c.nextEdge(c.signalledUpTo);
    if (t < 0n || t > now) return;
    while (t >= 0n && t <= now) { c.signalledUpTo = t; t = c.nextEdge(t); }
    this.irq0();
  }
}
