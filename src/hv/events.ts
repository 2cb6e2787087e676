// Event channels, 2-level ABI (Xen common/event_channel.c, event_2l.c): 1024 ports on x86_32.
// A port becomes pending by setting its bit in shared_info.evtchn_pending; unless its
// evtchn_mask bit is set, the vCPU's evtchn_pending_sel bit for the port's word is set and, if
// that bit was clear, evtchn_upcall_pending too. The hypervisor bounces to the event callback on
// the next return to the guest when upcall_pending is set and upcall_mask clear (hypervisor.ts).
//
// Single domain: an "interdomain" port here is connected to a back end inside the hypervisor
// (the console ring, the xenstore stub) rather than to another domain. alloc_unbound gives ports
// no other domain can bind; bind_interdomain is -ENOSYS (loudly: no second domain exists).
import type { Domain } from "./domain.ts";
import { ERRNO, EVTCHNOP, EVTCHNSTAT, SHARED_INFO, VCPU_INFO, EVTCHN_2L_NR_CHANNELS_X86_32, NR_VIRQS } from "./abi.ts";

import { DOMID_SELF } from "./abi.ts";
export { DOMID_SELF };

type Port =
  | { state: "free" }
  | { state: "reserved" }
  | { state: "unbound"; remoteDom: number }
  | { state: "interdomain"; backend: () => void }
  | { state: "virq"; virq: number }
  | { state: "ipi" };

export class EventChannels {
  readonly nr = EVTCHN_2L_NR_CHANNELS_X86_32;
  private readonly ports: Port[] = [];
  private readonly virqPort = new Array<number>(NR_VIRQS).fill(0);

  constructor(private readonly d: Domain) {
    // Port 0 is reserved and never allocated (evtchn_init).
    this.ports[0] = { state: "reserved" };
  }

  private port(p: number): Port { return this.ports[p] ?? { state: "free" }; }
  private valid(p: number): boolean { return p >= 0 && p < this.nr; }
  private allocPort(): number {
    for (let p = 1; p < this.nr; p++) if (this.port(p).state === "free") return p;
    return -1;
  }

  /** Bind a port to a back end in the hypervisor (the domain builder's console / xenstore ports). */
  bindBackend(p: number, backend: () => void): void {
    if (!this.valid(p) || p === 0 || this.port(p).state !== "free") throw new Error(`event channel ${p} cannot be bound to a back end`);
    this.ports[p] = { state: "interdomain", backend };
  }

  // ---- the 2-level pending/mask bitmaps in shared_info ----
  private bit(base: number, p: number): boolean { return (this.d.sharedU8(base + (p >> 3)) & (1 << (p & 7))) !== 0; }
  private setBit(base: number, p: number, on: boolean): boolean {
    const off = base + (p >> 3), old = this.d.sharedU8(off), m = 1 << (p & 7);
    this.d.setSharedU8(off, on ? old | m : old & ~m);
    return (old & m) !== 0;
  }
  isPending(p: number): boolean { return this.bit(SHARED_INFO.evtchn_pending, p); }
  isMasked(p: number): boolean { return this.bit(SHARED_INFO.evtchn_mask, p); }

  /** evtchn_2l_set_pending: mark `p` pending and raise the upcall unless masked. */
  setPending(p: number): void {
    if (this.setBit(SHARED_INFO.evtchn_pending, p, true)) return;
    this.d.stats.events++;
    if (this.isMasked(p)) return;
    this.raiseSel(p);
  }
  private raiseSel(p: number): void {
    const sel = this.d.sharedU32(SHARED_INFO.vcpu_info + VCPU_INFO.evtchn_pending_sel);
    const w = 1 << (p >> 5);
    if (sel & w) return;
    this.d.setSharedU32(SHARED_INFO.vcpu_info + VCPU_INFO.evtchn_pending_sel, sel | w);
    this.d.setVcpuInfoU8(VCPU_INFO.evtchn_upcall_pending, 1);
  }

  /** Is `virq` bound to a port? */
  virqBound(virq: number): boolean { return this.virqPort[virq] !== 0; }

  /** send_guest_virq: a VIRQ fires on its bound port (dropped when unbound). */
  sendVirq(virq: number): void {
    const p = this.virqPort[virq];
    if (p) this.setPending(p);
  }

