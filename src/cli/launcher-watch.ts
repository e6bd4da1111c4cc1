// Stopping when the npm process that launched us is gone. `npx recur train` runs
//   npm exec (node)  →  sh -c 'recur' train ...  →  node .../bin/recur train ...
// and a SIGTERM or SIGKILL sent to npm's pid (by a user, a process manager, a CI timeout) ends npm
// and sometimes the shell, never the trainer: it would go on, orphaned, its run still `running`.
// Node cannot ask Linux for a parent-death signal (prctl PR_SET_PDEATHSIG), so a cheap unref'd
// timer polls: our parent pid changing (the shell or npm is gone), or on Linux the shell's parent
// changing (npm is gone, the shell still waits for us).
//
// Only an npm launch is watched (npm puts npm_command / npm_lifecycle_event in its children's
// environment). A process started on its own — `recur train &` from a shell that then exits,
// `nohup recur train`, `setsid recur train` — keeps running when its parent goes, as its user
// intends. So does one detached on purpose under npm: `setsid npx recur train` (npm, the shell or
// the trainer leads its own session) or `nohup npx recur train` on a terminal (output to nohup.out).
import * as fs from 'node:fs';

export interface LauncherWatch {
  /** Why the launcher is watched (for tests and --verbose). */
  readonly reason: string;
  stop(): void;
}

interface ProcStat {
  ppid: number;
  session: number;
}

/** /proc/<pid>/stat's ppid and session (Linux), or null where there is no /proc. */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), session: Number(f[3]) };
}

/** The npm command that launched this process, from npm's environment; null when not npm. */
export function npmLaunch(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.npm_command === 'exec') return 'npx';
  if (env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== '') return `npm run ${env.npm_lifecycle_event}`;
  return null;
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh', 'busybox']);

function isShell(pid: number): boolean {
  try {
    return SHELLS.has(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
  } catch {
    return false;
  }
}

function stdoutIsNohupOut(): boolean {
  try {
    return fs.readlinkSync('/proc/self/fd/1').endsWith('/nohup.out');
  } catch {
    return false;
  }
}

/**
 * Calls `onGone` once (from a timer) when the npm process that launched this one is gone; null
 * when there is nothing to watch (see the file comment). Poll every `intervalMs`.
 */
export function watchLauncher(onGone: (what: string) => void, opts: { env?: NodeJS.ProcessEnv; intervalMs?: number } = {}): LauncherWatch | null {
  const launcher = npmLaunch(opts.env ?? process.env);
  if (launcher === null) return null;
  if (stdoutIsNohupOut()) return null;
  const parent = process.ppid;
  // npm starts the command through a shell, which outlives a SIGKILLed npm while it waits for us:
  // then watch the shell's parent too (Linux).
  const grandparent = isShell(parent) ? (procStat(parent)?.ppid ?? null) : null;
  const session = procStat(process.pid)?.session;
  if (session !== undefined && [process.pid, parent, grandparent].includes(session)) return null; // setsid
  const timer = setInterval(() => {
    let gone = process.ppid !== parent;
    if (!gone && grandparent !== null) {
      const p = procStat(parent);
      gone = p !== null && p.ppid !== grandparent;
    }
    if (gone) {
      clearInterval(timer);
      onGone(launcher);
    }
  }, opts.intervalMs ?? 200);
  timer.unref();
  return {
    reason: `launched by ${launcher} (parent ${parent}${grandparent !== null ? `, its parent ${grandparent}` : ''})`,
    stop: () => clearInterval(timer),
  };
}
