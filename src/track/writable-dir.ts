// Making sure a folder can hold runs before anything is written into it (Node).
//
// `fs.mkdirSync(dir, { recursive: true })` is not used: on procfs a mkdir fails with ENOENT even
// though the parent exists, and Node's recursive mkdir answers ENOENT by creating the parent and
// retrying the child, forever (100% CPU, no output). Instead the nearest existing ancestor is
// found, the missing folders are created one at a time, and a one-byte probe file is written and
// removed, so a read-only file system, a full disk or a missing permission is found before the
// first step, not at the first checkpoint. Every failure is one UnusableDirError naming the folder
// and the reason.
import fs from 'node:fs';
import path from 'node:path';

// The fs calls used here; tests pass a replacement that fails the way a full or read-only disk does.
export interface DirIo {
  statSync(p: string): { isDirectory(): boolean };
  realpathSync(p: string): string;
  mkdirSync(p: string): unknown;
  writeFileSync(p: string, data: string, opts: { flag: string }): void;
  unlinkSync(p: string): void;
}

export class UnusableDirError extends Error {
  constructor(readonly dir: string, readonly reason: string) {
    super(`cannot save runs in ${dir}: ${reason}`);
    this.name = 'UnusableDirError';
  }
}

// Kernel file systems: they accept no folders or files of ours.
const VIRTUAL_ROOTS = ['/proc', '/sys'];

function under(p: string, root: string): boolean {
  return p === root || p.startsWith(root + '/');
}

function virtualRoot(p: string): string | null {
  if (process.platform !== 'linux') return null;
  return VIRTUAL_ROOTS.find((r) => under(p, r)) ?? null;
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? '';
}

// The reason behind an fs error, in words.
function reasonOf(e: unknown, at: string): string {
  switch (code(e)) {
    case 'EROFS': return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM': return `permission denied (${at})`;
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'ENOTDIR': return `${at} is not a folder`;
    case 'ENAMETOOLONG': return 'the path is too long';
    case 'ELOOP': return 'too many symbolic links in the path';
    default: return (e as Error)?.message ?? String(e);
  }
}

let probeCounter = 0;

// Creates `dir` (and missing parents) if needed and checks that files can be written in it.
// Returns the absolute path. Throws UnusableDirError.
export function ensureWritableDir(dir: string, io: DirIo = fs): string {
  const abs = path.resolve(dir);
  const fail = (reason: string): never => {
    throw new UnusableDirError(dir, reason);
  };

  // The nearest existing ancestor, and the folders to create below it (outermost first).
  const missing: string[] = [];
  let existing = abs;
  for (;;) {
    try {
      if (!io.statSync(existing).isDirectory()) fail(`${existing} is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof UnusableDirError) throw e;
      // ENOTDIR: some ancestor is a file; walking up finds it and says so.
      if (code(e) !== 'ENOENT' && code(e) !== 'ENOTDIR') fail(reasonOf(e, existing));
      const parent = path.dirname(existing);
      if (parent === existing) fail(reasonOf(e, existing));
      missing.unshift(existing);
      existing = parent;
    }
  }

  let real = existing;
  try {
    real = io.realpathSync(existing);
  } catch {
    /* keep the path as given */
  }
  const target = path.join(real, path.relative(existing, abs));
  const vroot = virtualRoot(target);
  if (vroot !== null) fail(`${vroot} is a virtual file system of the kernel, not storage; choose a folder on a disk`);

  for (const d of missing) {
    try {
      io.mkdirSync(d);
    } catch (e) {
      if (code(e) === 'EEXIST') {
        // Made by someone else meanwhile (fine), or a file of that name (not fine).
        let isDir = false;
        try {
          isDir = io.statSync(d).isDirectory();
        } catch {
          /* vanished again: reported below */
        }
        if (isDir) continue;
        fail(`${d} is a file, not a folder`);
      }
      if (code(e) === 'ENOENT') fail(`folders cannot be created in ${path.dirname(d)}`);
      fail(reasonOf(e, path.dirname(d)));
    }
  }

  const probe = path.join(abs, `.recur-write-probe-${process.pid}-${++probeCounter}`);
  try {
    io.writeFileSync(probe, 'x', { flag: 'wx' });
  } catch (e) {
    fail(reasonOf(e, abs));
  }
  try {
    io.unlinkSync(probe);
  } catch {
    /* a leftover empty probe file is harmless */
  }
  return abs;
}
