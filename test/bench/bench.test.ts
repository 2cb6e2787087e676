// The benchmark runs: one tiny repetition of every workload on both engines prints a row each,
// the engines agree on every checksum, and the start-up / RSS rows appear. No timing is asserted.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WORKLOADS } from "../../src/bench/workloads.ts";
import type { BenchReport } from "../../src/bench/bench.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("npm run bench", () => {
  it("runs every workload once on both engines, as a table and as JSON", () => {
    const args = ["--import", "tsx", "scripts/bench.ts", "--reps", "1", "--scale", "0.0002"];
    const json = spawnSync("node", [...args, "--json"], { cwd: root, encoding: "utf8" });
    expect(json.stderr).not.toMatch(/Error/);
    expect(json.status).toBe(0);
    const rep = JSON.parse(json.stdout) as BenchReport;
    for (const w of WORKLOADS) for (const engine of ["interp", "jit"]) {
      const r = rep.results.find((x) => x.workload === w.name && x.engine === engine);
      expect(r, `${w.name} ${engine}`).toBeDefined();
      expect(Number.isFinite(r!.value)).toBe(true);
      expect(r!.insnsPerIter).toBeGreaterThan(0);
    }
    expect(rep.process.map((p) => p.engine)).toEqual(["interp", "jit"]);
    for (const p of rep.process) expect(p.nullRssMiB).toBeGreaterThan(0);

    const table = spawnSync("node", [...args, "--no-process", "--workloads", "alu,fastsys", "--engines", "interp"], { cwd: root, encoding: "utf8" });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^\| workload \| unit \| interp \| insns\/iter \| what \|$/m);
    expect(table.stdout).toMatch(/^\| alu \| MIPS \| -?\d+ \| 5\.0 \|/m);
    expect(table.stdout).toMatch(/^\| fastsys \| ns\/event \| /m);
  }, 120_000);
});
