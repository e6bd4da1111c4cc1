#!/usr/bin/env node
// Browser builds (esbuild):
//   lib   src/index.ts → dist/browser/recur.js: the library core as one ES module for web pages.
//         Any `node:` (or bare Node built-in) import reaching the bundle fails the build, naming
//         the importer, so a Node-only module leaking into the core is caught here, not in a
//         user's browser.
//   play  web/play → web/play/dist/: the play page (index.html, main.js/.css, the training
//         worker.js and its second thread's task-worker.js), the golden-check page (golden.html,
//         golden.js, golden.json) and a copy of recur.js that all of them import. Every URL is
//         relative, so the directory works as static files and under `recur dashboard`'s /play/.
//   node web/build.mjs [lib|play|all]     (default: all; play needs lib, so it builds it too)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LIB_OUT = path.join(ROOT, 'dist', 'browser', 'recur.js');
export const PLAY_SRC = path.join(ROOT, 'web', 'play');
export const PLAY_OUT = path.join(PLAY_SRC, 'dist');
const GOLDEN_JSON = path.join(ROOT, 'test', 'fixtures', 'golden.json');

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** esbuild plugin: a Node built-in import anywhere in the graph is a build error. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const bare = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
      if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(bare.split('/')[0])) return undefined;
      const from = path.relative(ROOT, args.importer) || args.importer;
      return {
        errors: [{
          text: `the browser bundle must not import the Node built-in '${args.path}' (imported by ${from}); ` +
            'keep Node-only code behind src/node.ts',
        }],
      };
    });
  },
};

/** esbuild plugin: `import … from 'recur'` in the pages → the shared ./recur.js next to them. */
const recurAsSibling = {
  name: 'recur-as-sibling',
  setup(b) {
    b.onResolve({ filter: /^recur$/ }, () => ({ path: './recur.js', external: true }));
  },
};

export async function buildLib({ outfile = LIB_OUT, entry = path.join(ROOT, 'src', 'index.ts') } = {}) {
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const r = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile,
    // Not minified: error messages use class names (this.constructor.name), and users'
    // bundlers minify anyway.
    minify: false,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    write: false,
    plugins: [noNodeBuiltins],
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  // Belt and braces: nothing in the output may still refer to node: modules.
  const m = /(?:from|import)\s*\(?\s*["'](node:[^"']+)["']/.exec(js.text);
  if (m) throw new Error(`${path.relative(ROOT, outfile)} would import ${m[1]}`);
  // Written atomically (temp file + rename): test processes build concurrently.
  for (const f of r.outputFiles) writeAtomic(f.path, f.contents);
  return { outfile, inputs: Object.keys(r.metafile.inputs).length, bytes: js.contents.length };
}

function writeAtomic(file, bytes) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export async function buildPlay({ outDir = PLAY_OUT, minify = true } = {}) {
  const lib = await buildLib();
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outdir: outDir,
    minify,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  };
  // The page and its worker: 'recur' → ./recur.js (module workers cannot use import maps).
  await build({
    ...common,
    entryPoints: {
      main: path.join(PLAY_SRC, 'src', 'main.ts'),
      worker: path.join(PLAY_SRC, 'src', 'worker.ts'),
      'task-worker': path.join(PLAY_SRC, 'src', 'task-worker.ts'),
    },
    plugins: [recurAsSibling, noNodeBuiltins],
  });
  // The golden page keeps the bare 'recur' specifier: golden.html maps it with an import map,
  // exactly as docs/browser.md tells users to.
  await build({
    ...common,
    entryPoints: { golden: path.join(PLAY_SRC, 'src', 'golden-page.ts') },
    external: ['recur'],
    plugins: [noNodeBuiltins],
  });
  fs.copyFileSync(lib.outfile, path.join(outDir, 'recur.js'));
  if (fs.existsSync(`${lib.outfile}.map`)) fs.copyFileSync(`${lib.outfile}.map`, path.join(outDir, 'recur.js.map'));
  for (const f of ['index.html', 'golden.html']) fs.copyFileSync(path.join(PLAY_SRC, f), path.join(outDir, f));
  if (fs.existsSync(GOLDEN_JSON)) fs.copyFileSync(GOLDEN_JSON, path.join(outDir, 'golden.json'));
  return { outDir, lib };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2] ?? 'all';
  try {
    if (what === 'lib') {
      const r = await buildLib();
      console.log(`${path.relative(process.cwd(), r.outfile)}: ${(r.bytes / 1024).toFixed(0)} KiB from ${r.inputs} modules`);
    } else if (what === 'play' || what === 'all') {
      const r = await buildPlay();
      console.log(`${path.relative(process.cwd(), r.lib.outfile)}: ${(r.lib.bytes / 1024).toFixed(0)} KiB from ${r.lib.inputs} modules`);
      console.log(`play page: ${path.relative(process.cwd(), r.outDir)}/`);
    } else {
      throw new Error(`unknown target '${what}' (lib, play or all)`);
    }
  } catch (e) {
    // esbuild's errors already list every problem; one line per error, exit 1.
    const errors = e?.errors?.length ? e.errors.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`) : [e?.message ?? String(e)];
    for (const line of errors) console.error(`build failed: ${line}`);
    process.exit(1);
  }
}
