// The ABI constants of src/hv/abi.ts against Xen's public headers (Debian's libxen-dev): each
// C expression is compiled for x86_32 into a data section and read back, so no 32-bit C library
// is needed. Skipped, saying why, where the headers or a compiler are missing.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ABI_CHECKS } from "../../src/hv/abi.ts";

const HEADERS = "/usr/include/xen/xen.h";
const haveHeaders = existsSync(HEADERS);
if (!haveHeaders) console.warn(`abi.test: ${HEADERS} missing (apt-get install libxen-dev): ABI not checked`);

function probe(exprs: string[]): bigint[] {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-abi-"));
  try {
    const src = `#define __XEN_INTERFACE_VERSION__ 0x00040e00
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/elfnote.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/callback.h>
#include <xen/grant_table.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/vcpu.h>
#include <xen/features.h>
#include <xen/io/console.h>
__attribute__((section(".probe"), used)) const unsigned long long probe[] = {
${exprs.map((e) => `  (unsigned long long)(${e}),`).join("\n")}
};
`;
    writeFileSync(path.join(dir, "p.c"), src);
    execFileSync("gcc", ["-m32", "-ffreestanding", "-c", "-o", path.join(dir, "p.o"), path.join(dir, "p.c")], { stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("objcopy", ["-O", "binary", "-j", ".probe", path.join(dir, "p.o"), path.join(dir, "p.bin")]);
    const buf = readFileSync(path.join(dir, "p.bin"));
    return exprs.map((_, i) => buf.readBigUInt64LE(i * 8));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!haveHeaders)("Xen x86_32 PV ABI constants match Xen's public headers", () => {
  it(`all ${ABI_CHECKS.length} constants and offsets`, () => {
    const got = probe(ABI_CHECKS.map(([e]) => e));
    const mismatches = ABI_CHECKS.filter(([, v], i) => BigInt(v) !== got[i]).map(([e, v], i) => `${e}: ours ${v}, headers ${got[ABI_CHECKS.findIndex(([x]) => x === e)]}`);
    expect(mismatches).toEqual([]);
  });
});
