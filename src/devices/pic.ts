// The two cascaded 8259A programmable interrupt controllers of the PC (Intel 8259A data sheet;
// QEMU hw/intc/i8259.c): master at ports 0x20/0x21, slave at 0xA0/0xA1 on the master's IRQ 2.
//
// Each chip: IRR (requests latched on a rising edge), IMR (mask), ISR (in service). Initialisation
// is ICW1 (command port, bit 4 set) then ICW2 (vector base), ICW3 (cascade, unless single) and ICW4
// (if ICW1.IC4) on the data port; afterwards the data port is OCW1 (IMR) and the command port takes
// OCW2 (EOI, rotation) and OCW3 (read IRR/ISR, poll, special mask). Priority rotates with
// `priorityAdd` (the lowest-priority IRQ is priorityAdd - 1). Edge-triggered only: ICW1.LTIM
// (level mode) fails loudly. The CPU's interrupt acknowledge is `acknowledge()`.
import type { PortDevice } from "../core/machine.ts";

export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
export const CASCADE_IRQ = 2;

/** No request pending: the priority of an empty mask. */
const NONE = 8;

export class PicError extends Error {}

class Chip {
  irr = 0;
  isr = 0;
  imr = 0;
  /** input line levels, for edge detection */
  lines = 0;
  priorityAdd = 0;
  vectorBase = 0;
  readIsr = false;
  poll = false;
  specialMask = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  /** 0 operational; 1, 2, 3: expecting ICW2, ICW3, ICW4 */
  initStep = 0;
  needIcw4 = false;
  single = false;

  constructor(readonly name: string) {}

  setLine(irq: number, level: boolean): void {
    const m = 1 << irq;
    if (level) {
      if (!(this.lines & m)) this.irr |= m; // edge-triggered: latch the rising edge
      this.lines |= m;
    } else {
      this.lines &= ~m;
    }
  }

  /** 0 (highest) … 7 of the highest-priority bit of `mask`, or NONE */
  priority(mask: number): number {
    if (mask === 0) return NONE;
    let p = 0;
    while (!(mask & (1 << ((p + this.priorityAdd) & 7)))) p++;
    return p;
  }

  /** the IRQ this chip would signal to the CPU (or its master), or -1 */
  pendingIrq(): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === NONE) return -1;
    // In special mask mode, masked in-service levels do not block lower priorities (OCW3.SMM).
    const inService = this.priority(this.specialMask ? this.isr & ~this.imr : this.isr);
    return p < inService ? (p + this.priorityAdd) & 7 : -1;
  }

  /** INTA for `irq`: IRR → ISR (or, with AEOI, the EOI at once). */
  acknowledge(irq: number): void {
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= 1 << irq;
    }
    this.irr &= ~(1 << irq);
  }

  writeCommand(v: number): void {
    if (v & 0x10) {
      // ICW1: the chip is reset (data sheet: "the IMR is cleared", IRQ 7 lowest priority)
      if (v & 0x08) throw new PicError(`8259 ${this.name}: level-triggered mode (ICW1.LTIM) is not implemented`);
      this.irr = this.isr = this.imr = this.priorityAdd = 0;
      this.readIsr = this.poll = this.specialMask = this.autoEoi = this.rotateOnAutoEoi = false;
      this.single = (v & 0x02) !== 0;
      this.needIcw4 = (v & 0x01) !== 0;
      this.initStep = 1;
    } else if (v & 0x08) {
      // OCW3
      if (v & 0x04) this.poll = true;
      if (v & 0x02) this.readIsr = (v & 0x01) !== 0;
      if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
    } else {
      // OCW2: bits 7-5 = R, SL, EOI
      const level = v & 7;
      switch (v >> 5) {
        case 0: this.rotateOnAutoEoi = false; break;
        case 4: this.rotateOnAutoEoi = true; break;
        case 1: // non-specific EOI: the highest-priority level in service
        case 5: { // ... and rotate
          const p = this.priority(this.isr);
          if (p !== NONE) {
            const irq = (p + this.priorityAdd) & 7;
            this.isr &= ~(1 << irq);
            if (v >> 5 === 5) this.priorityAdd = (irq + 1) & 7;
          }
          break;
        }
        case 3: this.isr &= ~(1 << level); break; // specific EOI
        case 7: this.isr &= ~(1 << level); this.priorityAdd = (level + 1) & 7; break;
        case 6: this.priorityAdd = (level + 1) & 7; break; // set priority: `level` lowest
        default: break; // 2: no operation
      }
    }
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 1: // ICW2: vector base (bits 7-3)
        this.vectorBase = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 3 : 0) : 2;
        break;
      case 2: // ICW3: the cascade wiring (master: IRQ 2 has a slave; slave: its id 2)
        this.initStep = this.needIcw4 ? 3 : 0;
        break;
      case 3: // ICW4: bit 0 8086 mode, bit 1 automatic EOI
        if (!(v & 1)) throw new PicError(`8259 ${this.name}: MCS-80/85 mode (ICW4 bit 0 clear) is not implemented`);
        this.autoEoi = (v & 0x02) !== 0;
        this.initStep = 0;
        break;
      default: // OCW1
        this.imr = v & 0xff;
    }
  }

  readCommand(): number {
    if (this.poll) {
      // poll command: the next read acknowledges the highest request (bit 7 = one was pending)
      this.poll = false;
      const irq = this.pendingIrq();
      if (irq < 0) return 0;
      this.acknowledge(irq);
      return 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }
}

