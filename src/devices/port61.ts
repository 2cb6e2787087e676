// System control port B (port 0x61) of the PC/AT: bit 0 gate of PIT counter 2, bit 1 speaker
// data (both kept and read back), bit 4 the DRAM refresh indicator (toggles on every read here,
// so loops waiting for a toggle end), bit 5 OUT of PIT counter 2 (used for timer calibration).
import type { PortDevice } from "../core/machine.ts";
import type { Pit8254 } from "./pit.ts";

export const PORT_B = 0x61;

export class PortB implements PortDevice {
  private bits = 0;
  private refresh = false;

  constructor(private readonly pit: Pit8254) {}

  read(): number {
    this.refresh = !this.refresh;
    return (this.bits & 0x0f) | (this.refresh ? 0x10 : 0) | (this.pit.output(2) ? 0x20 : 0);
  }

  write(_port: number, _size: number, value: number): void {
    this.bits = value & 0x0f;
  }
}
