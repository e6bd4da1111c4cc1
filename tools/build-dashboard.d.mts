// Types of tools/build-dashboard.mjs, for TypeScript callers (tests).
export function buildDashboard(outDir?: string, opts?: { minify?: boolean }): Promise<string>;
