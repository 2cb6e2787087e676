// The debug console at port 0xE9 (Bochs' "port E9 hack", QEMU's -debugcon): each byte written
// goes to the console. Reading the port returns 0xE9, which guests use to detect it.
import type { PortDevice } from "../core/machine.ts";
import type { GuestConsole } from "./console.ts";

export const DEBUGCON_PORT = 0xe9;

export class DebugConsole implements PortDevice {
  constructor(private readonly console: GuestConsole) {}
  read(): number { return DEBUGCON_PORT; }
  /** A word or dword write sends its low byte (QEMU's debugcon is a byte port). */
  write(_port: number, _size: number, value: number): void { this.console.putByte(value & 0xff); }
}
