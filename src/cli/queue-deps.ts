// The job-queue module (BullMQ on Redis) for `recur worker` and `--queue`. bullmq and ioredis are
// optional peer dependencies: a plain install of recur lacks them, so the module is imported only
// here, and their absence is one line that says what to install.
import { CliError } from './errors.js';

export const QUEUE_PACKAGES = ['bullmq', 'ioredis'] as const;

// The optional package that `e` (from a dynamic import) says is missing, if that is what it says.
export function missingQueuePackage(e: unknown): string | null {
  if ((e as { code?: string })?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  const m = /Cannot find package '([^']+)'/.exec(String((e as Error).message));
  return m !== null && (QUEUE_PACKAGES as readonly string[]).includes(m[1]) ? m[1] : null;
}

// `what`: the command or flag that needs the queue, for the message (e.g. 'recur worker').
export async function loadQueue(what: string): Promise<typeof import('../sweep/queue-node.js')> {
  try {
    return await import('../sweep/queue-node.js');
  } catch (e) {
    const missing = missingQueuePackage(e);
    if (missing === null) throw e;
    throw new CliError(`${what} needs the job-queue packages ${QUEUE_PACKAGES.join(' and ')} ('${missing}' is not installed): npm install ${QUEUE_PACKAGES.join(' ')}`);
  }
}