  // ---- EVTCHNOP_* (argument structs from event_channel.h) ----
  op(cmd: number, arg: number): number {
    const m = this.d.mem;
    switch (cmd) {
      case EVTCHNOP.alloc_unbound: {
        // {domid_t dom @0, domid_t remote_dom @2, evtchn_port_t port @4 OUT}
        const dom = m.readU16(arg), remote = m.readU16(arg + 2);
        if (dom !== DOMID_SELF && dom !== this.d.domid) return -ERRNO.EPERM;
        const p = this.allocPort();
        if (p < 0) return -ERRNO.ENOSPC;
        m.writeU32(arg + 4, p);
        this.ports[p] = { state: "unbound", remoteDom: remote === DOMID_SELF ? this.d.domid : remote };
        return 0;
      }
      case EVTCHNOP.bind_virq: {
        // {uint32 virq @0, uint32 vcpu @4, evtchn_port_t port @8 OUT}
        const virq = m.readU32(arg), vcpu = m.readU32(arg + 4);
        if (virq >= NR_VIRQS) return -ERRNO.EINVAL;
        if (vcpu !== 0) return -ERRNO.ENOENT;
        if (this.virqPort[virq]) return -ERRNO.EEXIST;
        const p = this.allocPort();
        if (p < 0) return -ERRNO.ENOSPC;
        m.writeU32(arg + 8, p);
        this.ports[p] = { state: "virq", virq };
        this.virqPort[virq] = p;
        return 0;
      }
      case EVTCHNOP.bind_ipi: {
        // {uint32 vcpu @0, evtchn_port_t port @4 OUT}
        if (m.readU32(arg) !== 0) return -ERRNO.ENOENT;
        const p = this.allocPort();
        if (p < 0) return -ERRNO.ENOSPC;
        m.writeU32(arg + 4, p);
        this.ports[p] = { state: "ipi" };
        return 0;
      }
      case EVTCHNOP.close: {
        const p = m.readU32(arg);
        if (!this.valid(p)) return -ERRNO.EINVAL;
        const c = this.port(p);
        if (c.state === "free" || c.state === "reserved") return -ERRNO.EINVAL;
        if (c.state === "virq") this.virqPort[c.virq] = 0;
        this.ports[p] = { state: "free" };
        // evtchn_2l: closing clears nothing in the bitmaps; a later bind starts from a clean bit
        // because Xen clears pending when allocating (evtchn_port_init).
        this.setBit(SHARED_INFO.evtchn_pending, p, false);
        return 0;
      }
      case EVTCHNOP.send: {
        const p = m.readU32(arg);
        if (!this.valid(p)) return -ERRNO.EINVAL;
        const c = this.port(p);
        switch (c.state) {
          case "interdomain": c.backend(); return 0;
          case "ipi": this.setPending(p); return 0;
          case "unbound": return 0; // silently dropped
          default: return -ERRNO.EINVAL;
        }
      }
      case EVTCHNOP.status: {
        // {domid_t dom @0, port @4, status @8 OUT, vcpu @12 OUT, union @16 OUT}
        const dom = m.readU16(arg), p = m.readU32(arg + 4);
        if (dom !== DOMID_SELF && dom !== this.d.domid) return -ERRNO.ESRCH;
        if (!this.valid(p)) return -ERRNO.EINVAL;
        const c = this.port(p);
        const out = [0, 0, 0, 0];
        switch (c.state) {
          case "free": case "reserved": out[0] = EVTCHNSTAT.closed; break;
          case "unbound": out[0] = EVTCHNSTAT.unbound; out[2] = c.remoteDom; break;
          case "interdomain": out[0] = EVTCHNSTAT.interdomain; out[2] = 0; out[3] = 0; break;
          case "virq": out[0] = EVTCHNSTAT.virq; out[2] = c.virq; break;
          case "ipi": out[0] = EVTCHNSTAT.ipi; break;
        }
        m.writeU32s(arg + 8, out);
        return 0;
      }
      case EVTCHNOP.unmask: {
        const p = m.readU32(arg);
        if (!this.valid(p)) return -ERRNO.EINVAL;
        // evtchn_2l_unmask: clear the mask; a pending port then raises the upcall.
        this.setBit(SHARED_INFO.evtchn_mask, p, false);
        if (this.isPending(p)) this.raiseSel(p);
        return 0;
      }
      case EVTCHNOP.bind_interdomain:
        return -ERRNO.ENOSYS; // no second domain to connect to (documented in docs/HYPERVISOR.md)
      default:
        return -ERRNO.ENOSYS;
    }
  }
}
