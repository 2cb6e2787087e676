import { describe, it, expect } from "vitest";
import { Pit8254, PitError, pitTicks, clockOfTick } from "../../src/devices/pit.ts";
import { PortB } from "../../src/devices/port61.ts";

function setup() {
  const t = { clock: 0n };
  let irqs = 0;
  const pit = new Pit8254(() => t.clock, () => irqs++);
  const out = (port: number, v: number) => pit.write(port, 1, v);
  const inb = (port: number) => pit.read(port, 1);
  return { pit, t, out, inb, irqs: () => irqs };
}

describe("8254 PIT on a virtual clock of retired instructions", () => {
  it("1.193182 MHz at 100 million instructions per second", () => {
    expect(pitTicks(100_000_000n)).toBe(1_193_182n);
    expect(clockOfTick(1n)).toBe(84n);
    expect(pitTicks(clockOfTick(12345n))).toBe(12345n);
    expect(pitTicks(clockOfTick(12345n) - 1n)).toBe(12344n);
  });

  it("mode 2 on counter 0: one IRQ 0 per period, scheduled to the instruction", () => {
    const { pit, t, out, irqs } = setup();
    out(0x43, 0x34); out(0x40, 0x9c); out(0x40, 0x2e); // 11932: 100 Hz
    const first = pit.nextIrqClock();
    expect(first).toBe(clockOfTick(11932n));
    t.clock = first - 1n; pit.service();
    expect(irqs()).toBe(0);
    t.clock = first; pit.service();
    expect(irqs()).toBe(1);
    expect(pit.nextIrqClock()).toBe(clockOfTick(2n * 11932n));
    // several missed periods reach the PIC as one request
    t.clock = clockOfTick(10n * 11932n); pit.service();
    expect(irqs()).toBe(2);
    expect(pit.nextIrqClock()).toBe(clockOfTick(11n * 11932n));
  });

  it("mode 0 interrupts once at terminal count; a control word stops the counter", () => {
    const { pit, t, out, irqs } = setup();
    out(0x43, 0x30); out(0x40, 100); out(0x40, 0);
    t.clock = clockOfTick(100n); pit.service();
    expect(irqs()).toBe(1);
    expect(pit.nextIrqClock()).toBe(-1n);
    out(0x43, 0x36);
    expect(pit.nextIrqClock()).toBe(-1n);
  });

  it("reads the live count and a latched one, LSB then MSB", () => {
    const { t, out, inb } = setup();
    out(0x43, 0x34); out(0x40, 0x00); out(0x40, 0x10); // 4096
    t.clock = clockOfTick(96n);
    out(0x43, 0x00);                                    // latch counter 0
    t.clock = clockOfTick(500n);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(4000);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(3596);    // live again
    t.clock = clockOfTick(4096n + 6n);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(4090);    // reloaded
  });

  it("counter 2 OUT is visible at port 0x61 bit 5 (mode 0 calibration)", () => {
    const { pit, t, out } = setup();
    const portB = new PortB(pit);
    portB.write(0x61, 1, 0x01);
    out(0x43, 0xb0); out(0x42, 0xff); out(0x42, 0xff);
    expect(portB.read() & 0x20).toBe(0);
    t.clock = clockOfTick(0xffffn);
    expect(portB.read() & 0x20).toBe(0x20);
    expect(portB.read() & 1).toBe(1);
    expect((portB.read() ^ portB.read()) & 0x10).toBe(0x10); // the refresh bit toggles
  });

  it("what is not implemented fails loudly", () => {
    const { out } = setup();
    expect(() => out(0x43, 0x35)).toThrow(PitError);   // BCD
    expect(() => out(0x43, 0x32)).toThrow(PitError);   // mode 1
    expect(() => out(0x43, 0xc2)).toThrow(PitError);   // read-back
  });
});
