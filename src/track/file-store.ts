// The default RunStore: plain files under a runs root (default ./output/, shared with checkpoints).
//
//   <root>/<runId>/meta.json       RunMeta, replaced atomically (write temp file, rename over)
//   <root>/<runId>/metrics.jsonl   one MetricRow per line, appended (O_APPEND); a resume from a
//                                  checkpoint first replaces it atomically without the rows logged
//                                  after the checkpoint's step (dropMetricsAfter)
//
// Crash safety: each `appendMetrics` is one write(2) of whole lines to an O_APPEND descriptor, so
// once it returns the rows are in the kernel and survive SIGKILL of the writer (not a power loss:
// nothing is fsync'd). A killed writer can at worst leave one unterminated last line; readers stop
// at the last '\n', and a writer reopening the log (resume) first terminates such a line so it stays
// a single ignored corrupt line instead of swallowing the next row.
// The runs root is checked before the first run is created (writable-dir.ts): an unusable folder
// (under /proc, read-only, a file, a full disk) fails at once with the folder and the reason.
// Concurrency: ids are claimed with mkdir (atomic, fails if it exists) and retried with the next
// suffix, so processes starting runs with the same name at once get distinct directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendRows, decodeLine, encodeRow, parseLines } from './metrics.js';
import { effectiveStatus, parseMeta, type LivenessProbe } from './status.js';
import { ensureWritableDir } from './writable-dir.js';
import { SummaryWriter, writeAtomicFile } from './summary-file.js';
import {
  candidateId,
  compareEntries,
  CorruptMetaError,
  isSafeRunId,
  RunExistsError,
  RunNotFoundError,
  sanitizeRunName,
  type CreateRunOptions,
  type RunStore,
} from './store.js';
import type { MetricRow, MetricsChunk, RunEntry, RunMeta } from './types.js';

export const META_FILE = 'meta.json';
export const METRICS_FILE = 'metrics.jsonl';

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function nodeLivenessProbe(): LivenessProbe {
  return { host: os.hostname(), isPidAlive };
}

export class FileStore implements RunStore {
  readonly kind = 'file';
  readonly root: string;
  private readonly fds = new Map<string, number>();
  private readonly probe: LivenessProbe;
  // Keeps each written run's run-summary.json / run-sketch.json up to date (summary-file.ts).
  private readonly summaries = new SummaryWriter((id) => this.runDir(id));

  constructor(root = './output/', probe?: LivenessProbe) {
    this.root = path.resolve(root);
    this.probe = probe ?? nodeLivenessProbe();
  }

  runDir(id: string): string {
    if (!isSafeRunId(id)) throw new RunNotFoundError(id);
    return path.join(this.root, id);
  }

