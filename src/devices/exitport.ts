// The exit device at port 0xF4, as QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=4`:
// writing value v (byte, word or dword) ends the run; the emulator exits with status (v << 1) | 1
// (so a guest can never produce status 0, which is QEMU's own success). As a process exit status
// only the low 8 bits survive, exactly as with QEMU.
import type { PortDevice } from "../core/machine.ts";

export const EXIT_PORT = 0xf4;

export class ExitPort implements PortDevice {
  /** the value written, once the guest has written one */
  value: number | undefined;

  constructor(private readonly onExit: () => void) {}

  /** QEMU's debug-exit reads as 0. */
  read(): number { return 0; }

  write(_port: number, size: number, value: number): void {
    this.value = (size === 4 ? value : value & ((1 << (size * 8)) - 1)) >>> 0;
    this.onExit();
  }

  /** the status the run ends with: (v << 1) | 1, truncated to 8 bits as a process exit status */
  get status(): number | undefined {
    return this.value === undefined ? undefined : ((this.value << 1) | 1) & 0xff;
  }
}
