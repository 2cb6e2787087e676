// Port 0x80, the POST diagnostic port: kernels write to it as a short I/O delay (Linux's
// outb_p). Writes are ignored; reads return 0xFF, as on a board without a POST card.
import type { PortDevice } from "../core/machine.ts";

export const POST_PORT = 0x80;

export class PostPort implements PortDevice {
  read(): number { return 0xff; }
  write(): void {}
}
