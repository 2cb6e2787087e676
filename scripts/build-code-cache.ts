// Writes dist/cli.cache, V8's code cache for the CLI bundle (bin/xenolith.mjs): runs the empty
// kernel (guests/bench/null.S) once with XENOLITH_WRITE_CODE_CACHE=1, so the cache holds the
// bundle and every function such a run compiles.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const r = spawnSync(process.execPath, [path.join(root, "bin/xenolith.mjs"), "run", path.join(root, "guests/build/bench/null.elf")], {
  env: { ...process.env, XENOLITH_WRITE_CODE_CACHE: "1" }, encoding: "utf8",
});
if (r.status !== 33 || !existsSync(path.join(root, "dist/cli.cache"))) {
  throw new Error(`writing dist/cli.cache: xenolith run exited with ${r.status}: ${r.stderr}`);
}
