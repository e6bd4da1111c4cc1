#!/usr/bin/env node
// Runs one of the examples: node examples/run.mjs <example> [flags]
// The example's train.ts is bundled with esbuild (a dev dependency) into node_modules/.cache (one
// file per process, removed once loaded), with 'recur' mapped to the TypeScript sources, then its
// exported main(argv) runs. Errors print their message; RECUR_DEBUG=1 prints the stack too.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const names = readdirSync(here).filter((d) => existsSync(join(here, d, 'train.ts'))).sort();
const [name, ...args] = process.argv.slice(2);

if (!name || name === '--help' || name === '-h' || !names.includes(name)) {
  const lines = [
    'usage: node examples/run.mjs <example> [flags]   (node examples/run.mjs <example> --help for its flags)',
    '',
    'examples:',
    ...names.map((n) => `  ${n}`),
  ];
  if (name && name !== '--help' && name !== '-h') {
    console.error(`unknown example '${name}'\n\n${lines.join('\n')}`);
    process.exit(2);
  }
  console.log(lines.join('\n'));
  process.exit(0);
}

const esbuild = await import('esbuild').catch(() => {
  console.error('examples/run.mjs needs the dev dependencies: run `npm ci` in the repository first');
  process.exit(1);
});
const outfile = join(root, 'node_modules', '.cache', 'recur-examples', `${name}-${process.pid}.mjs`);
await esbuild.build({
  entryPoints: [join(here, name, 'train.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
  alias: { recur: join(root, 'src', 'index.ts'), 'recur/node': join(root, 'src', 'node.ts') },
  // Packages the sources import at run time (CLI and tracking parts) stay external.
  packages: 'external',
});
let mod;
try {
  mod = await import(pathToFileURL(outfile).href);
} finally {
  rmSync(outfile, { force: true });
}
try {
  await mod.main(args);
} catch (e) {
  console.error(process.env.RECUR_DEBUG ? e : `${name}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
