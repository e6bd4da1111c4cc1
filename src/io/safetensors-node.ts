// Node-only file helpers for checkpoints: read a .safetensors file, and write files atomically.
//
// Atomic write = write a sibling temp file `<path>.tmp-<pid>-<rand>`, fsync it, rename it over
// `<path>`, then fsync the directory. rename(2) within one directory replaces the name in one step,
// so a reader (or a resumed run after a crash or kill -9) sees either the old file or the complete
// new one, never a prefix. The fsync before the rename stops a power loss from leaving the new name
// pointing at unwritten blocks. On any failure the temp file is removed and the old file is untouched.
//
// fs is used through the module objects (fs.xxx / fsp.xxx), not destructured imports, so tests can
// make a single step fail with vi.spyOn.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  parseSafetensors,
  serializeSafetensors,
  SafetensorsError,
  type ParsedSafetensors,
  type TensorEntry,
} from './safetensors.js';

const fsp = fs.promises;

function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

// Parse errors name the file, so "which checkpoint is broken" is answered by the message itself.
function withPath(file: string, bytes: Uint8Array): ParsedSafetensors {
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) {
      throw new SafetensorsError(`${file}: ${e.message.replace(/^safetensors: /, '')}`);
    }
    throw e;
  }
}

export async function readSafetensorsFile(file: string): Promise<ParsedSafetensors> {
  return withPath(file, new Uint8Array(await fsp.readFile(file)));
}

export function readSafetensorsFileSync(file: string): ParsedSafetensors {
  return withPath(file, new Uint8Array(fs.readFileSync(file)));
}

export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const bytes = toBytes(data);
  const tmp = tempPathFor(target);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644); // wx: never clobber another writer's temp file
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, off, bytes.length - off);
      off += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, target);
  } catch (e) {
    if (handle !== undefined) await handle.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  }
  await syncDir(path.dirname(target));
}

/** Synchronous twin, for exit handlers where awaiting is not possible. */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  const bytes = toBytes(data);
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* may not exist */ }
    throw e;
  }
  try {
    const dfd = fs.openSync(path.dirname(target), 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* see syncDir */ }
}

// Persist the rename itself. Best effort: some platforms/filesystems (Windows, some network mounts)
// cannot open or fsync a directory, and the data is already safely in place either way.
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fsp.open(dir, 'r');
    try { await h.sync(); } finally { await h.close(); }
  } catch { /* best effort */ }
}

export async function writeSafetensorsFileAtomic(
  file: string,
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  // serialize first: a validation error must not touch the file system at all
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

export function writeSafetensorsFileAtomicSync(
  file: string,
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomicSync(file, serializeSafetensors(tensors, metadata));
}
