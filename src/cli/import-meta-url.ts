// dist/cli.cjs is a CommonJS bundle (so that bin/xenolith.mjs can compile it with V8's code
// cache): esbuild replaces `import.meta.url` in it with this (package.json, build:ts --inject).
export const importMetaUrl: string = require("node:url").pathToFileURL(__filename).href;