export class Pic8259 implements PortDevice {
  readonly master = new Chip("master");
  readonly slave = new Chip("slave");

  /** `output`: the INTR line to the CPU (the board mirrors it into the core's INTR_PENDING). */
  constructor(private readonly output: (level: boolean) => void = () => {}) {}

  /** Drive IRQ line 0-15 (8-15 on the slave). */
  setIrq(irq: number, level: boolean): void {
    if (irq >= 8) this.slave.setLine(irq - 8, level);
    else this.master.setLine(irq, level);
    this.update();
  }

  /** A rising then falling edge: one request on an edge-triggered line. */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  /** the line as a device sees it */
  line(irq: number): (level: boolean) => void {
    return (level) => this.setIrq(irq, level);
  }

  get intr(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  private update(): void {
    // the slave's INT output is the master's IRQ 2 input
    this.master.setLine(CASCADE_IRQ, this.slave.pendingIrq() >= 0);
    this.output(this.intr);
  }

  /**
   * The CPU's interrupt acknowledge cycle: the vector to deliver. With nothing pending (the
   * request went away) the 8259A answers with IRQ 7's vector without setting ISR — a spurious
   * interrupt (data sheet, "Interrupt Sequence").
   */
  acknowledge(): number {
    let vector: number;
    const irq = this.master.pendingIrq();
    if (irq < 0) {
      vector = this.master.vectorBase + 7;
    } else if (irq === CASCADE_IRQ) {
      this.master.acknowledge(irq);
      const irq2 = this.slave.pendingIrq();
      if (irq2 < 0) vector = this.slave.vectorBase + 7;
      else { this.slave.acknowledge(irq2); vector = this.slave.vectorBase + irq2; }
    } else {
      this.master.acknowledge(irq);
      vector = this.master.vectorBase + irq;
    }
    this.update();
    return vector;
  }

  read(port: number, _size?: number): number {
    const chip = (port & 0xf0) === PIC_SLAVE_PORT ? this.slave : this.master;
    const v = port & 1 ? chip.imr : chip.readCommand();
    this.update();
    return v;
  }

  write(port: number, _size: number, value: number): void {
    const chip = (port & 0xf0) === PIC_SLAVE_PORT ? this.slave : this.master;
    if (port & 1) chip.writeData(value & 0xff);
    else chip.writeCommand(value & 0xff);
    this.update();
  }
}