  async createRun(meta: Omit<RunMeta, 'id'>, opts: CreateRunOptions = {}): Promise<RunMeta> {
    ensureWritableDir(this.root);
    const base = sanitizeRunName(meta.name);
    if (opts.exactId) {
      // The directory may already exist (a trainer that made it for checkpoints); the meta file
      // is the claim, created exclusively.
      const dir = this.runDir(base);
      try {
        fs.mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const full: RunMeta = { ...meta, id: base };
      try {
        fs.writeFileSync(path.join(dir, META_FILE), JSON.stringify(full, null, 2) + '\n', { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RunExistsError(base);
        throw e;
      }
      this.summaries.metaWritten(full);
      return full;
    }
    for (let n = 1; ; n++) {
      const id = candidateId(base, n);
      try {
        fs.mkdirSync(path.join(this.root, id));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const full: RunMeta = { ...meta, id };
      this.writeMeta(full);
      return full;
    }
  }

  async listRuns(): Promise<RunEntry[]> {
    let dirents: fs.Dirent[];
    try {
      dirents = await fs.promises.readdir(this.root, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: RunEntry[] = [];
    await Promise.all(
      dirents
        .filter((d) => d.isDirectory() && isSafeRunId(d.name))
        .map(async (d) => {
          const e = await this.entry(d.name);
          if (e) out.push(e);
        }),
    );
    return out.sort(compareEntries);
  }

  async hasRun(id: string): Promise<boolean> {
    if (!isSafeRunId(id)) return false;
    const dir = path.join(this.root, id);
    return fs.existsSync(path.join(dir, META_FILE)) || fs.existsSync(path.join(dir, METRICS_FILE));
  }

  async readMeta(id: string): Promise<RunMeta> {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(this.runDir(id), META_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (await this.hasRun(id)) throw new CorruptMetaError(id, 'meta.json is missing');
      throw new RunNotFoundError(id);
    }
    return parseMeta(id, text);
  }

  writeMeta(meta: RunMeta): void {
    writeAtomicFile(path.join(this.runDir(meta.id), META_FILE), JSON.stringify(meta, null, 2) + '\n');
    this.summaries.metaWritten(meta);
  }

  async updateMeta(id: string, patch: Partial<Omit<RunMeta, 'id'>>): Promise<RunMeta> {
    const next: RunMeta = { ...(await this.readMeta(id)), ...patch, id };
    this.writeMeta(next);
    return next;
  }

  appendMetrics(id: string, rows: readonly MetricRow[]): void {
    if (rows.length === 0) return;
    const text = rows.map(encodeRow).join('');
    const fd = this.openLog(id);
    this.summaries.beforeAppend(id);
    fs.writeSync(fd, text);
    this.summaries.appended(id, rows, Buffer.byteLength(text));
  }

  async readMetrics(id: string, since = 0): Promise<MetricsChunk> {
    const file = path.join(this.runDir(id), METRICS_FILE);
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!(await this.hasRun(id))) throw new RunNotFoundError(id);
      return { rows: [], cursor: 0, corruptLines: 0, reset: since !== 0 };
    }
    try {
      const size = (await fh.stat()).size;
      let reset = since < 0 || since > size || !Number.isInteger(since);
      if (!reset && since > 0) {
        // Cursors sit just after a '\n'. Anything else means the log was replaced (a resume drops
        // the rows after its checkpoint) and has grown past the old cursor again: read it whole.
        const prev = Buffer.alloc(1);
        await fh.read(prev, 0, 1, since - 1);
        reset = prev[0] !== 0x0a;
      }
      const from = reset ? 0 : since;
      const buf = Buffer.alloc(size - from);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      // Stop at the last newline: what follows is a line still being written, or the remains of a
      // killed writer. Either way it is not a row (yet).
      const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
      const { rows, corruptLines } = parseLines(buf.toString('utf8', 0, end));
      return { rows: appendRows([], rows), cursor: from + end, corruptLines, reset };
    } finally {
      await fh.close();
    }
  }

  dropMetricsAfter(id: string, step: number): number {
    const file = path.join(this.runDir(id), METRICS_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    // The unterminated tail of a killed writer is not a row: it goes too.
    const end = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, end).split('\n');
    lines.pop(); // '' after the last '\n'
    const kept = lines.filter((l) => {
      const row = decodeLine(l);
      return row === null || row.step <= step;
    });
    const dropped = lines.length - kept.length;
    if (dropped === 0 && end === text.length) return 0;
    // Appends after this go to the new file, never to the replaced one.
    this.closeRun(id);
    writeAtomicFile(file, kept.map((l) => l + '\n').join(''));
    return dropped;
  }

  closeRun(id: string): void {
    this.summaries.close(id);
    const fd = this.fds.get(id);
    if (fd === undefined) return;
    this.fds.delete(id);
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  private openLog(id: string): number {
    let fd = this.fds.get(id);
    if (fd !== undefined) return fd;
    // a+: appends always go to the end (O_APPEND); reads (pread) are used for the last byte only.
    fd = fs.openSync(path.join(this.runDir(id), METRICS_FILE), 'a+');
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        // A killed writer's partial line is closed off: a summary loaded before this no longer
        // covers the log byte for byte, so it is rebuilt from the log on the next append.
        this.summaries.forget(id);
        fs.writeSync(fd, '\n');
      }
    }
    this.fds.set(id, fd);
    return fd;
  }

  private async entry(id: string): Promise<RunEntry | null> {
    if (!(await this.hasRun(id))) return null; // a directory that is not a run (e.g. checkpoints only)
    try {
      const meta = await this.readMeta(id);
      return { id, meta, status: effectiveStatus(meta, this.probe) };
    } catch (e) {
      return { id, meta: null, error: (e as Error).message, status: 'corrupt' };
    }
  }
}
