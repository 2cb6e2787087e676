// node:child_process in the CLI bundle, loaded on first use: commander requires it when it loads
// (for executable subcommands, which xenolith has none of), and loading it (with net, dgram and
// the socket code) cost every start ~3 ms of CPU. esbuild aliases node:child_process to this
// module in dist/cli.cjs (package.json, build:ts); it offers what commander and the bench use.
import { createRequire } from "node:module";
import type * as ChildProcess from "node:child_process";

let real: typeof ChildProcess | undefined;
const load = (): typeof ChildProcess => (real ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcess);

export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) => load().spawn(...args)) as typeof ChildProcess.spawn;
export const spawnSync = ((...args: Parameters<typeof ChildProcess.spawnSync>) => load().spawnSync(...args)) as typeof ChildProcess.spawnSync;
