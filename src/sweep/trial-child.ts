// Entry of a trial's child process (forked by pool-node.ts). Protocol over the IPC channel:
//   child → parent  { type: 'ready' }
//   parent → child  { type: 'run', job: TrialJob }
//   child → parent  TrialEvent ({ type: 'start' | 'progress', ... }), then { type: 'result', result }
// SIGINT/SIGTERM stop training after a checkpoint (runTraining's handlers); a lost parent (the
// IPC channel closes) is treated the same way, so an orphaned trial stops instead of running on.
import { runTrial } from './trial-node.js';
import type { TrialJob } from './trial-node.js';

function send(msg: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, undefined, {}, () => resolve());
  });
}

// Keeps the process alive through a signal that arrives after training (during the final
// evaluation): runTraining's own handlers are only installed while it trains.
let stopping = false;
const onStop = () => {
  stopping = true;
};
process.on('SIGINT', onStop);
process.on('SIGTERM', onStop);
process.on('disconnect', () => {
  if (!stopping) process.kill(process.pid, 'SIGTERM');
});

process.on('message', (msg: { type: string; job: TrialJob }) => {
  if (msg?.type !== 'run') return;
  runTrial(msg.job, (e) => void send(e))
    .then(async (result) => {
      await send({ type: 'result', result });
      stopping = true; // the disconnect below is ours
      process.disconnect?.();
      process.exitCode = 0;
    })
    .catch(async (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    });
});
// The job is sent only after this: an ES module's top level may run after early IPC messages
// were delivered (and dropped, with no listener yet).
void send({ type: 'ready' });
