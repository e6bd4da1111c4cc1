#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built by `npm ci` through the `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => { console.error(`recur: ${err?.message ?? err}`); process.exitCode = 1; },
);
