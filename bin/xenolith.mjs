#!/usr/bin/env node
// Entry point of the `xenolith` command: the CLI bundled by `npm run build` (dist/cli.cjs),
// compiled with V8's code cache (dist/cli.cache: the bundle and every function a run of the empty
// kernel compiles, written by `npm run build`), which saves ~10 ms of CPU on every start. A cache V8
// rejects (another Node.js, other V8 flags) is ignored: the bundle is compiled as usual.
import "../dist/v8-flags.mjs"; // first: V8 accepts a cache only under the flags it was made with
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Script } from "node:vm";

const bundle = new URL("../dist/cli.cjs", import.meta.url).pathname;
const cacheFile = new URL("../dist/cli.cache", import.meta.url).pathname;
// V8 checks only the length of the source a cache was made from: the cache starts with this
// stamp of the bundle it belongs to, so one left from an earlier build is not used.
const { size, mtimeMs } = statSync(bundle);
const stamp = Buffer.from(`xenolith-code-cache ${size} ${mtimeMs}`.padEnd(64), "latin1");
// XENOLITH_WRITE_CODE_CACHE=1: write the cache as this run exits (scripts/build-code-cache.ts)
const writing = process.env.XENOLITH_WRITE_CODE_CACHE === "1";
let cachedData;
if (!writing) {
  try {
    const file = readFileSync(cacheFile);
    if (stamp.equals(file.subarray(0, stamp.length))) cachedData = file.subarray(stamp.length);
  } catch { /* no cache: compile as usual */ }
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`,
  { filename: bundle, cachedData });
if (writing) process.on("exit", () => writeFileSync(cacheFile, Buffer.concat([stamp, script.createCachedData()])));
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, new URL("../dist/", import.meta.url).pathname);
