// HYPERVISOR_xen_version (Xen common/kernel.c do_xen_version): xenolith answers as Xen 4.17, the
// version of the headers the ABI is checked against.
import type { Domain } from "./domain.ts";
import { ERRNO, XENVER, XENFEAT_pae_pgdir_above_4gb } from "./abi.ts";

export const XEN_MAJOR = 4;
export const XEN_MINOR = 17;
export const XEN_EXTRAVERSION = "-xenolith";
/** XENFEAT_pae_pgdir_above_4gb: the only feature flag advertised (the L3 may live anywhere). */
export const XEN_FEATURES_SUBMAP0 = 1 << XENFEAT_pae_pgdir_above_4gb;

function cstr(s: string, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set(new TextEncoder().encode(s).subarray(0, size - 1));
  return b;
}

export function xenVersion(d: Domain, cmd: number, arg: number): number {
  switch (cmd) {
    case XENVER.version: return (XEN_MAJOR << 16) | XEN_MINOR;
    case XENVER.extraversion: d.mem.write(arg, cstr(XEN_EXTRAVERSION, 16)); return 0;
    case XENVER.compile_info: {
      // struct xen_compile_info {compiler[64], compile_by[16], compile_domain[32], compile_date[32]}
      const b = new Uint8Array(144);
      b.set(cstr("xenolith (TypeScript)", 64), 0);
      b.set(cstr("xenolith", 16), 64);
      b.set(cstr("", 32), 80);
      b.set(cstr("", 32), 112);
      d.mem.write(arg, b);
      return 0;
    }
    case XENVER.capabilities:
      d.mem.write(arg, cstr(d.layout === "pae" ? "xen-3.0-x86_32p" : "xen-3.0-x86_32", 1024));
      return 0;
    case XENVER.changeset: d.mem.write(arg, cstr("xenolith", 64)); return 0;
    case XENVER.platform_parameters: d.mem.writeU32(arg, d.hvStart); return 0; // {virt_start}
    case XENVER.get_features: {
      // struct xen_feature_info {unsigned int submap_idx, uint32_t submap}
      const idx = d.mem.readU32(arg);
      d.mem.writeU32(arg + 4, idx === 0 ? XEN_FEATURES_SUBMAP0 : 0);
      return 0;
    }
    case XENVER.pagesize: return 4096;
    case XENVER.guest_handle: d.mem.write(arg, new Uint8Array(16)); return 0;
    case XENVER.commandline: return -ERRNO.EPERM; // Xen's command line is for the privileged domain
    default: return -ERRNO.ENOSYS;
  }
}
