// Process-level handlers that give every open run a final status (Node only).
//
//   normal exit without finish()      -> 'finished' (exit code 0) or 'failed' (non-zero)
//   uncaught exception                -> 'failed', with the message in meta.error
//   SIGINT / SIGTERM                  -> 'interrupted'
//   SIGKILL, power loss               -> nothing can run; readers see a dead pid / stale
//                                        heartbeat and report 'interrupted' (status.ts)
//
// Signals and a trainer's own handler: if the trainer listens for SIGINT itself (to save a
// checkpoint, say), our listener only remembers that the signal came and leaves the process to
// the trainer; runs still open when the process exits, or finished without an explicit status,
// are recorded as 'interrupted'. The trainer may also call `finishAllRunsSync('interrupted')`
// from its handler. Only when no other listener exists do we act like the default action: record
// 'interrupted', remove our listeners and re-raise the signal, so the exit status is the usual
// 128+signal. Uncaught exceptions are observed through 'uncaughtExceptionMonitor', which does not
// change Node's default crash behaviour.
import type { FinalStatus, Run } from './run.js';

const active = new Set<Run>();
let signalSeen: NodeJS.Signals | null = null;
let baseInstalled = false;
let signalsInstalled = false;

export function registerRun(run: Run): void {
  active.add(run);
}

export function unregisterRun(run: Run): void {
  active.delete(run);
}

// The signal received so far, if any (SIGINT/SIGTERM), while handlers were installed; a string in
// the public types so that they need no @types/node.
export function receivedSignal(): string | null {
  return signalSeen;
}

// Status for runs finished without an explicit one.
export function defaultFinalStatus(): FinalStatus {
  return signalSeen ? 'interrupted' : 'finished';
}

// Records `status` for every run of this process that is still open. Synchronous, so it can be
// called from a signal or exit handler.
export function finishAllRunsSync(status: FinalStatus, error?: string): void {
  for (const run of [...active]) run.finishSync(status, error);
}

function onExit(code: number): void {
  finishAllRunsSync(signalSeen ? 'interrupted' : code === 0 ? 'finished' : 'failed');
}

function onCrash(err: unknown): void {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  finishAllRunsSync('failed', msg);
}

function onSignal(sig: NodeJS.Signals): void {
  signalSeen = sig;
  if (process.listenerCount(sig) > 1) return; // the trainer handles it
  finishAllRunsSync('interrupted');
  uninstallSignalHandlers();
  process.kill(process.pid, sig);
}

export function installProcessHandlers(opts: { signals?: boolean } = {}): void {
  if (!baseInstalled) {
    baseInstalled = true;
    process.on('exit', onExit);
    process.on('uncaughtExceptionMonitor', onCrash);
  }
  if (opts.signals !== false && !signalsInstalled) {
    signalsInstalled = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

export function uninstallSignalHandlers(): void {
  if (!signalsInstalled) return;
  signalsInstalled = false;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
