// Runs every built bare-machine guest (guests/build/*.elf) with the xenolith CLI. Each guest
// checks itself and exits through port 0xF4: 0x10 (pass) gives exit status 33, as on QEMU's
// isa-debug-exit. Needs `npm run build` first (the CLI bundle in dist/).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const guests = readdirSync(join(root, "guests/build"))
  .filter((f) => f.endsWith(".elf"))
  .map((f) => f.slice(0, -".elf".length))
  .sort();

describe("bare-machine guests", () => {
  it("are all built", () => {
    for (const g of ["hello", "paging-2level", "paging-pae", "tlb", "rings", "faults", "wp", "iopl"]) {
      expect(guests).toContain(g);
    }
  });

  it.each(guests)("%s passes", (g) => {
    const run = spawnSync("node", [join(root, "bin/xenolith.mjs"), "run", join(root, "guests/build", `${g}.elf`)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    // Every check prints one line; show the failing ones in the assertion message.
    const failures = output.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(failures, output).toEqual([]);
    expect(output).toMatch(new RegExp(`^PASS ${g}$`, "m"));
    expect(run.status, output).toBe(33);
  });
});
