import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The browser pages import the library as 'recur' (esbuild maps it to the bundle); under
    // vitest the same page code (web/play/src/golden-checks.ts) runs on the TypeScript sources.
    alias: [
      { find: /^recur$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      // examples/ import 'recur/node' (save/load) too.
      { find: /^recur\/node$/, replacement: fileURLToPath(new URL('./src/node.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
