// Writes build/iced-decoder.wasm: iced-x86's Wasm module (node_modules/iced-x86/iced_x86_bg.wasm)
// with only the exports src/decode/iced-wasm.ts binds (src/decode/iced-exports.ts), everything
// else byte for byte the same (src/decode/keep-exports.ts). Done at build time: rewriting it at
// start-up cost more than it saved (V8 optimised the parsing loop: +4 MiB RSS).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { keepExports } from "../src/decode/keep-exports.ts";
import { ICED_KEPT } from "../src/decode/iced-exports.ts";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(path.dirname(createRequire(import.meta.url).resolve("iced-x86")), "iced_x86_bg.wasm");
mkdirSync(path.join(root, "build"), { recursive: true });
writeFileSync(path.join(root, "build", "iced-decoder.wasm"), keepExports(readFileSync(source), ICED_KEPT));
