// An interrupt request line from a device to the interrupt controller: `level` true raises it.
// The 8259A here is edge-triggered (ICW1.LTIM = 0), so a request is a low → high transition.
export type IrqLine = (level: boolean) => void;

/** A line connected to nothing (a device used without a PIC, e.g. in tests). */
export const noIrq: IrqLine = () => {};
