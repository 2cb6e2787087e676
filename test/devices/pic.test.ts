import { describe, it, expect } from "vitest";
import { Pic8259, PicError } from "../../src/devices/pic.ts";

/** Program both chips as a PC BIOS or kernel does: vectors 0x20 and 0x28, cascade on IRQ 2. */
function initPic(autoEoi = false) {
  let intr = false;
  const pic = new Pic8259((l) => { intr = l; });
  const out = (port: number, v: number) => pic.write(port, 1, v);
  out(0x20, 0x11); out(0x21, 0x20); out(0x21, 0x04); out(0x21, autoEoi ? 0x03 : 0x01);
  out(0xa0, 0x11); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, 0x01);
  return { pic, out, in: (port: number) => pic.read(port, 1), intr: () => intr };
}

describe("8259A PIC pair", () => {
  it("ICW1 clears the mask; ICW2 sets the vector base; an edge on IRQ 0 is vector 0x20", () => {
    const { pic, in: inb, intr } = initPic();
    expect(inb(0x21)).toBe(0);
    expect(intr()).toBe(false);
    pic.pulseIrq(0);
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(intr()).toBe(false);
  });

  it("ISR blocks equal and lower priorities until EOI; higher ones nest", () => {
    const { pic, out, in: inb, intr } = initPic();
    pic.pulseIrq(3);
    expect(pic.acknowledge()).toBe(0x23);
    pic.pulseIrq(4);                // lower priority: waits
    expect(intr()).toBe(false);
    pic.pulseIrq(1);                // higher: nests
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21);
    out(0x20, 0x0b);                // OCW3: read ISR
    expect(inb(0x20)).toBe(0x0a);
    out(0x20, 0x0a);                // OCW3: read IRR
    expect(inb(0x20)).toBe(0x10);
    out(0x20, 0x20);                // non-specific EOI: IRQ 1
    expect(intr()).toBe(false);
    out(0x20, 0x63);                // specific EOI: IRQ 3
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it("masked requests stay in IRR and come through when unmasked", () => {
    const { pic, out, in: inb, intr } = initPic();
    out(0x21, 0x01);
    expect(inb(0x21)).toBe(0x01);
    pic.pulseIrq(0);
    expect(intr()).toBe(false);
    out(0x21, 0x00);
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it("edge-triggered: a line held high requests once", () => {
    const { pic, out, intr } = initPic();
    pic.setIrq(5, true);
    expect(pic.acknowledge()).toBe(0x25);
    out(0x20, 0x20);
    expect(intr()).toBe(false);
    pic.setIrq(5, true);
    expect(intr()).toBe(false);
  });

  it("slave IRQs cascade through IRQ 2 and need an EOI to both chips", () => {
    const { pic, out, in: inb, intr } = initPic();
    pic.pulseIrq(12);
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    out(0x20, 0x0b); expect(inb(0x20)).toBe(0x04);
    out(0xa0, 0x0b); expect(inb(0xa0)).toBe(0x10);
    pic.pulseIrq(13);
    expect(intr()).toBe(false);     // IRQ 2 still in service at the master
    out(0xa0, 0x20);
    out(0x20, 0x20);
    expect(intr()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2d);
    out(0xa1, 0xff);                // masked at the slave
    pic.pulseIrq(14);
    out(0xa0, 0x20); out(0x20, 0x20);
    expect(intr()).toBe(false);
  });

  it("automatic EOI leaves nothing in service", () => {
    const { pic, out, in: inb } = initPic(true);
    pic.pulseIrq(6);
    expect(pic.acknowledge()).toBe(0x26);
    out(0x20, 0x0b);
    expect(inb(0x20)).toBe(0);
  });

  it("a request that went away is a spurious IRQ 7", () => {
    const { pic } = initPic();
    expect(pic.acknowledge()).toBe(0x27);
  });

  it("poll mode reads the highest request and acknowledges it", () => {
    const { pic, out, in: inb } = initPic();
    pic.pulseIrq(5);                // (the CPU has IF = 0 and polls instead)
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x85);
    out(0x20, 0x0b);
    expect(inb(0x20)).toBe(0x20);
  });

  it("rotation: after a rotating EOI the serviced level has the lowest priority", () => {
    const { pic, out } = initPic();
    pic.pulseIrq(0);
    expect(pic.acknowledge()).toBe(0x20);
    out(0x20, 0xa0);                // rotate on non-specific EOI: IRQ 0 becomes lowest
    pic.pulseIrq(0); pic.pulseIrq(1);
    expect(pic.acknowledge()).toBe(0x21);
  });

  it("level-triggered mode fails loudly", () => {
    const { out } = initPic();
    expect(() => out(0x20, 0x19)).toThrow(PicError);
  });
});
