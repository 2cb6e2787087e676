import { describe, it, expect } from "vitest";
import { Serial16550 } from "../../src/devices/serial.ts";
import { GuestConsole } from "../../src/devices/console.ts";
import { DebugConsole } from "../../src/devices/debugcon.ts";
import { ExitPort } from "../../src/devices/exitport.ts";

const setup = () => {
  const con = new GuestConsole(null, true);
  const levels: boolean[] = [];
  const uart = new Serial16550(con, 0x3f8, (l) => levels.push(l));
  const w = (off: number, v: number) => uart.write(0x3f8 + off, 1, v);
  const r = (off: number) => uart.read(0x3f8 + off, 1);
  return { con, uart, w, r, levels };
};

describe("16550 UART (COM1)", () => {
  it("sends THR writes to the console; LSR always says THR and shifter empty", () => {
    const { con, w, r } = setup();
    for (const c of "ok\n") w(0, c.charCodeAt(0));
    expect(con.text()).toBe("ok\n");
    expect(r(5)).toBe(0x60);
  });

  it("initialises like a driver does: DLAB divisor latch, LCR, FCR, MCR, SCR", () => {
    const { con, w, r } = setup();
    w(3, 0x80);               // DLAB
    w(0, 0x01); w(1, 0x00);   // divisor 1 (115200 baud)
    expect([r(0), r(1)]).toEqual([0x01, 0x00]);
    expect(con.text()).toBe(""); // divisor writes are not data
    w(3, 0x03);               // 8N1, DLAB off
    expect(r(3)).toBe(0x03);
    expect(r(1)).toBe(0);     // IER again
    w(2, 0xc7);               // FIFO on, clear
    expect(r(2)).toBe(0xc1);  // FIFOs enabled, no interrupt pending
    w(4, 0x0b); expect(r(4)).toBe(0x0b);
    w(7, 0x5a); expect(r(7)).toBe(0x5a);
    expect(r(6)).toBe(0xb0);  // DCD, DSR, CTS
  });

  it("loopback: THR comes back in RBR, MSR mirrors MCR", () => {
    const { con, w, r } = setup();
    w(4, 0x1e);               // loopback, RTS, OUT1, OUT2
    expect(r(6) & 0xf0).toBe(0xd0); // CTS ← RTS, RI ← OUT1, DCD ← OUT2
    w(0, 0xae);
    expect(r(5) & 1).toBe(1);
    expect(r(0)).toBe(0xae);
    expect(r(5) & 1).toBe(0);
    expect(con.text()).toBe("");
  });

  it("THR-empty interrupt: raised on enabling, cleared by reading IIR, gated by OUT2", () => {
    const { w, r, levels } = setup();
    w(4, 0x08);               // OUT2
    w(1, 0x02);               // ETBEI
    expect(levels.at(-1)).toBe(true);
    expect(r(2) & 0x0f).toBe(0x02);
    expect(levels.at(-1)).toBe(false);
    expect(r(2) & 0x0f).toBe(0x01);
    w(0, 0x41);               // a byte sent: THR empty again
    expect(levels.at(-1)).toBe(true);
    w(4, 0x00);               // OUT2 off: the line drops
    expect(levels.at(-1)).toBe(false);
  });
});

describe("debug console and exit port", () => {
  it("port 0xE9 writes bytes and reads 0xE9", () => {
    const con = new GuestConsole(null, true);
    const d = new DebugConsole(con);
    d.write(0xe9, 1, 0x41); d.write(0xe9, 4, 0x0a42);
    expect(con.text()).toBe("AB");
    expect(d.read()).toBe(0xe9);
  });

  it("port 0xF4 ends the run with status (v << 1) | 1, low 8 bits", () => {
    let stops = 0;
    const x = new ExitPort(() => stops++);
    expect(x.status).toBeUndefined();
    x.write(0xf4, 1, 0x10);
    expect([x.value, x.status, stops]).toEqual([0x10, 33, 1]);
    x.write(0xf4, 2, 0x12345);
    expect([x.value, x.status]).toEqual([0x2345, 0x8b]);
    x.write(0xf4, 4, 0x80000000);
    expect([x.value, x.status]).toEqual([0x80000000, 1]);
  });
});
