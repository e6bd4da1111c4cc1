// Atomic writes (src/io/safetensors-node.ts): whatever goes wrong mid-write, the previous file stays
// readable and no temp file is left behind; a process killed mid-write leaves a complete file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildSync } from 'esbuild';
import {
  readSafetensorsFile,
  readSafetensorsFileSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeSafetensorsFileAtomic,
  writeSafetensorsFileAtomicSync,
} from '../src/io/safetensors-node.js';
import type { TensorEntry } from '../src/io/safetensors.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-atomic-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const weights = (v: number): Record<string, TensorEntry> => ({
  'fc.weight': { dtype: 'float32', shape: [2, 2], data: new Float32Array([v, v + 1, v + 2, v + 3]) },
  step: { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(v)]) },
});
const leftovers = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));

describe('successful writes', () => {
  it('async and sync writers produce a readable file and no temp files', async () => {
    const file = path.join(dir, 'ckpt.safetensors');
    await writeSafetensorsFileAtomic(file, weights(1), { step: '1' });
    let p = await readSafetensorsFile(file);
    expect(Array.from(p.tensors['fc.weight'].data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(p.metadata).toEqual({ step: '1' });
    writeSafetensorsFileAtomicSync(file, weights(5));
    p = readSafetensorsFileSync(file);
    expect((p.tensors.step.data as BigInt64Array)[0]).toBe(5n);
    expect(leftovers()).toEqual([]);
  });

  it('writeFileAtomic writes strings and bytes, replacing the old content', async () => {
    const file = path.join(dir, 'args.json');
    await writeFileAtomic(file, '{"a":1}');
    await writeFileAtomic(file, new Uint8Array([0x7b, 0x7d]));
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    writeFileAtomicSync(file, 'x');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    expect(leftovers()).toEqual([]);
  });

  it('read errors name the file', async () => {
    const file = path.join(dir, 'broken.safetensors');
    fs.writeFileSync(file, new Uint8Array(3));
    await expect(readSafetensorsFile(file)).rejects.toThrow(`safetensors: ${file}: file is truncated`);
  });
});

describe('failures leave the previous file intact', () => {
  const setup = async () => {
    const file = path.join(dir, 'ckpt.safetensors');
    await writeSafetensorsFileAtomic(file, weights(1));
    return file;
  };
  const expectOld = async (file: string) => {
    const p = await readSafetensorsFile(file);
    expect(Array.from(p.tensors['fc.weight'].data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(leftovers()).toEqual([]);
  };

  it('rename fails (async)', async () => {
    const file = await setup();
    vi.spyOn(fs.promises, 'rename').mockRejectedValueOnce(Object.assign(new Error('EXDEV: simulated'), { code: 'EXDEV' }));
    await expect(writeSafetensorsFileAtomic(file, weights(9))).rejects.toThrow('EXDEV: simulated');
    await expectOld(file);
  });

  it('fsync fails after the data was written (async)', async () => {
    const file = await setup();
    const realOpen = fs.promises.open.bind(fs.promises);
    vi.spyOn(fs.promises, 'open').mockImplementationOnce(async (...args: Parameters<typeof fs.promises.open>) => {
      const h = await realOpen(...args);
      h.sync = async () => {
        throw new Error('EIO: simulated');
      };
      return h;
    });
    await expect(writeSafetensorsFileAtomic(file, weights(9))).rejects.toThrow('EIO: simulated');
    await expectOld(file);
  });

  it('a write that throws midway (sync): half the bytes written, then ENOSPC', async () => {
    const file = await setup();
    const realWrite = fs.writeSync;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) => {
      if (calls++ > 0) throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
      return realWrite(fd, buf, off, Math.max(1, Math.floor(len / 2))); // short write forces a second call
    }) as typeof fs.writeSync);
    expect(() => writeSafetensorsFileAtomicSync(file, weights(9))).toThrow('ENOSPC: simulated');
    expect(calls).toBe(2);
    await expectOld(file);
  });

  it('rename fails (sync)', async () => {
    const file = await setup();
    vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw new Error('EPERM: simulated');
    });
    expect(() => writeFileAtomicSync(file, 'garbage')).toThrow('EPERM: simulated');
    await expectOld(file);
  });

  it('invalid tensors are rejected before the file system is touched', async () => {
    const file = await setup();
    const open = vi.spyOn(fs.promises, 'open');
    const bad = { a: { dtype: 'float32', shape: [3], data: new Float32Array(1) } } as Record<string, TensorEntry>;
    await expect(writeSafetensorsFileAtomic(file, bad)).rejects.toThrow(/3 elements/);
    expect(open).not.toHaveBeenCalled();
    await expectOld(file);
  });

  it('a missing directory fails cleanly', async () => {
    await expect(writeFileAtomic(path.join(dir, 'nope', 'x.bin'), 'x')).rejects.toThrow(/ENOENT/);
  });
});

// A child process rewrites one checkpoint in a loop; each version is a 4 MB tensor filled with its
// version number, written in 4 KB pieces. We SIGKILL it at a random moment mid-loop: whatever the
// moment, the file on disk must parse and hold one complete version. (Checked to fail for a writer
// that writes the target in place.)
describe('killed mid-write', () => {
  it('SIGKILL during a write loop leaves a complete file', async () => {
    const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/io/safetensors-node.ts');
    const child = path.join(dir, 'child.mjs');
    buildSync({
      stdin: {
        contents: `
          import fs from 'node:fs';
          import { writeSafetensorsFileAtomicSync } from ${JSON.stringify(src)};
          // 4 KB per write call: a non-atomic writer would then spend most of its time with a
          // partial file on disk, so a kill at a random moment would catch it
          const realWrite = fs.writeSync;
          fs.writeSync = (fd, buf, off, len) => realWrite(fd, buf, off, Math.min(len, 4096));
          const file = process.argv[2];
          const data = new Float32Array(1 << 20);
          for (let v = 1; ; v++) {
            data.fill(v);
            writeSafetensorsFileAtomicSync(file, { w: { dtype: 'float32', shape: [data.length], data } }, { version: String(v) });
            if (v === 2) process.stdout.write('ready\\n');
          }`,
        resolveDir: dir,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: child,
      logLevel: 'silent',
    });
    const file = path.join(dir, 'ckpt.safetensors');
    const proc = spawn(process.execPath, [child, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once('data', () => resolve());
      proc.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 30 + Math.floor(Math.random() * 120)));
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;

    const p = await readSafetensorsFile(file);
    const v = Number(p.metadata.version);
    expect(v).toBeGreaterThanOrEqual(2);
    const w = p.tensors.w.data as Float32Array;
    expect(w.length).toBe(1 << 20);
    expect(w[0]).toBe(v);
    expect(w.every((x) => x === v)).toBe(true);
  });
});
