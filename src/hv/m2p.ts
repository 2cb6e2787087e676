// The machine-to-physical table: u32 m2p[mfn] = the pseudo-physical frame a domain placed that
// machine frame at, INVALID (0xFFFFFFFF) for frames no guest has in its P2M. One table for the
// whole machine, in machine memory owned by the hypervisor (DOMID_XEN), mapped read-only into
// every PV address space at MACH2PHYS_VIRT_START with superpages (xen-layout.ts), so its frames
// are contiguous and superpage-aligned. It covers a whole superpage: 2 MiB = 512 Ki frames (PAE),
// 4 MiB = 1 Mi frames (classic), more than the largest RAM; entries past RAM stay INVALID.
// Guests update it only through mmu_update's MMU_MACHPHYS_UPDATE (issue 5); the domain builder
// fills it for the frames it gives a domain.
import { DOMID_XEN } from "./abi.ts";
import { type Mfn, type Gpfn, type Ma, INVALID_GPFN, mfnToMa, mfn as asMfn, hex } from "./addr.ts";
import type { MachineFrames } from "./frames.ts";
import type { PhysMem } from "./phys.ts";

export class MachToPhys {
  /** first machine frame of the table */
  readonly baseMfn: Mfn;
  /** number of entries (superpage bytes / 4) */
  readonly entries: number;
  /** bytes of the table = the superpage size it is mapped with */
  readonly bytes: number;

  constructor(private readonly mem: PhysMem, frames: MachineFrames, superpageBytes: number) {
    const nframes = superpageBytes / 4096;
    this.baseMfn = frames.reserveContiguous(nframes, nframes, DOMID_XEN);
    this.bytes = superpageBytes;
    this.entries = superpageBytes / 4;
    for (let i = 0; i < nframes; i++) mem.fillFrame(asMfn(this.baseMfn + i), 0xff);
  }

  get baseMa(): Ma { return mfnToMa(this.baseMfn); }

  private entryMa(f: Mfn): Ma {
    if (f < 0 || f >= this.entries) throw new RangeError(`machine frame ${hex(f)} is beyond the M2P table`);
    return (this.baseMa + f * 4) as Ma;
  }
  get(f: Mfn): Gpfn { return this.mem.read32(this.entryMa(f)) as Gpfn; }
  set(f: Mfn, pfn: Gpfn): void { this.mem.write32(this.entryMa(f), pfn); }
  clear(f: Mfn): void { this.set(f, INVALID_GPFN); }
}
