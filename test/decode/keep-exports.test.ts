// keepExports: the same module with fewer exports.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { keepExports } from "../../src/decode/keep-exports.ts";

const file = path.join(path.dirname(createRequire(import.meta.url).resolve("iced-x86")), "iced_x86_bg.wasm");
const bytes = new Uint8Array(readFileSync(file));

describe("keepExports", () => {
  it("keeps exactly the names given, and every other section as it was", () => {
    const kept = keepExports(bytes.slice(), new Set(["memory", "decoder_new", "instruction_code"]));
    const m = new WebAssembly.Module(kept);
    expect(WebAssembly.Module.exports(m).map((e) => `${e.kind} ${e.name}`).sort())
      .toEqual(["function decoder_new", "function instruction_code", "memory memory"]);
    expect(WebAssembly.Module.imports(m)).toEqual(WebAssembly.Module.imports(new WebAssembly.Module(bytes)));
    // all but the export section byte for byte: the code section (the largest) is found unchanged
    const code = bytes.subarray(bytes.length - 400_000, bytes.length - 300_000);
    expect(Buffer.from(kept).indexOf(Buffer.from(code))).toBeGreaterThan(0);
  });

  it("fails when a name is not exported", () => {
    expect(() => keepExports(bytes.slice(), new Set(["memory", "no_such_export"]))).toThrow(/no_such_export/);
  });
});
