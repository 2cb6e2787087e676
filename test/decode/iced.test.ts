// src/ loads iced-x86 only through src/decode/iced.ts (require(), not an ESM import of the
// CommonJS package, which costs every start a scan of its 900 KB of JavaScript).
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../../src", import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);

describe("iced-x86 loading", () => {
  it("no module of src/ but decode/iced.ts imports values from iced-x86", () => {
    const offenders = files(src).filter((f) => !f.endsWith(join("decode", "iced.ts")) &&
      /^import\s+(?!type\b)[^;]*from\s+"iced-x86"/m.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });
});
