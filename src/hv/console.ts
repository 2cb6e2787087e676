// The PV console back end (what xenconsoled does for a domU): drain the `out` ring of the
// xencons_interface page to the domain's output when the guest signals its console event channel
// or yields, then notify the guest back on that channel, as xenconsoled does after consuming.
// Input (the `in` ring) is never filled: there is no keyboard.
// Also console_io (Xen's own console), allowed for a domU as in a debug build of Xen.
import type { Domain } from "./domain.ts";
import { CONSOLEIO_read, CONSOLEIO_write, ERRNO, XENCONS } from "./abi.ts";

export class ConsoleBackend {
  private readonly decoder = new TextDecoder("latin1");
  port = 0;
  constructor(private readonly d: Domain, private readonly ringMfn: number) {}

  /** Copy every byte between out_cons and out_prod to the output. Returns the byte count. */
  drain(): number {
    const ring = this.ringMfn * 4096, d = this.d;
    let cons = d.readMachineU32(ring + XENCONS.out_cons);
    const prod = d.readMachineU32(ring + XENCONS.out_prod);
    // A producer more than a ring ahead is a guest bug: take at most one ring's worth.
    let n = (prod - cons) >>> 0;
    if (n > XENCONS.out_size) { cons = (prod - XENCONS.out_size) >>> 0; n = XENCONS.out_size; }
    if (n === 0) return 0;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = d.machine.u8[d.ramBase + ring + XENCONS.out + ((cons + i) & (XENCONS.out_size - 1))];
    d.output(this.decoder.decode(bytes));
    d.writeMachineU32(ring + XENCONS.out_cons, prod);
    if (this.port) d.events.setPending(this.port);
    return n;
  }
}

/** HYPERVISOR_console_io(cmd, count, buffer) */
export function consoleIo(d: Domain, cmd: number, count: number, buf: number): number {
  switch (cmd) {
    case CONSOLEIO_write: {
      const bytes = d.mem.read(buf, count >>> 0); // GuestFault → -EFAULT
      d.output(new TextDecoder("latin1").decode(bytes));
      return 0;
    }
    case CONSOLEIO_read:
      return -ERRNO.EPERM; // reading Xen's console is for the privileged domain only
    default:
      return -ERRNO.ENOSYS;
  }
}
