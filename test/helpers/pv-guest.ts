// Run a built PV guest (guests/build/pv/<name>.elf) through the library path: parse the image,
// build the domain, run it under the hypervisor; its console output collected.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parsePvKernel } from "../../src/boot/xen-kernel.ts";
import { bootPvDomain } from "../../src/boot/xen-domain.ts";
import { startPvDomain, exitStatus } from "../../src/boot/xen-run.ts";
import { runDomain } from "../../src/hv/hypervisor.ts";
import type { Domain } from "../../src/hv/domain.ts";

export const PV_GUEST_DIR = fileURLToPath(new URL("../../guests/build/pv", import.meta.url));

export function runGuest(name: string, opts: { nrPages?: number; cmdline?: string; setup?: (d: Domain) => void } = {}) {
  const kernel = parsePvKernel(readFileSync(join(PV_GUEST_DIR, `${name}.elf`)), name);
  const { pm, domain } = bootPvDomain(kernel, { nrPages: opts.nrPages ?? 4096, cmdline: opts.cmdline });
  let out = "";
  const d: Domain = startPvDomain(pm, domain, { output: (t) => { out += t; } });
  opts.setup?.(d);
  const end = runDomain(d, 50_000_000n);
  return { d, end, out, status: exitStatus(end), layout: domain.layout.name };
}
