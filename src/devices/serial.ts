// COM1: enough of a 16550A UART for a kernel to print and for a driver to initialise and probe it
// (National Semiconductor PC16550D data sheet; QEMU hw/char/serial.c).
//
//   +0 RBR (read) / THR (write), DLL when LCR.DLAB   +4 MCR (bit 4 loopback)
//   +1 IER, DLM when LCR.DLAB                         +5 LSR (DR, THRE, TEMT)
//   +2 IIR (read) / FCR (write)                       +6 MSR
//   +3 LCR (bit 7 DLAB)                               +7 SCR
//
// Transmission is instantaneous: THR and the shift register are always empty again by the time
// the guest reads LSR (THRE | TEMT). There is no host input: RBR only receives in loopback mode.
// Interrupts: "THR empty" (IER bit 1) and "received data" (IER bit 0) on the IRQ line (IRQ 4);
// the line follows MCR.OUT2, as on PC boards where OUT2 gates the UART's interrupt.
import type { PortDevice } from "../core/machine.ts";
import type { GuestConsole } from "./console.ts";
import { noIrq, type IrqLine } from "./irq.ts";

export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;

const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10, MCR_OUT2 = 0x08;
const LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const IER_RDI = 0x01, IER_THRI = 0x02;
const IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_FIFO = 0xc0;

export class Serial16550 implements PortDevice {
  private divisor = 12; // 9600 baud, the BIOS default
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  /** a byte received in loopback mode, or -1 */
  private rbr = -1;
  /** "THR empty" interrupt pending: set when THR empties or THRI is enabled, cleared by an IIR
   * read reporting it or a THR write (data sheet, Table IV) */
  private thrIntPending = false;

  constructor(private readonly console: GuestConsole, private readonly base = COM1_PORT, private readonly irq: IrqLine = noIrq) {}

  read(port: number, _size?: number): number {
    switch (port - this.base) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        { const v = this.rbr < 0 ? 0 : this.rbr; this.rbr = -1; this.update(); return v; }
      case 1: return this.lcr & LCR_DLAB ? this.divisor >> 8 : this.ier;
      case 2: {
        const fifo = this.fcr & 1 ? IIR_FIFO : 0;
        if (this.ier & IER_RDI && this.rbr >= 0) return IIR_RDI | fifo;
        if (this.ier & IER_THRI && this.thrIntPending) {
          this.thrIntPending = false;
          this.update();
          return IIR_THRI | fifo;
        }
        return IIR_NONE | fifo;
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THRE | LSR_TEMT | (this.rbr >= 0 ? LSR_DR : 0);
      case 6:
        // Loopback: CTS ← RTS, DSR ← DTR, RI ← OUT1, DCD ← OUT2. Otherwise a connected line:
        // DCD | DSR | CTS.
        if (this.mcr & MCR_LOOP) return ((this.mcr & 2) << 3) | ((this.mcr & 1) << 5) | ((this.mcr & 4) << 4) | ((this.mcr & 8) << 4);
        return 0xb0;
      default: return this.scr;
    }
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (port - this.base) {
      case 0:
        if (this.lcr & LCR_DLAB) { this.divisor = (this.divisor & 0xff00) | v; return; }
        if (this.mcr & MCR_LOOP) this.rbr = v;
        else this.console.putByte(v);
        this.thrIntPending = true; // sent at once: THR is empty again
        this.update();
        return;
      case 1:
        if (this.lcr & LCR_DLAB) { this.divisor = (this.divisor & 0xff) | (v << 8); return; }
        // enabling THRI while THR is empty raises the interrupt at once
        if (v & IER_THRI && !(this.ier & IER_THRI)) this.thrIntPending = true;
        this.ier = v & 0x0f;
        this.update();
        return;
      case 2: this.fcr = v & 0xc9; return; // bits 1-2 (clear FIFOs) self-clear
      case 3: this.lcr = v; return;
      case 4: this.mcr = v & 0x1f; this.update(); return;
      case 5: case 6: return; // LSR and MSR are read-only here (factory test writes ignored)
      default: this.scr = v;
    }
  }

  private update(): void {
    const pending = (this.ier & IER_RDI && this.rbr >= 0) || (this.ier & IER_THRI && this.thrIntPending);
    this.irq(Boolean(pending) && (this.mcr & MCR_OUT2) !== 0);
  }
}
