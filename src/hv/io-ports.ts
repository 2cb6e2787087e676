// I/O port access of a PV domU (Xen arch/x86/pv/emul-priv-op.c guest_io_okay, admin_io_okay,
// guest_io_read, guest_io_write; physdev_op set_iopl / set_iobitmap).
//
// Whether the guest may execute an I/O instruction at all (guest_io_okay): its virtual IOPL
// allows the current ring (iopl_ok: the kernel counts as ring 1, or ring 0 under
// architectural_iopl; user mode as ring 3), or the I/O bitmap it registered with
// PHYSDEVOP_set_iobitmap clears every bit of the access (ports below nr_ports; bytes of the bitmap
// that cannot be read count as 0xff). Otherwise the instruction is not emulated: #GP(0).
//
// What the access does: a domU has no real I/O ports (admin_io_okay fails), so a read gives all
// ones and a write is dropped, byte by byte, except Xen's few virtual registers:
//   0x70 (RTC index)      a write stores the CMOS index, a read returns it
//   0xcf8 (PCI address)   a 32-bit access stores / returns the domain's CONFIG_ADDRESS
//   0xcfc-0xcff           PCI data: a domU may not touch configuration space (all ones, dropped)
//   0x42, 0x43, 0x61      Xen's PV PIT channel 2 (pv_pit_handler): NOT implemented here, such an
//                         access stops the run with a message instead of returning a wrong value.
import type { Domain } from "./domain.ts";
import { ERRNO, VMASST_TYPE } from "./abi.ts";
import { GuestFault } from "./guest-memory.ts";

/** The I/O bitmap covers 65536 ports (IOBMP_BYTES). */
const IOBMP_BYTES = 8192;
const RTC_INDEX = 0x70, PCI_CF8 = 0xcf8;

/** iopl_ok: the virtual IOPL against the ring the guest is in (kernel = 1, or 0 under architectural_iopl). */
export function ioplOk(d: Domain): boolean {
  const ring = d.cpl === 3 ? 3 : (d.vmAssist & (1 << VMASST_TYPE.architectural_iopl)) ? 0 : 1;
  return ring <= d.vcpu.iopl;
}

/** guest_io_okay: may the guest access `bytes` ports from `port`? */
export function guestIoOkay(d: Domain, port: number, bytes: number): boolean {
  if (ioplOk(d)) return true;
  const v = d.vcpu;
  if (v.iobmpLimit > port + bytes) {
    // Two bytes of the guest's bitmap, each unreadable one counting as 0xff (no access).
    const b = [0xff, 0xff];
    for (let i = 0; i < 2; i++) {
      try { b[i] = d.mem.readU8((v.iobmp + (port >>> 3) + i) >>> 0); } catch (e) { if (!(e instanceof GuestFault)) throw e; break; }
    }
    const mask = b[0] | (b[1] << 8);
    if ((mask & (((1 << bytes) - 1) << (port & 7))) === 0) return true;
  }
  return false;
}

function pitUnimplemented(port: number): never {
  throw new Error(`emulator: PV guest access to port 0x${port.toString(16)} (Xen's emulated PIT channel 2, pv_pit_handler) is not implemented`);
}

/** guest_io_read for a domU. */
export function guestIoRead(d: Domain, port: number, bytes: number): number {
  let data = 0, shift = 0;
  while (bytes !== 0) {
    let size = 1, sub = 0xffffffff;
    if (port === 0x42 || port === 0x43 || port === 0x61) pitUnimplemented(port);
    else if (port === RTC_INDEX) sub = d.vcpu.cmosIndex;
    else if (port === PCI_CF8 && bytes === 4) { size = 4; sub = d.vcpu.pciCf8; }
    else if ((port & 0xfffc) === 0xcfc) { size = Math.min(bytes, 4 - (port & 3)); if (size === 3) size = 2; }
    if (size === 4) return sub >>> 0;
    data |= (sub & ((1 << (size * 8)) - 1)) << shift;
    shift += size * 8; port += size; bytes -= size;
  }
  return data >>> 0;
}

/** guest_io_write for a domU. */
export function guestIoWrite(d: Domain, port: number, bytes: number, data: number): void {
  while (bytes !== 0) {
    let size = 1;
    if (port === 0x42 || port === 0x43 || port === 0x61) pitUnimplemented(port);
    else if (port === RTC_INDEX) d.vcpu.cmosIndex = data & 0xff;
    else if (port === PCI_CF8 && bytes === 4) { size = 4; d.vcpu.pciCf8 = data >>> 0; }
    else if ((port & 0xfffc) === 0xcfc) { size = Math.min(bytes, 4 - (port & 3)); if (size === 3) size = 2; }
    if (size === 4) return;
    port += size; bytes -= size; data >>>= size * 8;
  }
}

/** PHYSDEVOP_set_iopl {uint32 iopl}: > 3 is -EINVAL. */
export function setIopl(d: Domain, arg: number): number {
  const iopl = d.mem.readU32(arg);
  if (iopl > 3) return -ERRNO.EINVAL;
  d.vcpu.iopl = iopl;
  return 0;
}

/** PHYSDEVOP_set_iobitmap {uint8 *bitmap, uint32 nr_ports}: the bitmap's 8 KiB must lie below the
 * hypervisor area (guest_handle_okay) and nr_ports <= 65536, else -EINVAL. */
export function setIobitmap(d: Domain, arg: number): number {
  const [bitmap, nrPorts] = d.mem.readU32s(arg, 2);
  if (bitmap + IOBMP_BYTES > d.hvStart || nrPorts > 65536) return -ERRNO.EINVAL;
  d.vcpu.iobmp = bitmap;
  d.vcpu.iobmpLimit = nrPorts;
  return 0;
}
