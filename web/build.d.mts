// Types of web/build.mjs (for the TypeScript tests that import it).
export declare const ROOT: string;
export declare const LIB_OUT: string;
export declare const PLAY_SRC: string;
export declare const PLAY_OUT: string;
export declare function buildLib(opts?: { outfile?: string; entry?: string }): Promise<{ outfile: string; inputs: number; bytes: number }>;
export declare function buildPlay(opts?: { outDir?: string; minify?: boolean }): Promise<{ outDir: string; lib: { outfile: string; inputs: number; bytes: number } }>;
